namespace Evaluator.Core;

/// <summary>Keeps searches and jobs in this process's memory; the default storage. Share one instance to let evaluators see each other's jobs.</summary>
public sealed class MemoryStorage : IJobStorage
{
    private readonly Lock _lock = new();
    private readonly List<Search> _searches = [];

    /// <inheritdoc />
    public string CreateNewSearch()
    {
        lock (_lock)
        {
            _searches.Add(new Search());
            return (_searches.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    public string CreateNewJob(string searchId)
    {
        lock (_lock)
        {
            var search = FindSearch(searchId);
            var id = $"{searchId}.{search.Jobs.Count}";
            search.Jobs.Add(new Entry(id));
            return id;
        }
    }

    /// <inheritdoc />
    public void StoreJobIn(string jobId, IReadOnlyDictionary<string, object?> parameters)
    {
        lock (_lock)
            FindJob(jobId).In = parameters;
    }

    /// <inheritdoc />
    public void StoreJobOut(string jobId, object? output)
    {
        lock (_lock)
        {
            var job = FindJob(jobId);
            job.Out = output;
            job.HasOutput = true;
        }
    }

    /// <inheritdoc />
    public void StoreJobMetadata(string jobId, string key, object? value)
    {
        lock (_lock)
            (FindJob(jobId).Metadata ??= [])[key] = value;
    }

    /// <inheritdoc />
    public void StoreJobStatus(string jobId, JobStatus status)
    {
        lock (_lock)
            FindJob(jobId).Status = status;
    }

    /// <inheritdoc />
    public void StoreJobRecord(string jobId, double budget, double objective)
    {
        lock (_lock)
            (FindJob(jobId).Records ??= []).Add(new JobRecord(budget, objective));
    }

    /// <inheritdoc />
    public void StoreSearchValue(string searchId, string key, object? value)
    {
        lock (_lock)
            FindSearch(searchId).Values[key] = value;
    }

    /// <inheritdoc />
    public object? LoadSearchValue(string searchId, string key)
    {
        lock (_lock)
            return FindSearch(searchId).Values.GetValueOrDefault(key);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LoadAllSearchIds()
    {
        lock (_lock)
            return Enumerable.Range(0, _searches.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LoadAllJobIds(string searchId)
    {
        lock (_lock)
            return FindSearch(searchId).Jobs.Select(job => job.Id).ToArray();
    }

    /// <inheritdoc />
    public StoredJob LoadJob(string jobId)
    {
        lock (_lock)
            return Snapshot(jobId, FindJob(jobId));
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredJob> LoadJobsDone(string searchId)
    {
        lock (_lock)
        {
            var done = new List<StoredJob>();
            foreach (var job in FindSearch(searchId).Jobs)
                if (job.HasOutput)
                    done.Add(Snapshot(job.Id, job));
            return done;
        }
    }

    private static StoredJob Snapshot(string id, Entry job) => new(
        id,
        job.In is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(job.In),
        job.Out,
        job.HasOutput,
        job.Metadata is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(job.Metadata),
        job.Status,
        job.Records?.ToArray() ?? []);

    private Search FindSearch(string searchId) =>
        int.TryParse(searchId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < _searches.Count
            ? _searches[index]
            : throw new KeyNotFoundException($"The storage has no search '{searchId}'.");

    // A job id is "<search>.<n>": the n-th entry of its search, found by index rather than by hashing the id.
    private Entry FindJob(string jobId)
    {
        var dot = jobId.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0
            && int.TryParse(jobId.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var search)
            && int.TryParse(jobId.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && search < _searches.Count && number < _searches[search].Jobs.Count
            && _searches[search].Jobs[number].Id == jobId)
            return _searches[search].Jobs[number];
        throw new KeyNotFoundException($"The storage has no job '{jobId}'.");
    }

    private sealed class Search
    {
        public List<Entry> Jobs { get; } = [];
        public Dictionary<string, object?> Values { get; } = [];
    }

    // Fields start null so a job that is only counted costs a few words.
    private sealed class Entry(string id)
    {
        public readonly string Id = id;
        public IReadOnlyDictionary<string, object?>? In;
        public object? Out;
        public bool HasOutput;
        public Dictionary<string, object?>? Metadata;
        public JobStatus Status;
        public List<JobRecord>? Records;
    }
}
