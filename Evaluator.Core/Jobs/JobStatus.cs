namespace Evaluator.Core;

/// <summary>Where a job is in its life.</summary>
public enum JobStatus
{
    /// <summary>Submitted, waiting for a worker.</summary>
    Ready,
    /// <summary>Running on a worker.</summary>
    Running,
    /// <summary>Finished, with an objective or a failure.</summary>
    Done,
    /// <summary>Asked to stop (job timeout, search deadline or close); the run function may still return.</summary>
    Cancelling,
    /// <summary>Stopped before it finished normally.</summary>
    Cancelled,
}
