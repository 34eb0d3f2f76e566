using System.Collections.Immutable;
using Evaluator.Core.Protocol;

namespace Evaluator.Tests.Protocol;

[CancelAfter(10_000)]
public class PlainDataSpecs
{
    private static IEnumerable<TestCaseData> PlainValues()
    {
        TestCaseData Case(object? value, string name) => new TestCaseData(value).SetArgDisplayNames(name);

        yield return Case(null, "null");
        yield return Case(true, "bool");
        yield return Case((byte)1, "byte");
        yield return Case((sbyte)-1, "sbyte");
        yield return Case((short)-2, "short");
        yield return Case((ushort)2, "ushort");
        yield return Case(3, "int");
        yield return Case(uint.MaxValue, "uint");
        yield return Case(long.MaxValue, "long");
        yield return Case(0.25f, "float");
        yield return Case(double.Epsilon, "double");
        yield return Case("text", "string");
        yield return Case(new byte[] { 1, 2 }, "byte[]");
        yield return Case(new[] { 1, 2, 3 }, "int[]");
        yield return Case(new List<double> { 1.5 }, "List<double>");
        yield return Case(ImmutableArray.Create<object?>("a", null), "ImmutableArray<object?>");
        yield return Case(new Dictionary<string, object?> { ["a"] = new object?[] { 1, "b" } }, "Dictionary<string, object?>");
        yield return Case(new Dictionary<string, int> { ["a"] = 1 }, "Dictionary<string, int>");
        yield return Case(ImmutableDictionary<string, object?>.Empty.Add("a", 1), "ImmutableDictionary<string, object?>");
    }

    private static IEnumerable<TestCaseData> NonPlainValues()
    {
        TestCaseData Case(object value, string problem) => new TestCaseData(value, problem).SetArgDisplayNames(problem);

        object?[] selfContaining = new object?[1];
        selfContaining[0] = selfContaining;

        yield return Case(1.5m, "a value of type System.Decimal");
        yield return Case(ulong.MaxValue, "a value of type System.UInt64");
        yield return Case(DateTime.UnixEpoch, "a value of type System.DateTime");
        yield return Case(DayOfWeek.Monday, "a value of type System.DayOfWeek");
        yield return Case(new object(), "a value of type System.Object");
        yield return Case(new[] { 'c' }, "a value of type System.Char");
        yield return Case(new List<object?> { 1, new Uri("http://x") }, "a value of type System.Uri");
        yield return Case(new Dictionary<int, object?> { [1] = 1 }, "a map key of type System.Int32");
        yield return Case(new Dictionary<string, object?> { ["a"] = new object?[] { 1m } }, "a value of type System.Decimal");
        yield return Case(selfContaining, $"lists and maps nested more than {WireFormat.MaxNesting} deep");
    }

    [TestCaseSource(nameof(PlainValues))]
    public void A_plain_value_is_accepted_and_round_trips(object? value)
    {
        var run = new Run(1, "j", new Dictionary<string, object?> { ["value"] = value });

        bool plain = PlainData.IsPlain(value, out string? problem);
        var back = (Run)Frames.RoundTrip(run);

        Assert.That(plain, Is.True, problem);
        Assert.That(back.Parameters["value"], Is.EqualTo(value));
    }

    [TestCaseSource(nameof(NonPlainValues))]
    public void A_value_that_is_not_plain_is_refused_with_its_problem_named_and_cannot_be_written(object value, string expectedProblem)
    {
        var writer = new FrameWriter(new MemoryStream());

        bool plain = PlainData.IsPlain(value, out string? problem);

        Assert.That(plain, Is.False);
        Assert.That(problem, Is.EqualTo(expectedProblem));
        Assert.Throws<ProtocolException>(() => writer.Write(new Run(1, "j", new Dictionary<string, object?> { ["value"] = value })));
    }
}
