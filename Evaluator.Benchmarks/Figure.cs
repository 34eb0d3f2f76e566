namespace Evaluator.Benchmarks;

/// <summary>One measured figure: the samples of its repetitions, summarised by median, min and max, and the target it is held to.</summary>
internal sealed record Figure(string Name, string Unit, IReadOnlyList<double> Samples, Target? Target = null, string? Note = null)
{
    /// <summary>A figure that could not be measured; <paramref name="why"/> is printed in its place.</summary>
    public static Figure NotAvailable(string name, string unit, string why, Target? target = null) => new(name, unit, [], target, why);

    public bool HasValue => Samples.Count > 0;

    public double Median
    {
        get
        {
            var sorted = Samples.Order().ToArray();
            var mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Min => Samples.Min();

    public double Max => Samples.Max();

    /// <summary>Whether the median meets the target; null when there is no target or no value.</summary>
    public bool? Meets => Target is { } t && HasValue ? t.IsMetBy(Median) : null;
}

/// <summary>A bound a figure's median must respect.</summary>
internal sealed record Target(double Limit, bool AtLeast)
{
    public static Target Min(double limit) => new(limit, AtLeast: true);

    public static Target Max(double limit) => new(limit, AtLeast: false);

    public bool IsMetBy(double value) => AtLeast ? value >= Limit : value <= Limit;

    public override string ToString() => (AtLeast ? ">= " : "<= ") + Format.Number(Limit);
}

internal static class Format
{
    public static string Number(double value) => Math.Abs(value) switch
    {
        >= 1000 => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture),
    };
}
