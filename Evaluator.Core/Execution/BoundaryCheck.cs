using System.Collections;

namespace Evaluator.Core.Execution;

/// <summary>Refuses values that cannot cross to a worker process: only plain data (numbers, strings, bytes, lists, string-keyed maps) can.</summary>
internal static class BoundaryCheck
{
    public static void EnsurePlain(object? value, string what, string consequence = "")
    {
        if (!IsPlain(value, depth: 0, out var offending))
            throw new ArgumentException(
                $"{what} is {(offending is null ? "too deeply nested" : $"of type {offending}")}, which cannot cross to a worker process{consequence}. "
                + "Values must be plain data: null, bool, integers, double, string, byte[], lists, or maps with string keys.");
    }

    private static bool IsPlain(object? value, int depth, out string? offending)
    {
        offending = null;
        if (depth > 64)
            return false;
        switch (value)
        {
            case null or bool or string or byte[] or double or float or int or long or short or byte or sbyte or ushort or uint or ulong:
                return true;
            case IDictionary map:
                foreach (DictionaryEntry entry in map)
                    if (entry.Key is not string || !IsPlain(entry.Value, depth + 1, out offending))
                    {
                        offending ??= $"a map with a key of type {entry.Key.GetType().FullName}";
                        return false;
                    }
                return true;
            case IEnumerable<KeyValuePair<string, object?>> map:
                foreach (var (_, item) in map)
                    if (!IsPlain(item, depth + 1, out offending))
                        return false;
                return true;
            case IList list:
                foreach (var item in list)
                    if (!IsPlain(item, depth + 1, out offending))
                        return false;
                return true;
            default:
                offending = value.GetType().FullName;
                return false;
        }
    }
}
