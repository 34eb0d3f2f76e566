namespace Evaluator.Core;

/// <summary>The base of every error the evaluator raises; messages are whole sentences naming what is involved.</summary>
public abstract class EvaluatorException : Exception
{
    /// <summary>Creates the exception with a message and an optional cause.</summary>
    protected EvaluatorException(string message, Exception? innerException = null) : base(message, innerException) { }
}
