namespace Evaluator.Core.Execution;

/// <summary>Why a job was asked to stop.</summary>
internal enum CancelReason
{
    None,
    JobTimeout,
    SearchTimeout,
    Close,
}

/// <summary>One submitted job's in-flight state, shared by the evaluator and the executor that runs it.</summary>
internal sealed class JobTicket(Job job, long number)
{
    private int _reason;

    public Job Job { get; } = job;

    /// <summary>A process-wide unique number the protocol uses to name the job.</summary>
    public long Number { get; } = number;

    public CancelReason CancelReason => (CancelReason)Volatile.Read(ref _reason);

    public double StartedAt { get; set; } = double.NaN;

    public double EndedAt { get; set; } = double.NaN;

    public int? WorkerPid { get; set; }

    /// <summary>Set once, by <see cref="IJobSink.Completed"/>.</summary>
    public RunOutcome? Outcome { get; set; }

    /// <summary>Records the first reason the job was asked to stop; returns false when it already had one.</summary>
    public bool TrySetCancelReason(CancelReason reason) =>
        Interlocked.CompareExchange(ref _reason, (int)reason, (int)CancelReason.None) == (int)CancelReason.None;

    /// <summary>The failure a job gets when it is stopped by force or before it started.</summary>
    public string ForcedFailure => CancelReason is CancelReason.JobTimeout or CancelReason.SearchTimeout ? "F_TIMEOUT" : "F_CANCELLED";
}
