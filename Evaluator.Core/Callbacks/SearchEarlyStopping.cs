namespace Evaluator.Core;

/// <summary>
/// DeepHyper's early stopping: tracks the best objective (largest; the sum of the values for multi-objective jobs) and sets
/// <see cref="EvaluatorCallback.SearchStopped"/> after <c>patience</c> successful jobs in a row that did not beat it by more than
/// <c>threshold</c>. Failed jobs are ignored. Jobs finished by other evaluators sharing the storage count too.
/// </summary>
public sealed class SearchEarlyStopping : EvaluatorCallback
{
    private readonly int _patience;
    private readonly double _threshold;

    /// <summary>Creates the callback.</summary>
    /// <param name="patience">How many successful jobs in a row without improvement stop the search; at least 1.</param>
    /// <param name="threshold">How much a job must beat the best objective by to count as an improvement; not negative.</param>
    public SearchEarlyStopping(int patience = 10, double threshold = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        if (!(threshold >= 0) || double.IsInfinity(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite number, zero or more.");
        _patience = patience;
        _threshold = threshold;
    }

    /// <summary>The best objective so far (the sum of the values for multi-objective jobs); <c>null</c> before the first success.</summary>
    public double? BestObjective { get; private set; }

    /// <summary>How many successful jobs in a row have not improved on <see cref="BestObjective"/>.</summary>
    public int JobsWithoutImprovement { get; private set; }

    /// <summary>Counts the job.</summary>
    public override void OnDone(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Objective is not { IsFailure: false } objective)
            return;
        var value = objective.Values.Sum();
        if (BestObjective is not { } best)
            BestObjective = value;
        else if (value > best + _threshold)
        {
            BestObjective = value;
            JobsWithoutImprovement = 0;
        }
        else if (++JobsWithoutImprovement >= _patience)
            SearchStopped = true;
    }

    /// <summary>Counts a job finished by another evaluator.</summary>
    public override void OnDoneOther(Job job) => OnDone(job);
}
