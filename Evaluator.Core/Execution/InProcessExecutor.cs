namespace Evaluator.Core.Execution;

/// <summary>
/// Runs jobs on dedicated threads of this process (<c>serial</c>: one, <c>thread</c>: <c>NumWorkers</c>). Nothing can be killed here,
/// so timeouts and close are cooperative: the job's token fires and a job that ignores it runs to its end.
/// </summary>
internal sealed class InProcessExecutor : IJobExecutor
{
    private readonly RunFunctionInvoker _invoker;
    private readonly TimeSpan? _jobTimeout;
    private readonly IJobSink _sink;
    private readonly WorkQueue<JobTicket> _queue = new();
    private readonly Dictionary<JobTicket, CancellationTokenSource> _running = [];
    private readonly Thread[] _threads;
    private CancelReason _cancelAll;

    public InProcessExecutor(RunFunctionInvoker invoker, int numWorkers, TimeSpan? jobTimeout, IJobSink sink)
    {
        _invoker = invoker;
        _jobTimeout = jobTimeout;
        _sink = sink;
        _threads = new Thread[numWorkers];
        for (var i = 0; i < numWorkers; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"Evaluator worker {i}" };
            _threads[i].Start();
        }
    }

    public int NumWorkers => _threads.Length;

    public void Enqueue(JobTicket ticket)
    {
        if (!_queue.TryAdd(ticket))
            _sink.Completed(ticket, Cancelled(ticket));
    }

    public void CancelAll(CancelReason reason)
    {
        lock (_running)
        {
            if (_cancelAll == CancelReason.None)
                _cancelAll = reason;
            foreach (var (ticket, cts) in _running)
                Cancel(ticket, cts, reason);
        }
    }

    public async Task CloseAsync()
    {
        _queue.Complete();
        CancelAll(CancelReason.Close);
        foreach (var thread in _threads)
            await Task.Run(thread.Join).ConfigureAwait(false);
    }

    private void Work()
    {
        // Jobs still queued at close are handed out, and see the close as their cancellation.
        while (_queue.TryTake(out var ticket))
            Run(ticket);
    }

    private void Run(JobTicket ticket)
    {
        using var cts = new CancellationTokenSource();
        lock (_running)
        {
            if (_cancelAll != CancelReason.None)
                ticket.TrySetCancelReason(_cancelAll);
            if (ticket.CancelReason != CancelReason.None)
            {
                _sink.Completed(ticket, Cancelled(ticket));
                return;
            }
            _running.Add(ticket, cts);
        }

        ticket.StartedAt = _sink.Now;
        ticket.Job.Status = JobStatus.Running;
        using var timeout = _jobTimeout is { } limit
            ? new Timer(_ => Cancel(ticket, cts, CancelReason.JobTimeout), null, limit, System.Threading.Timeout.InfiniteTimeSpan)
            : null;
        var job = new RunningJob(ticket.Job.Id, ticket.Job.Parameters, cts.Token, (budget, objective) => _sink.Recorded(ticket, budget, objective));
        RunOutcome outcome;
        try
        {
            outcome = RunOutcome.FromReturnValue(_invoker.InvokeAsync(job).AsTask().GetAwaiter().GetResult());
        }
        catch (Exception e)
        {
            outcome = RunOutcome.FromException(e);
        }
        lock (_running)
            _running.Remove(ticket);
        ticket.EndedAt = _sink.Now;
        _sink.Completed(ticket, outcome);
    }

    private void Cancel(JobTicket ticket, CancellationTokenSource cts, CancelReason reason)
    {
        lock (_running)
        {
            if (!_running.ContainsKey(ticket) || !ticket.TrySetCancelReason(reason))
                return;
            ticket.Job.Status = JobStatus.Cancelling;
            cts.Cancel();
        }
    }

    private static RunOutcome Cancelled(JobTicket ticket)
    {
        ticket.TrySetCancelReason(CancelReason.Close);
        return new RunOutcome(Objective.Failed(ticket.ForcedFailure), null, null);
    }
}
