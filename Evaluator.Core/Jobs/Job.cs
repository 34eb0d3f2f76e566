namespace Evaluator.Core;

/// <summary>One evaluation of the run function on one configuration, from submission to gathering.</summary>
public sealed class Job
{
    private readonly Dictionary<string, object?> _metadata;
    private volatile JobStatus _status = JobStatus.Ready;

    internal Job(string id, int number, IReadOnlyDictionary<string, object?> parameters, Dictionary<string, object?>? metadata = null)
    {
        Id = id;
        Number = number;
        Parameters = parameters;
        _metadata = metadata ?? new Dictionary<string, object?>(6);
    }

    /// <summary>The job's id, <c>"&lt;searchId&gt;.&lt;n&gt;"</c>.</summary>
    public string Id { get; }

    /// <summary>The job's number within its search (the <c>job_id</c> column of <c>results.csv</c>).</summary>
    public int Number { get; }

    /// <summary>The configuration evaluated.</summary>
    public IReadOnlyDictionary<string, object?> Parameters { get; }

    /// <summary>Where the job is in its life.</summary>
    public JobStatus Status { get => _status; internal set => _status = value; }

    /// <summary>What the job produced, as DeepHyper shapes it: <c>{"objective": ..., "metadata": {...}}</c>; <c>null</c> until it is done.</summary>
    public IReadOnlyDictionary<string, object?>? Output => Objective is null
        ? null
        : new Dictionary<string, object?>(2) { ["objective"] = ObjectiveAsPlainData(Objective), ["metadata"] = _metadata };

    /// <summary>The objective, or a failure such as <c>F_TIMEOUT</c>; <c>null</c> until the job is done.</summary>
    public Objective? Objective { get; private set; }

    /// <summary>Timestamps (<c>timestamp_submit</c>, <c>timestamp_start</c>, <c>timestamp_end</c>, <c>timestamp_gather</c>, in seconds since the evaluator was created), <c>worker_pid</c>, and the run function's own keys.</summary>
    public IReadOnlyDictionary<string, object?> Metadata => _metadata;

    /// <summary>Why the job failed, when the run function threw or its worker died; otherwise <c>null</c>.</summary>
    public JobError? Error { get; private set; }

    /// <summary>Whether the job has an objective (success or failure).</summary>
    public bool IsDone => Objective is not null;

    internal void SetMetadata(string key, object? value) => _metadata[key] = value;

    internal void Complete(Objective objective, IReadOnlyDictionary<string, object?>? metadata, JobError? error, JobStatus status)
    {
        if (metadata is not null)
            foreach (var (key, value) in metadata)
                _metadata[key] = value;
        Objective = objective;
        Error = error;
        Status = status;
    }

    internal static object ObjectiveAsPlainData(Objective objective) =>
        objective.Failure ?? (objective.IsScalar ? objective.Values[0] : (object)objective.Values.ToArray());

    /// <inheritdoc />
    public override string ToString() => $"Job {Id} ({Status}{(Objective is null ? "" : ", " + Objective)})";
}
