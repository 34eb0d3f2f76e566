namespace Evaluator.Core;

/// <summary>Worker processes cannot be started (missing executable, run function that fails to load in the worker...); the evaluator stops instead of retrying forever.</summary>
public sealed class WorkerStartException : EvaluatorException
{
    internal WorkerStartException(string message, Exception? innerException = null) : base(message, innerException) { }
}
