using Evaluator.Core.Protocol;

namespace Evaluator.Tests.Protocol;

internal static class Samples
{
    public static readonly Dictionary<string, object?> Nested = new()
    {
        ["null"] = null,
        ["bool"] = true,
        ["int"] = -7,
        ["long"] = long.MinValue,
        ["double"] = 0.1,
        ["float"] = 1.5f,
        ["string"] = "héllo ✓",
        ["empty string"] = "",
        ["bytes"] = new byte[] { 0, 1, 255 },
        ["list"] = new List<object?> { 1, "two", null, new object?[] { 3.0, new Dictionary<string, object?>() } },
        ["map"] = new Dictionary<string, object?> { ["inner"] = new Dictionary<string, object?> { ["x"] = 1 } },
        ["empty list"] = Array.Empty<object?>(),
    };

    private static readonly Dictionary<string, object?> Empty = new();

    // Every kind, each with its fields full and with its nullable fields null or empty.
    public static readonly (string Name, Message Message)[] Messages =
    [
        ("Load", new Load("/app/My.dll", "My.Namespace.Type", "Method", Nested)),
        ("Load, empty", new Load("", "", "", Empty)),
        ("Run", new Run(42, "search.42", Nested)),
        ("Run, empty", new Run(long.MaxValue, "", Empty)),
        ("Cancel", new Cancel(-1)),
        ("Shutdown", new Shutdown()),
        ("Hello", new Hello(WireFormat.ProtocolVersion, int.MaxValue)),
        ("Loaded", new Loaded()),
        ("LoadFailed", new LoadFailed("Type My.Type was not found in /app/My.dll.")),
        ("Result", new Result(7, 1.7e12, 1.7e12 + 0.25, null, [1.0, -2.5, double.NaN], false, Nested,
            "System.InvalidOperationException", "Boom.", "   at My.Type.Method()", true)),
        ("Result, nulls", new Result(0, 0, 0, "F_TIMEOUT", null, true, Empty, null, null, null, false)),
        ("Result, empty", new Result(0, 0, 0, null, [], false, Empty, "", "", "", false)),
        ("Record", new Record(3, 0.5, double.NegativeInfinity)),
        ("Log", new Log("line one\nline two")),
        ("Log, empty", new Log("")),
    ];
}
