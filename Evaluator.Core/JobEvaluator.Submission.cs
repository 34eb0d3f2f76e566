using Evaluator.Core.Execution;

namespace Evaluator.Core;

public sealed partial class JobEvaluator
{
    /// <summary>
    /// Submits configurations; each becomes a job that starts as soon as a worker is free. The whole batch is checked first, so a value
    /// that cannot be evaluated submits nothing. <see cref="EvaluatorCallback.OnLaunch"/> runs for each job before this returns.
    /// </summary>
    /// <remarks>
    /// A callback that throws in <see cref="EvaluatorCallback.OnLaunch"/> does not stop the submission: every job of the batch (that fits
    /// under <see cref="SetMaximumNumJobsSubmitted"/>) is still stored, counted, shown to every callback and queued, so a later gather
    /// returns it; then this throws a <see cref="CallbackException"/> whose <see cref="CallbackException.Jobs"/> holds the jobs created.
    /// </remarks>
    /// <returns>The jobs created.</returns>
    /// <exception cref="ArgumentException">A configuration is null or holds a value that cannot cross to a worker.</exception>
    /// <exception cref="JobLimitReachedException">The jobs past <see cref="SetMaximumNumJobsSubmitted"/> were not submitted (those that fit were).</exception>
    /// <exception cref="CallbackException">An <see cref="EvaluatorCallback.OnLaunch"/> threw; the jobs were submitted all the same. When the job
    /// limit was also reached, its <see cref="JobLimitReachedException"/> is the last of <see cref="CallbackException.Errors"/>.</exception>
    /// <exception cref="ObjectDisposedException">The evaluator is closed.</exception>
    public IReadOnlyList<Job> Submit(IEnumerable<IReadOnlyDictionary<string, object?>> configs)
    {
        ArgumentNullException.ThrowIfNull(configs);
        ThrowIfClosed("Submit");
        if (_completions.Fault is { } fault)
            throw fault;
        var batch = configs.ToList();
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is not { } config)
                throw new ArgumentException($"Configuration {i} of the batch is null; nothing was submitted.", nameof(configs));
            foreach (var (name, value) in config)
                BoundaryCheck.EnsurePlain(value, $"Parameter '{name}' of configuration {i}", "; nothing was submitted");
        }

        // Close takes this lock to mark the evaluator closed, so no job is queued after close collected the last completions.
        lock (_submitLock)
        {
            ThrowIfClosed("Submit");
            var fits = Math.Min(batch.Count, Math.Max(0, _maxSubmitted - _numSubmitted));
            var jobs = new Job[fits];
            List<CallbackFailure>? failures = null;
            using (EnterCallbacks())
            {
                for (var i = 0; i < fits; i++)
                {
                    var id = Storage.CreateNewJob(SearchId);
                    if (_storageShared)
                        lock (_localIds)
                            _localIds.Add(id);
                    // Copy the configuration so later changes by the caller cannot reach a queued job.
                    var parameters = new Dictionary<string, object?>(batch[i]);
                    var job = new Job(id, ParseNumber(id), parameters);
                    job.SetMetadata("timestamp_submit", Now);
                    Storage.StoreJobIn(id, parameters);
                    Storage.StoreJobStatus(id, JobStatus.Ready);
                    CallEach(nameof(EvaluatorCallback.OnLaunch), job, job, static (callback, job) => callback.OnLaunch(job), ref failures);
                    Interlocked.Increment(ref _numSubmitted);
                    jobs[i] = job;
                    var ticket = new JobTicket(job, NextTicketNumber());
                    if (IsPastDeadline)
                        ticket.TrySetCancelReason(CancelReason.SearchTimeout);
                    _executor.Enqueue(ticket);
                }
            }

            var limit = fits < batch.Count
                ? new JobLimitReachedException(
                    $"The evaluator may submit at most {_maxSubmitted} jobs (SetMaximumNumJobsSubmitted); {fits} of the {batch.Count} configurations were submitted and {batch.Count - fits} were not.")
                : null;
            if (failures is not null)
                throw CallbackFailure.ToException(failures, $"the batch's {fits} job(s) were submitted and queued; they are in Jobs", jobs, null, limit);
            if (limit is not null)
                throw limit;
            return jobs;
        }
    }

    /// <summary>Submits one configuration; see <see cref="Submit(IEnumerable{IReadOnlyDictionary{string, object}})"/>.</summary>
    public Job Submit(IReadOnlyDictionary<string, object?> config) => Submit([config])[0];

    /// <summary>Caps how many jobs may be submitted in all; <see cref="Submit(IEnumerable{IReadOnlyDictionary{string, object}})"/> refuses the ones past it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maximum"/> is negative.</exception>
    public void SetMaximumNumJobsSubmitted(int maximum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maximum);
        _maxSubmitted = maximum;
    }

    private static int ParseNumber(string jobId) =>
        int.Parse(jobId.AsSpan(jobId.LastIndexOf('.') + 1), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Raised when <c>Submit</c> goes past <see cref="JobEvaluator.SetMaximumNumJobsSubmitted"/>.</summary>
public sealed class JobLimitReachedException : EvaluatorException
{
    internal JobLimitReachedException(string message) : base(message) { }
}
