namespace Evaluator.Core;

/// <summary>How an evaluator runs jobs. Every value is checked once, by <see cref="JobEvaluator.Create(RunFunction, string, EvaluatorOptions?)"/>.</summary>
public sealed class EvaluatorOptions
{
    /// <summary>How many jobs run at once (workers, threads); <c>serial</c> always uses one. Default: 1.</summary>
    public int NumWorkers { get; set; } = 1;

    /// <summary>Values for the run function's parameters after the first, bound by name. Plain data only for <c>loky</c>.</summary>
    public IDictionary<string, object?> RunFunctionKwargs { get; set; } = new Dictionary<string, object?>();

    /// <summary>Hooks called at launch, completion, gather and close.</summary>
    public IList<EvaluatorCallback> Callbacks { get; set; } = new List<EvaluatorCallback>();

    /// <summary>Where searches and jobs are kept. Default: a new <see cref="MemoryStorage"/>.</summary>
    public IJobStorage? Storage { get; set; }

    /// <summary>The search to add jobs to; <c>null</c> creates a new search in <see cref="Storage"/>.</summary>
    public string? SearchId { get; set; }

    /// <summary>How long one job may run before it is asked to stop; <c>null</c>: no limit.</summary>
    public TimeSpan? JobTimeout { get; set; }

    /// <summary>How long a job asked to stop may take to return before its worker is killed (<c>loky</c>). Default: 2 s.</summary>
    public TimeSpan KillGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The search deadline, from the evaluator's creation; <c>null</c>: none. Same as setting <see cref="JobEvaluator.Timeout"/>.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>How long a worker process may stay idle before it exits (<c>loky</c>); <c>null</c>: workers stay until close.</summary>
    public TimeSpan? WorkerIdleTimeout { get; set; }

    /// <summary>How many jobs a worker process runs before it is replaced (<c>loky</c>); <c>null</c>: no limit.</summary>
    public int? MaxJobsPerWorker { get; set; }

    /// <summary>A worker process whose memory exceeds this many bytes after a job is replaced (<c>loky</c>); <c>null</c>: no limit.</summary>
    public long? WorkerMemoryLimitBytes { get; set; }

    /// <summary>The worker executable (<c>Evaluator.WorkerHost</c> or its <c>.dll</c>); <c>null</c>: found in the application's folder.</summary>
    public string? WorkerPath { get; set; }

    /// <summary>
    /// Where the lines worker processes print (a run function's <c>Console</c> output, stdout and stderr alike) are copied, each
    /// prefixed with its worker (<c>loky</c>); <c>null</c>: not shown, only the last lines kept for crash reports. <c>Console.Error</c>
    /// shows them as a loky or multiprocessing pool would.
    /// </summary>
    public TextWriter? WorkerOutput { get; set; }

    /// <summary>Environment variables set for worker processes (<c>loky</c>).</summary>
    public IDictionary<string, string> WorkerEnvironment { get; set; } = new Dictionary<string, string>();

    /// <summary>The clock; tests replace it to control time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        static bool IsExecutable(string path) =>
            (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

        static void Require(bool ok, string name, string rule, object? value)
        {
            if (!ok)
                throw new ArgumentException($"EvaluatorOptions.{name} {rule}, but it is {value ?? "null"}.", name);
        }

        Require(NumWorkers >= 1, nameof(NumWorkers), "must be at least 1", NumWorkers);
        Require(RunFunctionKwargs is not null, nameof(RunFunctionKwargs), "must not be null", null);
        Require(Callbacks is not null && Callbacks.All(c => c is not null), nameof(Callbacks), "must be a list without null entries", Callbacks is null ? null : "a list with a null entry");
        Require(JobTimeout is null || JobTimeout > TimeSpan.Zero, nameof(JobTimeout), "must be positive or null", JobTimeout);
        Require(KillGracePeriod >= TimeSpan.Zero, nameof(KillGracePeriod), "must not be negative", KillGracePeriod);
        Require(Timeout is null || Timeout > TimeSpan.Zero, nameof(Timeout), "must be positive or null", Timeout);
        Require(WorkerIdleTimeout is null || WorkerIdleTimeout > TimeSpan.Zero, nameof(WorkerIdleTimeout), "must be positive or null", WorkerIdleTimeout);
        Require(MaxJobsPerWorker is null or >= 1, nameof(MaxJobsPerWorker), "must be at least 1 or null", MaxJobsPerWorker);
        Require(WorkerMemoryLimitBytes is null or >= 16L << 20, nameof(WorkerMemoryLimitBytes), "must be at least 16 MiB (16777216) or null", WorkerMemoryLimitBytes);
        Require(WorkerEnvironment is not null, nameof(WorkerEnvironment), "must not be null", null);
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null", null);
        Require(SearchId is null || SearchId.Length > 0, nameof(SearchId), "must not be empty", "''");
        if (WorkerPath is not null)
        {
            Require(File.Exists(WorkerPath), nameof(WorkerPath), "must name an existing file", $"'{WorkerPath}', which does not exist");
            Require(WorkerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || OperatingSystem.IsWindows() || IsExecutable(WorkerPath),
                nameof(WorkerPath), "must name Evaluator.WorkerHost.dll or an executable file", $"'{WorkerPath}', which is neither");
        }
    }
}
