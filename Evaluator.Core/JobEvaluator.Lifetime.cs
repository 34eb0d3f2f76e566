using System.Text.Json;
using Evaluator.Core.Csv;
using Evaluator.Core.Execution;

namespace Evaluator.Core;

public partial class JobEvaluator
{
    private readonly List<Job> _jobsNotDumped = [];
    private readonly Lock _deadlineLock = new();
    private TimeSpan? _timeout;
    private double _deadline = double.PositiveInfinity;
    private ITimer? _deadlineTimer;
    private ResultsCsvWriter? _dumpWriter;
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
    /// grace period. Every job not yet gathered becomes <see cref="JobStatus.Cancelled"/> and reaches <see cref="EvaluatorCallback.OnDone"/>;
    /// <see cref="EvaluatorCallback.OnClose"/> runs once, last. Calling it again does nothing.
    /// </summary>
    public Task CloseAsync()
    {
        lock (_deadlineLock)
            return _closing ??= CloseCoreAsync();
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

    private async Task CloseCoreAsync()
    {
        _closed = true;
        _deadlineTimer?.Dispose();
        await _executor.CloseAsync().ConfigureAwait(false);
        _completions.TryCollectAll(_collected);
        foreach (var ticket in _collected)
            Finish(ticket, JobStatus.Cancelled);
        _collected.Clear();
        foreach (var callback in _callbacks)
            callback.OnClose();
        _dumpWriter?.Dispose();
    }
}
