using System.Text.Json;
using Evaluator.Core.Csv;
using Evaluator.Core.Execution;

namespace Evaluator.Core;

public sealed partial class JobEvaluator
{
    private readonly List<Job> _jobsNotDumped = [];
    private readonly Lock _deadlineLock = new();
    private TimeSpan? _timeout;
    private double _deadline = double.PositiveInfinity;
    private ITimer? _deadlineTimer;
    private ResultsCsvWriter? _dumpWriter;
    private readonly Lock _submitLock = new();
    private Task? _closing;

    /// <summary>
    /// The search deadline: setting it gives the search that long from now; <c>null</c> removes it. When it passes, every queued and
    /// running job is asked to stop (and, on <c>loky</c>, killed after <see cref="EvaluatorOptions.KillGracePeriod"/>).
    /// </summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        set
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The search timeout must be positive or null.");
            lock (_deadlineLock)
            {
                _deadlineTimer?.Dispose();
                _deadlineTimer = null;
                _timeout = value;
                _deadline = value is { } t ? Now + t.TotalSeconds : double.PositiveInfinity;
                if (value is { } due)
                    _deadlineTimer = _time.CreateTimer(_ => OnDeadline(), null, due, System.Threading.Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnDeadline()
    {
        // Timers may fire a little early; from here on the search is past its deadline whatever the clock says.
        lock (_deadlineLock)
            _deadline = Math.Min(_deadline, Now);
        _executor.CancelAll(CancelReason.SearchTimeout);
    }

    private void ThrowIfClosed(string call)
    {
        if (_closed)
            throw new ObjectDisposedException(nameof(JobEvaluator),
                $"{call} was called after the evaluator was closed; its jobs are final. Create a new evaluator (with the same Storage and SearchId to continue the search).");
    }

    /// <summary>The time left before the search deadline (never negative); <c>null</c> when there is none.</summary>
    public TimeSpan? TimeLeft => _timeout is null ? null : TimeSpan.FromSeconds(Math.Max(0, _deadline - Now));

    private bool IsPastDeadline => Now >= _deadline;

    /// <summary>Appends the jobs gathered since the last call to a CSV file in DeepHyper's <c>results.csv</c> format.</summary>
    /// <param name="logDir">The folder of the file; created if missing.</param>
    /// <param name="filename">The file's name.</param>
    /// <param name="flush">Whether to force the rows to disk before returning (they always reach the operating system).</param>
    public void DumpJobsDoneToCsv(string logDir = ".", string filename = "results.csv", bool flush = false)
    {
        var path = Path.GetFullPath(Path.Combine(logDir, filename));
        if (_dumpWriter is null || _dumpWriter.Path != path)
        {
            _dumpWriter?.Dispose();
            _dumpWriter = new ResultsCsvWriter(path);
        }
        _dumpWriter.Write(_jobsNotDumped, flush);
        _jobsNotDumped.Clear();
    }

    /// <summary>The evaluator's settings as JSON, with DeepHyper's keys (<c>type</c>, <c>num_workers</c>) and more.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["type"] = nameof(JobEvaluator),
        ["method"] = _method,
        ["num_workers"] = NumWorkers,
        ["search_id"] = SearchId,
        ["storage"] = Storage.GetType().Name,
        ["job_timeout"] = _options.JobTimeout?.TotalSeconds,
        ["timeout"] = _timeout?.TotalSeconds,
        ["callbacks"] = _callbacks.Select(c => c.GetType().Name).ToArray(),
    });

    /// <summary>
    /// Stops the evaluator: queued jobs are cancelled (<c>F_CANCELLED</c>), running ones asked to stop and, on <c>loky</c>, killed after the
    /// grace period. Every job not yet gathered becomes <see cref="JobStatus.Cancelled"/> and reaches <see cref="EvaluatorCallback.OnDone"/>
    /// (and the CSV); one that had already finished keeps its objective and metadata;
    /// <see cref="EvaluatorCallback.OnClose"/> runs once, last. Calling it again does nothing (and does not throw again).
    /// </summary>
    /// <remarks>
    /// <para>Safe to call while another thread is inside a gather: that gather stops waiting and returns the jobs finished so far, and close
    /// waits for it to return before it finishes the other jobs, so callbacks never run on two threads at once and no job is reported twice.</para>
    /// <para>A callback that throws does not stop close: every other callback still sees every job, every <see cref="EvaluatorCallback.OnClose"/>
    /// runs, and then the first call's task fails with a <see cref="CallbackException"/> (its <see cref="CallbackException.Result"/> holds
    /// the jobs close finished).</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from one of this evaluator's callbacks (which would wait for itself); set
    /// <see cref="EvaluatorCallback.SearchStopped"/> instead and close from the search driver.</exception>
    public Task CloseAsync()
    {
        var closing = Volatile.Read(ref _closing);
        if (closing is null && InCallback)
            throw new InvalidOperationException("Close was called from inside one of this evaluator's callbacks, where it would wait for itself; set SearchStopped in the callback and close the evaluator from the search driver instead.");
        if (closing is null)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref _closing, started.Task, null) is null)
            {
                _ = RunCloseAsync(started);
                return started.Task;
            }
            closing = _closing;
        }
        // A second close does nothing: it waits for the first (unless called from a callback it runs) and never throws its errors again.
        return InCallback || closing.IsCompleted
            ? Task.CompletedTask
            : closing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Closes the evaluator and waits; see <see cref="CloseAsync"/>.</summary>
    public void Close() => CloseAsync().GetAwaiter().GetResult();

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }

    private async Task RunCloseAsync(TaskCompletionSource done)
    {
        try
        {
            await CloseCoreAsync().ConfigureAwait(false);
            done.TrySetResult();
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
    }

    private async Task CloseCoreAsync()
    {
        // From here on no Submit queues a job (it checks _closed under the same lock) and no gather starts.
        lock (_submitLock)
            _closed = true;
        lock (_deadlineLock)
        {
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
        }
        // A gather waiting on another thread wakes, sees _closed and returns what it has; close then holds the gate for good.
        _completions.Wake();
        await _gatherGate.WaitAsync().ConfigureAwait(false);
        List<CallbackFailure>? failures = null;
        Job[] remaining;
        try
        {
            await _executor.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _completions.TryCollectAll(_collected);
            // Every job not gathered before close is CANCELLED, as in DeepHyper; one that had finished keeps its objective and metadata.
            remaining = FinishCollected(JobStatus.Cancelled);
            using (EnterCallbacks())
            {
                CallOnDone(remaining, ref failures);
                CallEach(nameof(EvaluatorCallback.OnClose), null, (object?)null, static (callback, _) => callback.OnClose(), ref failures);
            }
            _dumpWriter?.Dispose();
        }
        if (failures is not null)
            throw CallbackFailure.ToException(failures, $"close finished; the {remaining.Length} job(s) it finished are in Result", remaining, new GatherResult(remaining, []));
    }
}
