using Evaluator.Core.Execution;
using Evaluator.Core.Protocol;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Evaluator.Core.Workers;

/// <summary>
/// The <c>loky</c> backend: a pool of reused <c>Evaluator.WorkerHost</c> processes.
/// <code>
///  Enqueue / CancelAll / Close ─┐
///  worker frames (Result, Record)├─► events ─► one loop owns all state ─► Run / Cancel frames ─► workers
///  worker exits, timer ticks ────┘                 │
///                                                  └─► IJobSink.Completed ─► the evaluator's gather
/// </code>
/// Every change of state happens on the loop, so a dead worker is just another event: its running job fails, the jobs queued
/// behind it go back to the queue and a new worker is started (with retries and a circuit breaker, so a worker that cannot start
/// at all stops the evaluator with one error instead of a restart loop).
/// </summary>
internal sealed class WorkerPool : IJobExecutor
{
    /// <summary>
    /// Jobs a worker holds at least: the one it runs and one prefetched, so it never waits for the host between jobs. Short jobs get
    /// more (up to <see cref="MaxDepth"/>), about <see cref="InFlightBudgetMs"/> of estimated work per worker, so frames travel in
    /// batches; long jobs keep this depth, so queued jobs stay cancellable in the host and the load stays balanced.
    /// </summary>
    private const int MinDepth = 2;

    private const int MaxDepth = 64;

    private const double InFlightBudgetMs = 2;

    /// <summary>The shortest time between two reads of a worker's memory for <see cref="EvaluatorOptions.WorkerMemoryLimitBytes"/>.</summary>
    private static readonly TimeSpan MemoryCheckInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a worker whose stdin was closed may take to exit before it is killed.</summary>
    private static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    private readonly EvaluatorOptions _options;
    private readonly IJobSink _sink;
    private readonly WorkerLaunch _launch;
    private readonly WorkQueue<Event> _events = new();
    private readonly LinkedList<JobTicket> _queue = new();
    private readonly List<WorkerProcess> _workers = [];
    private readonly ResiliencePipeline _startPipeline;
    private readonly CancellationTokenSource _stopStarting = new();
    private readonly ITimer _timer;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly double _unixMsAtZero;
    private int _starting;
    private int _nextIndex;
    private bool _closing;
    private WorkerStartException? _fault;
    private double _timerDue = double.PositiveInfinity;
    private double _averageJobMs = double.NaN;
    private int _depth = MinDepth;

