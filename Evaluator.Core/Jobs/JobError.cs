namespace Evaluator.Core;

/// <summary>Why a job failed: the exception type, its message and the stack trace where it was thrown (in the worker for remote jobs).</summary>
/// <param name="Type">The exception type's full name, or a cause such as <c>WorkerCrashed</c>.</param>
/// <param name="Message">The message.</param>
/// <param name="StackTrace">The stack trace where it was thrown, or details such as the worker's stderr tail.</param>
public sealed record JobError(string Type, string Message, string? StackTrace)
{
    /// <inheritdoc />
    public override string ToString() => StackTrace is null ? $"{Type}: {Message}" : $"{Type}: {Message}{Environment.NewLine}{StackTrace}";
}
