namespace Evaluator.Core;

/// <summary>The run function cannot be loaded or has a signature workers cannot call; raised by <see cref="JobEvaluator.Create(RunFunction, string, EvaluatorOptions?)"/>.</summary>
public sealed class InvalidRunFunctionException : EvaluatorException
{
    internal const string AcceptedShapes =
        "Accepted shapes: a static method (or a lambda that captures nothing) whose first parameter is RunningJob or IReadOnlyDictionary<string, object?>, "
        + "followed by parameters bound by name from EvaluatorOptions.RunFunctionKwargs and an optional trailing CancellationToken, "
        + "returning a number, a tuple or array of numbers, a string starting with 'F', a map or RunResult with 'objective' and 'metadata', "
        + "or a Task<T> or ValueTask<T> of one of these.";

    internal InvalidRunFunctionException(string message, Exception? innerException = null) : base(message, innerException) { }
}
