namespace Evaluator.Core.Protocol;

/// <summary>The other end sent bytes that are not a well-formed frame holding a known message.</summary>
internal sealed class ProtocolException(string message, Exception? innerException = null)
    : EvaluatorException(message, innerException);
