namespace Evaluator.Core;

/// <summary>
/// Where searches and their jobs are kept, as DeepHyper's storage contract has it: searches (<c>"0"</c>, <c>"1"</c>, ...),
/// jobs (<c>"&lt;search&gt;.&lt;n&gt;"</c>) with their input, output, metadata, status and intermediate records.
/// Implementations are safe to call from several threads; loads return snapshots that later writes do not change.
/// </summary>
public interface IJobStorage
{
    /// <summary>Creates a search and returns its id.</summary>
    string CreateNewSearch();

    /// <summary>Creates a job in a search and returns its id.</summary>
    /// <exception cref="KeyNotFoundException">The search does not exist.</exception>
    string CreateNewJob(string searchId);

    /// <summary>Stores the job's parameters.</summary>
    void StoreJobIn(string jobId, IReadOnlyDictionary<string, object?> parameters);

    /// <summary>Stores the job's output (objective or failure); the job then counts as having output, even when it is <c>0</c> or <c>null</c>.</summary>
    void StoreJobOut(string jobId, object? output);

    /// <summary>Stores one metadata value of the job.</summary>
    void StoreJobMetadata(string jobId, string key, object? value);

    /// <summary>Stores the job's status.</summary>
    void StoreJobStatus(string jobId, JobStatus status);

    /// <summary>Appends an intermediate objective the job reached at <paramref name="budget"/>.</summary>
    void StoreJobRecord(string jobId, double budget, double objective);

    /// <summary>Stores a value of the search (any plain data).</summary>
    void StoreSearchValue(string searchId, string key, object? value);

    /// <summary>Loads a value of the search, or <c>null</c>.</summary>
    object? LoadSearchValue(string searchId, string key);

    /// <summary>The ids of every search.</summary>
    IReadOnlyList<string> LoadAllSearchIds();

    /// <summary>The ids of every job of a search, in creation order.</summary>
    IReadOnlyList<string> LoadAllJobIds(string searchId);

    /// <summary>A snapshot of one job.</summary>
    /// <exception cref="KeyNotFoundException">The job does not exist.</exception>
    StoredJob LoadJob(string jobId);

    /// <summary>Snapshots of the jobs of a search that have output, in creation order.</summary>
    IReadOnlyList<StoredJob> LoadJobsDone(string searchId);
}

/// <summary>A snapshot of a stored job.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="In">Its parameters.</param>
/// <param name="Out">Its output (objective or failure), meaningful when <paramref name="HasOutput"/>.</param>
/// <param name="HasOutput">Whether an output was stored.</param>
/// <param name="Metadata">Its metadata.</param>
/// <param name="Status">Its status.</param>
/// <param name="Records">Its intermediate objectives, in the order recorded.</param>
public sealed record StoredJob(
    string Id,
    IReadOnlyDictionary<string, object?> In,
    object? Out,
    bool HasOutput,
    IReadOnlyDictionary<string, object?> Metadata,
    JobStatus Status,
    IReadOnlyList<JobRecord> Records);

/// <summary>An intermediate objective reached at a budget (an epoch, a number of samples...).</summary>
/// <param name="Budget">The budget spent so far.</param>
/// <param name="Objective">The objective reached.</param>
public readonly record struct JobRecord(double Budget, double Objective);