    public WorkerPool(RunFunction runFunction, IReadOnlyDictionary<string, object?> kwargs, EvaluatorOptions options, IJobSink sink)
    {
        _options = options;
        _sink = sink;
        _launch = WorkerLaunch.Resolve(options, runFunction, kwargs);
        _unixMsAtZero = UnixMs() - sink.Now * 1000;
        _timer = TimeProvider.System.CreateTimer(_ => _events.TryAdd(Tick.Instance), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _startPipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<WorkerStartException>(),
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(200),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Starts that keep failing mean the setup is wrong (missing worker, unloadable run function): stop trying.
                ShouldHandle = new PredicateBuilder().Handle<WorkerStartException>(),
                FailureRatio = 1.0,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromMinutes(1),
                BreakDuration = TimeSpan.FromMinutes(1),
            })
            .Build();
        for (var i = 0; i < options.NumWorkers; i++)
            StartWorker();
        new Thread(RunLoop) { IsBackground = true, Name = "Evaluator worker pool" }.Start();
    }

    public int NumWorkers => _options.NumWorkers;

    public void Enqueue(JobTicket ticket) => _events.TryAdd(new Enqueued(ticket));

    public void CancelAll(CancelReason reason) => _events.TryAdd(new CancelAllRequested(reason));

    public Task CloseAsync()
    {
        _events.TryAdd(new CancelAllRequested(CancelReason.Close));
        return _closed.Task;
    }

    private void RunLoop()
    {
        var batch = new List<Event>();
        try
        {
            while (true)
            {
                // The pool never completes its queue, so this always returns with events.
                batch.Clear();
                _events.TryTakeAll(batch);
                foreach (var e in batch)
                    Handle(e);
                Dispatch();
                if (_closing && _workers.Count == 0 && _starting == 0)
                    break;
                ArmTimer();
            }
        }
        catch (Exception e)
        {
            // A bug here must not hang the search: fail what is left and report it.
            _fault ??= new WorkerStartException($"The worker pool stopped on an internal error: {e}", e);
            _sink.Faulted(_fault);
            foreach (var worker in _workers)
                worker.Kill(WorkerExitReason.Stopped);
        }
        _timer.Dispose();
        _stopStarting.Cancel();
        foreach (var ticket in _queue)
            Cancelled(ticket);
        _queue.Clear();
        _closed.TrySetResult();
    }

    private void Handle(Event e)
    {
        switch (e)
        {
            case Enqueued { Ticket: var ticket }:
                if (_closing || _fault is not null || ticket.CancelReason != CancelReason.None)
                    Cancelled(ticket);
                else
                {
                    _queue.AddLast(ticket);
                    EnsureWorkers();
                }
                break;
            case CancelAllRequested { Reason: var reason }:
                CancelAllNow(reason);
                break;
            case Frame { Worker: var worker, Message: Result result }:
                OnResult(worker, result);
                break;
            case Frame { Worker: var worker, Message: Record record }:
                if (worker.InFlight.Find(t => t.Number == record.Ticket) is { } recorded)
                    _sink.Recorded(recorded, record.Budget, record.Objective);
                break;
            case Frame:
                break;
            case Exited { Worker: var worker, ExitCode: var code }:
                OnExited(worker, code);
                break;
            case Started { Worker: var worker }:
                _starting--;
                worker.Since = _sink.Now;
                _workers.Add(worker);
                if (_closing)
                    StopWorker(worker);
                break;
            case StartFailed { Error: var error }:
                _starting--;
                OnStartFailed(error);
                break;
            case Tick:
                _timerDue = double.PositiveInfinity;
                OnTick();
                break;
        }
    }

    private void OnResult(WorkerProcess worker, Result result)
    {
        var index = worker.InFlight.FindIndex(t => t.Number == result.Ticket);
        if (index < 0)
            return;
        var ticket = worker.InFlight[index];
        worker.InFlight.RemoveAt(index);
        worker.Delivered--;
        ticket.WorkerPid = worker.Pid;
        ticket.StartedAt = double.IsNaN(result.StartedUnixMs) ? double.NaN : (result.StartedUnixMs - _unixMsAtZero) / 1000;
        ticket.EndedAt = double.IsNaN(result.EndedUnixMs) ? _sink.Now : (result.EndedUnixMs - _unixMsAtZero) / 1000;
        _sink.Completed(ticket, ToOutcome(result));
        AdaptDepth(result.EndedUnixMs - result.StartedUnixMs);

        if (index == 0)
            NextHead(worker);
        if (worker.State == WorkerState.Ready && ShouldRecycle(worker))
            worker.State = WorkerState.Retiring;
        if (worker.InFlight.Count == 0 && (worker.State == WorkerState.Retiring || _closing))
            StopWorker(worker);
    }

    /// <summary>Follows a moving average of how long jobs run and sets the prefetch depth from it.</summary>
    private void AdaptDepth(double jobMs)
    {
        if (!double.IsFinite(jobMs) || jobMs < 0)
            return;
        _averageJobMs = double.IsNaN(_averageJobMs) ? jobMs : _averageJobMs + 0.1 * (jobMs - _averageJobMs);
        _depth = (int)Math.Clamp(InFlightBudgetMs / Math.Max(_averageJobMs, 0.001), MinDepth, MaxDepth);
    }

    private bool ShouldRecycle(WorkerProcess worker) =>
        (_options.MaxJobsPerWorker is { } max && worker.JobsSent >= max)
        || (_options.WorkerMemoryLimitBytes is { } limit && IsOverMemory(worker, limit));

    // Reading a worker's memory costs a read of /proc: it is done after a job, but at most once per MemoryCheckInterval, so a
    // stream of sub-millisecond jobs does not pay it each time (it cut 90,000 trivial jobs/s to 8,000).
    private bool IsOverMemory(WorkerProcess worker, long limit)
    {
        var now = _sink.Now;
        if (now < worker.NextMemoryCheck)
            return false;
        worker.NextMemoryCheck = now + MemoryCheckInterval.TotalSeconds;
        return worker.ResidentBytes() > limit;
    }

    private void NextHead(WorkerProcess worker)
    {
        worker.Since = _sink.Now;
        worker.CancelSent = false;
        worker.KillAt = double.PositiveInfinity;
        if (worker.InFlight.Count == 0)
            return;
        var head = worker.InFlight[0];
        head.Job.Status = JobStatus.Running;
        // A job cancelled while it waited behind another is told so as soon as it starts.
        if (head.CancelReason != CancelReason.None)
            RequestStop(worker, head);
    }

    private void OnExited(WorkerProcess worker, int? exitCode)
    {
        _workers.Remove(worker);
        for (var i = 0; i < worker.InFlight.Count; i++)
        {
            var ticket = worker.InFlight[i];
            ticket.WorkerPid = worker.Pid;
            if (i > 0 || i >= worker.Delivered || worker.ExitReason == WorkerExitReason.Stopped && !worker.CancelSent)
            {
                // Never started there: run it elsewhere, unless the search is stopping.
                if (_closing || ticket.CancelReason != CancelReason.None)
                    Cancelled(ticket);
                else
                    _queue.AddFirst(ticket);
                continue;
            }
            ticket.StartedAt = worker.Since;
            if (worker.ExitReason == WorkerExitReason.KilledForTimeout || worker.CancelSent)
                _sink.Completed(ticket, new RunOutcome(Objective.Failed(ticket.ForcedFailure), null,
                    new JobError("WorkerKilled", $"Job {ticket.Job.Id} ignored its cancellation for {_options.KillGracePeriod.TotalSeconds:0.###} s, so {worker} was killed.", null)));
            else
                _sink.Completed(ticket, new RunOutcome(Objective.Failed("F_WORKER_CRASHED"), null, new JobError(
                    "WorkerCrashed",
                    $"The {worker} died with {WorkerProcess.DescribeExit(exitCode)} while running job {ticket.Job.Id}"
                    + (worker.ExitReason == WorkerExitReason.ProtocolError ? " after sending a frame that could not be read." : "."),
                    worker.StderrTail)));
        }
        worker.InFlight.Clear();
        EnsureWorkers();
    }

    private void OnStartFailed(WorkerStartException error)
    {
        // While another worker lives or starts, the queue is served; once none is left, the setup is broken.
        if (_workers.Count == 0 && _starting == 0 && !_closing)
            Fault(error);
    }

    private void Fault(WorkerStartException error)
    {
        _fault ??= error;
        _sink.Faulted(_fault);
        foreach (var ticket in _queue)
            Cancelled(ticket);
        _queue.Clear();
    }

    private void OnTick()
    {
        var now = _sink.Now;
        foreach (var worker in _workers)
        {
            if (worker.InFlight.Count > 0)
            {
                var head = worker.InFlight[0];
                if (!worker.CancelSent && _options.JobTimeout is { } limit && now - worker.Since >= limit.TotalSeconds)
                {
                    head.TrySetCancelReason(CancelReason.JobTimeout);
                    RequestStop(worker, head);
                }
            }
            else if (worker.State == WorkerState.Ready && _options.WorkerIdleTimeout is { } idle && _queue.Count == 0
                     && now - worker.Since >= idle.TotalSeconds)
                StopWorker(worker);
            if (now >= worker.KillAt)
            {
                worker.KillAt = double.PositiveInfinity;
                worker.Kill(worker.State == WorkerState.Stopping ? WorkerExitReason.Stopped : WorkerExitReason.KilledForTimeout);
            }
        }
    }

    private void CancelAllNow(CancelReason reason)
    {
        if (reason == CancelReason.Close)
            _closing = true;
        foreach (var ticket in _queue)
        {
            ticket.TrySetCancelReason(reason);
            Cancelled(ticket);
        }
        _queue.Clear();
        foreach (var worker in _workers)
        {
            for (var i = 0; i < worker.InFlight.Count; i++)
            {
                worker.InFlight[i].TrySetCancelReason(reason);
                if (i == 0)
                    RequestStop(worker, worker.InFlight[0]);
                else
                    worker.Send(new Cancel(worker.InFlight[i].Number));
            }
            if (_closing && worker.InFlight.Count == 0)
                StopWorker(worker);
        }
        if (_closing)
            _stopStarting.Cancel();
    }

    /// <summary>Asks the running job to stop; the worker is killed if it has not answered after the grace period.</summary>
    private void RequestStop(WorkerProcess worker, JobTicket head)
    {
        if (worker.CancelSent)
            return;
        worker.CancelSent = true;
        head.Job.Status = JobStatus.Cancelling;
        worker.Send(new Cancel(head.Number));
        worker.KillAt = _sink.Now + _options.KillGracePeriod.TotalSeconds;
    }

    private void Dispatch()
    {
        if (_queue.Count > 0)
        {
            // Round-robin, filling every idle worker before any prefetch, so work spreads evenly.
            for (var depth = 1; depth <= _depth && _queue.Count > 0; depth++)
                foreach (var worker in _workers)
                {
                    if (_queue.Count == 0)
                        break;
                    if (worker.State != WorkerState.Ready || worker.InFlight.Count >= depth
                        || _options.MaxJobsPerWorker is { } max && worker.JobsSent >= max)
                        continue;
                    var ticket = _queue.First!.Value;
                    _queue.RemoveFirst();
                    worker.InFlight.Add(ticket);
                    worker.JobsSent++;
                    if (worker.InFlight.Count == 1)
                        NextHead(worker);
                    worker.Send(new Run(ticket.Number, ticket.Job.Id, ticket.Job.Parameters));
                }
        }
        foreach (var worker in _workers)
            worker.Flush();

        // A worker that reached its job limit with nothing left to run is replaced now.
        foreach (var worker in _workers)
            if (worker.State == WorkerState.Ready && worker.InFlight.Count == 0 && _options.MaxJobsPerWorker is { } max && worker.JobsSent >= max)
                StopWorker(worker);
    }

    /// <summary>Closes the worker's stdin so it exits; kills it if it has not exited a few seconds later.</summary>
    private void StopWorker(WorkerProcess worker)
    {
        if (worker.State == WorkerState.Stopping)
            return;
        worker.Stop();
        worker.KillAt = _sink.Now + StopGracePeriod.TotalSeconds;
    }

    private void EnsureWorkers()
    {
        if (_closing || _fault is not null || _queue.Count == 0)
            return;
        var live = _workers.Count(w => w.State != WorkerState.Stopping) + _starting;
        for (; live < _options.NumWorkers; live++)
            StartWorker();
    }

    private void StartWorker()
    {
        _starting++;
        var index = _nextIndex++;
        _ = Task.Run(async () =>
        {
            try
            {
                var worker = await _startPipeline.ExecuteAsync(
                    async ct => await WorkerProcess.StartAsync(_launch, index, _events, ct).ConfigureAwait(false),
                    _stopStarting.Token).ConfigureAwait(false);
                _events.TryAdd(new Started(worker));
            }
            catch (Exception e)
            {
                var error = e as WorkerStartException ?? new WorkerStartException(
                    e is BrokenCircuitException
                        ? $"Worker processes ('{_launch.Description}') failed to start several times in a row, so the evaluator stopped starting them."
                        : $"A worker process ('{_launch.Description}') could not be started: {e.Message}", e);
                _events.TryAdd(new StartFailed(error));
            }
        });
    }

    private void ArmTimer()
    {
        var due = double.PositiveInfinity;
        foreach (var worker in _workers)
        {
            due = Math.Min(due, worker.KillAt);
            if (worker.InFlight.Count > 0)
            {
                if (!worker.CancelSent && _options.JobTimeout is { } limit)
                    due = Math.Min(due, worker.Since + limit.TotalSeconds);
            }
            else if (_options.WorkerIdleTimeout is { } idle && worker.State == WorkerState.Ready)
                due = Math.Min(due, worker.Since + idle.TotalSeconds);
        }
        if (due == _timerDue || double.IsPositiveInfinity(due))
            return;
        _timerDue = due;
        _timer.Change(TimeSpan.FromSeconds(Math.Max(0, due - _sink.Now) + 0.001), Timeout.InfiniteTimeSpan);
    }

    private void Cancelled(JobTicket ticket)
    {
        ticket.TrySetCancelReason(CancelReason.Close);
        _sink.Completed(ticket, new RunOutcome(Objective.Failed("F_CANCELLED"), null, null));
    }

    private static RunOutcome ToOutcome(Result result)
    {
        var objective = result.Failure is { } failure ? Objective.Failed(failure)
            : result.IsScalar && result.Objectives is [var single] ? Objective.Single(single)
            : Objective.Multi(result.Objectives ?? []);
        var error = result.ErrorType is null ? null : new JobError(result.ErrorType, result.ErrorMessage ?? "", result.ErrorStackTrace);
        return new RunOutcome(objective, result.Metadata.Count == 0 ? null : result.Metadata, error);
    }

    private static double UnixMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    internal abstract record Event;

    private sealed record Enqueued(JobTicket Ticket) : Event;

    private sealed record CancelAllRequested(CancelReason Reason) : Event;

    internal sealed record Frame(WorkerProcess Worker, Message Message) : Event;

    internal sealed record Exited(WorkerProcess Worker, int? ExitCode) : Event;

    private sealed record Started(WorkerProcess Worker) : Event;

    private sealed record StartFailed(WorkerStartException Error) : Event;

    private sealed record Tick : Event
    {
        public static readonly Tick Instance = new();
    }
}
