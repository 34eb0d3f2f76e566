namespace Evaluator.Core;

/// <summary>
/// Raised by <c>Submit</c>, a gather or <c>Close</c> after one or more <see cref="EvaluatorCallback"/> hooks threw. The evaluator finished its
/// own work first: every job was still submitted and queued (<c>Submit</c>), or finished, stored, counted and shown to every other callback
/// (a gather, <c>Close</c>), so no job is lost or reported twice. <see cref="Exception.InnerException"/> is the first error.
/// </summary>
public sealed class CallbackException : EvaluatorException
{
    internal CallbackException(string message, IReadOnlyList<Exception> errors, IReadOnlyList<Job> jobs, GatherResult? result)
        : base(message, errors[0])
    {
        Errors = errors;
        Jobs = jobs;
        Result = result;
    }

    /// <summary>Every error, in the order the hooks threw (a <see cref="JobLimitReachedException"/> from <c>Submit</c> comes last).</summary>
    public IReadOnlyList<Exception> Errors { get; }

    /// <summary>The jobs the call submitted (<c>Submit</c>) or finished (a gather, <c>Close</c>), which the call could not return.</summary>
    public IReadOnlyList<Job> Jobs { get; }

    /// <summary>What the gather would have returned; for <c>Close</c>, the jobs it cancelled; <c>null</c> for <c>Submit</c>.</summary>
    public GatherResult? Result { get; }
}
