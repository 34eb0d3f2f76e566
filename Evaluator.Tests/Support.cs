namespace Evaluator.Tests;

/// <summary>Small helpers shared by the specs.</summary>
internal static class Support
{
    public static IReadOnlyDictionary<string, object?> Config(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);

    public static IEnumerable<IReadOnlyDictionary<string, object?>> Xs(int count, int start = 0) =>
        Enumerable.Range(start, count).Select(i => Config(("x", i)));
}
