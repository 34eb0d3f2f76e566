using Evaluator.Core.Protocol;

namespace Evaluator.Core.Execution;

/// <summary>Refuses values that cannot cross to a worker process: only plain data (numbers, strings, bytes, lists, string-keyed maps) can.</summary>
internal static class BoundaryCheck
{
    public static void EnsurePlain(object? value, string what, string consequence = "")
    {
        if (!PlainData.IsPlain(value, out var problem))
            throw new ArgumentException(
                $"{what} holds {problem}, which cannot cross to a worker process{consequence}. "
                + "Values must be plain data: null, bool, integers, double, string, byte[], lists, or maps with string keys.");
    }
}
