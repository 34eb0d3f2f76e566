using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Evaluator.Core.Protocol;

internal static class PlainData
{
    // Lets Submit refuse a whole batch up front, naming the parameter, instead of a frame failing later.
    // The problem reads as the end of a sentence: "parameter 'x' holds {problem}".
    public static bool IsPlain(object? value, [NotNullWhen(false)] out string? problem) =>
        IsPlain(value, depth: 0, out problem);

    private static bool IsPlain(object? value, int depth, [NotNullWhen(false)] out string? problem)
    {
        problem = null;
        switch (value)
        {
            case null or bool or sbyte or byte or short or ushort or int or uint or long or float or double or string or byte[]:
                return true;
            case IReadOnlyDictionary<string, object?> or IDictionary or IList when depth >= WireFormat.MaxNesting:
                problem = $"lists and maps nested more than {WireFormat.MaxNesting} deep";
                return false;
            case IReadOnlyDictionary<string, object?> map:
                foreach (object? item in map.Values)
                {
                    if (!IsPlain(item, depth + 1, out problem))
                        return false;
                }
                return true;
            case IDictionary map:
                foreach (DictionaryEntry entry in map)
                {
                    if (entry.Key is not string)
                    {
                        problem = $"a map key of type {entry.Key.GetType()}";
                        return false;
                    }
                    if (!IsPlain(entry.Value, depth + 1, out problem))
                        return false;
                }
                return true;
            case IList list:
                foreach (object? item in list)
                {
                    if (!IsPlain(item, depth + 1, out problem))
                        return false;
                }
                return true;
            default:
                problem = $"a value of type {value.GetType()}";
                return false;
        }
    }
}
