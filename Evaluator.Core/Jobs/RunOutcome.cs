using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Evaluator.Core;

/// <summary>A run function's return value or exception, normalised the same way for every backend.</summary>
internal sealed record RunOutcome(Objective Objective, IReadOnlyDictionary<string, object?>? Metadata, JobError? Error)
{
    internal const string InvalidResult = "F_INVALID_RESULT";
    private const string Shapes = "a number, a tuple or array of numbers, a string starting with 'F', a map or RunResult with 'objective' and 'metadata'";

    public static RunOutcome FromException(Exception exception)
    {
        // Unwrap reflection and Task wrappers so the job reports what the run function threw.
        while (exception is TargetInvocationException or AggregateException { InnerExceptions.Count: 1 } && exception.InnerException is { } inner)
            exception = inner;
        var type = exception.GetType();
        return new(Objective.Failed("F_" + type.Name), null, new JobError(type.FullName ?? type.Name, exception.Message, exception.StackTrace));
    }

    public static RunOutcome FromReturnValue(object? value)
    {
        switch (value)
        {
            case RunResult result:
                return FromObjectiveAndMetadata(result.Objective, result.Metadata);
            case IReadOnlyDictionary<string, object?> map:
                return FromMap(map);
            case IDictionary map:
                return FromMap(map.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => map[k]));
            default:
                return FromObjectiveAndMetadata(value, null);
        }
    }

    private static RunOutcome FromMap(IReadOnlyDictionary<string, object?> map)
    {
        if (!map.TryGetValue("objective", out var objective))
            return Invalid($"The run function returned a map without an 'objective' key (keys: {string.Join(", ", map.Keys)}).");
        if (map.TryGetValue("metadata", out var metadata) && metadata is not null and not IReadOnlyDictionary<string, object?>)
            return Invalid($"The run function returned 'metadata' of type {metadata.GetType().Name}; expected a string-keyed map.");
        return FromObjectiveAndMetadata(objective, (IReadOnlyDictionary<string, object?>?)metadata);
    }

    private static RunOutcome FromObjectiveAndMetadata(object? objective, IReadOnlyDictionary<string, object?>? metadata)
    {
        metadata = ToPlain(metadata);
        if (TryParseObjective(objective, out var parsed, out var problem))
            return new(parsed, metadata, null);
        return Invalid(problem) with { Metadata = metadata };
    }

    private static bool TryParseObjective(object? value, out Objective objective, out string problem)
    {
        objective = null!;
        problem = "";
        switch (value)
        {
            case string text when text.StartsWith('F'):
                objective = Objective.Failed(text);
                return true;
            case string text:
                problem = $"The run function returned the string '{Truncate(text)}', which is not a failure: failures start with 'F'. Expected {Shapes}.";
                return false;
            case not null when TryNumber(value, out var number):
                objective = double.IsFinite(number) ? Objective.Single(number) : Objective.Failed("F");
                return true;
            case ITuple tuple:
                return TryParseMulti(Enumerable.Range(0, tuple.Length).Select(i => tuple[i]), out objective, out problem);
            case IEnumerable sequence and not IDictionary and not byte[]:
                return TryParseMulti(sequence.Cast<object?>(), out objective, out problem);
            default:
                problem = $"The run function returned {(value is null ? "null" : "a value of type " + value.GetType().FullName)}; expected {Shapes}.";
                return false;
        }
    }

    private static bool TryParseMulti(IEnumerable<object?> items, out Objective objective, out string problem)
    {
        var values = new List<double>();
        foreach (var item in items)
        {
            if (item is null || !TryNumber(item, out var number))
            {
                objective = null!;
                problem = $"The run function returned a multi-objective with an item of type {item?.GetType().FullName ?? "null"}; every item must be a number.";
                return false;
            }
            values.Add(number);
        }
        problem = "";
        objective = values.Count == 0 ? Objective.Failed("F")
            : values.All(double.IsFinite) ? Objective.Multi(values) : Objective.Failed("F");
        return true;
    }

    internal static bool TryNumber(object value, out double number)
    {
        switch (value)
        {
            case double d: number = d; return true;
            case float f: number = f; return true;
            case int i: number = i; return true;
            case long l: number = l; return true;
            case decimal m: number = (double)m; return true;
            case short s: number = s; return true;
            case byte b: number = b; return true;
            case sbyte sb: number = sb; return true;
            case ushort us: number = us; return true;
            case uint ui: number = ui; return true;
            case ulong ul: number = ul; return true;
            case Half h: number = (double)h; return true;
            default: number = 0; return false;
        }
    }

    // Metadata is stored, shared and sent between processes, so a value that is not plain data is kept as its text.
    private static IReadOnlyDictionary<string, object?>? ToPlain(IReadOnlyDictionary<string, object?>? metadata)
    {
        if (metadata is null || metadata.Values.All(v => Protocol.PlainData.IsPlain(v, out _)))
            return metadata;
        return metadata.ToDictionary(e => e.Key, e => Protocol.PlainData.IsPlain(e.Value, out _) ? e.Value : e.Value?.ToString());
    }

    private static RunOutcome Invalid(string message) =>
        new(Objective.Failed(InvalidResult), null, new JobError("InvalidResult", message, null));

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
