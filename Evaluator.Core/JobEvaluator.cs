using Evaluator.Core.Execution;
using Evaluator.Core.Workers;

namespace Evaluator.Core;

/// <summary>
/// Runs a run function on configurations in parallel: <see cref="Submit(IEnumerable{IReadOnlyDictionary{string, object}})"/> them, then <see cref="GatherAsync"/> finished jobs.
/// Create one with <see cref="Create(RunFunction, string, EvaluatorOptions?)"/>; close it with <see cref="CloseAsync"/> or <c>await using</c>.
/// </summary>
public sealed partial class JobEvaluator : IAsyncDisposable, IDisposable
{
    /// <summary>The objective of a failed job, as DeepHyper has it.</summary>
    public const string FailReturnValue = "F";

    private static readonly string[] Methods = ["serial", "thread", "loky", "process"];
    private static long s_nextTicket;

    private readonly IJobExecutor _executor;
    private readonly EvaluatorOptions _options;
    private readonly EvaluatorCallback[] _callbacks;
    private readonly TimeProvider _time;
    private readonly long _createdAt;
    private readonly CompletionQueue _completions;
    private readonly string _method;
    private readonly bool _storageShared;
    private int _numSubmitted;
    private int _numGathered;
    private int _maxSubmitted = int.MaxValue;
    private volatile bool _closed;

    private JobEvaluator(string method, Func<IJobSink, IJobExecutor> executor, EvaluatorOptions options)
    {
        _method = method;
        _options = options;
        _callbacks = [.. options.Callbacks];
        _time = options.TimeProvider;
        _createdAt = _time.GetTimestamp();
        _storageShared = options.Storage is not null;
        Storage = options.Storage ?? new MemoryStorage();
        IsMaster = options.SearchId is null;
        SearchId = options.SearchId ?? Storage.CreateNewSearch();
        _completions = new CompletionQueue(this);
        _executor = executor(_completions);
        if (options.Timeout is { } timeout)
            Timeout = timeout;
    }

    /// <summary>Creates an evaluator that runs <paramref name="runFunction"/> with <paramref name="method"/>: <c>serial</c>, <c>thread</c> or <c>loky</c> (alias <c>process</c>).</summary>
    /// <exception cref="ArgumentException">The method is unknown or an option is invalid.</exception>
    /// <exception cref="InvalidRunFunctionException">The run function cannot be loaded or has a signature workers cannot call.</exception>
    public static JobEvaluator Create(RunFunction runFunction, string method = "serial", EvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runFunction);
        ArgumentNullException.ThrowIfNull(method);
        options ??= new EvaluatorOptions();
        var normalized = method.Trim().ToLowerInvariant();
        if (!Methods.Contains(normalized))
            throw new ArgumentException($"'{method}' is not an evaluator method; use one of: {string.Join(", ", Methods)}.", nameof(method));
        options.Validate();
        if (options.SearchId is { } searchId && options.Storage is { } storage)
            ThrowIfNoSearch(storage, searchId);
        else if (options.SearchId is not null)
            throw new ArgumentException("EvaluatorOptions.SearchId names a search to join, so EvaluatorOptions.Storage must be the storage that holds it.", nameof(options));

        var isolated = normalized is "loky" or "process";
        var kwargs = new Dictionary<string, object?>(options.RunFunctionKwargs);
        if (isolated)
            foreach (var (name, value) in kwargs)
                BoundaryCheck.EnsurePlain(value, $"RunFunctionKwargs['{name}']");
        var invoker = RunFunctionInvoker.Bind(RunFunctionLoader.Load(runFunction, collectible: isolated), kwargs);

        return normalized switch
        {
            "serial" => new JobEvaluator(normalized, sink => new InProcessExecutor(invoker, 1, options.JobTimeout, sink), options),
            "thread" => new JobEvaluator(normalized, sink => new InProcessExecutor(invoker, options.NumWorkers, options.JobTimeout, sink), options),
            _ => new JobEvaluator("loky", sink => new WorkerPool(runFunction, kwargs, options, sink), options),
        };
    }

    /// <summary>Creates an evaluator from a static method or a lambda that captures nothing; see <see cref="Create(RunFunction, string, EvaluatorOptions?)"/>.</summary>
    public static JobEvaluator Create(Delegate runFunction, string method = "serial", EvaluatorOptions? options = null) =>
        Create(RunFunction.From(runFunction), method, options);

    /// <summary>How many jobs run at once.</summary>
    public int NumWorkers => _executor.NumWorkers;

    /// <summary>How many jobs were submitted.</summary>
    public int NumJobsSubmitted => Volatile.Read(ref _numSubmitted);

    /// <summary>How many jobs were gathered.</summary>
    public int NumJobsGathered => Volatile.Read(ref _numGathered);

    /// <summary>Whether this evaluator created its search (rather than joining one through <see cref="EvaluatorOptions.SearchId"/>).</summary>
    public bool IsMaster { get; }

    /// <summary>The id of the search the jobs belong to.</summary>
    public string SearchId { get; }

    /// <summary>Where searches and jobs are kept.</summary>
    public IJobStorage Storage { get; }

    /// <summary>Whether a callback asked the search to stop (for example <see cref="SearchEarlyStopping"/>).</summary>
    public bool SearchStopped => _callbacks.Any(c => c.SearchStopped);

    /// <summary>Seconds since the evaluator was created; the clock of every <c>timestamp_*</c> metadata value.</summary>
    internal double Now => _time.GetElapsedTime(_createdAt).TotalSeconds;

    private static void ThrowIfNoSearch(IJobStorage storage, string searchId)
    {
        if (!storage.LoadAllSearchIds().Contains(searchId))
            throw new ArgumentException($"EvaluatorOptions.SearchId is '{searchId}', but the storage has no such search.", nameof(EvaluatorOptions.SearchId));
    }

    internal static long NextTicketNumber() => Interlocked.Increment(ref s_nextTicket);
}
