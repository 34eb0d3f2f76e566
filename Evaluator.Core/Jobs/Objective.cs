using System.Globalization;

namespace Evaluator.Core;

/// <summary>What a job scored: one value, several values (multi-objective) or a failure such as <c>"F_TIMEOUT"</c>.</summary>
public sealed class Objective : IEquatable<Objective>
{
    private static readonly double[] NoValues = [];
    private readonly double[] _values;

    private Objective(double[] values, bool isScalar, string? failure)
    {
        _values = values;
        IsScalar = isScalar;
        Failure = failure;
    }

    /// <summary>A single objective value.</summary>
    public static Objective Single(double value) => new([value], isScalar: true, failure: null);

    /// <summary>Several objective values (multi-objective optimisation).</summary>
    public static Objective Multi(IEnumerable<double> values) => new(values.ToArray(), isScalar: false, failure: null);

    /// <summary>A failed job; <paramref name="failure"/> must start with <c>F</c>, as DeepHyper expects.</summary>
    public static Objective Failed(string failure)
    {
        ArgumentException.ThrowIfNullOrEmpty(failure);
        if (failure[0] != 'F')
            throw new ArgumentException($"A failure objective must start with 'F', but '{failure}' does not.", nameof(failure));
        return new(NoValues, isScalar: true, failure);
    }

    /// <summary>The value of a single-objective job; <c>null</c> for a failure or a multi-objective job.</summary>
    public double? Value => !IsFailure && IsScalar ? _values[0] : null;

    /// <summary>All objective values (one for a single objective); empty for a failure.</summary>
    public IReadOnlyList<double> Values => _values;

    /// <summary>Whether the objective is a scalar (as opposed to a tuple of objectives).</summary>
    public bool IsScalar { get; }

    /// <summary>Whether the job failed.</summary>
    public bool IsFailure => Failure is not null;

    /// <summary>The failure string (starting with <c>F</c>), or <c>null</c> when the job succeeded.</summary>
    public string? Failure { get; }

    /// <inheritdoc />
    public override string ToString() =>
        Failure ?? (IsScalar ? _values[0].ToString("R", CultureInfo.InvariantCulture)
            : "(" + string.Join(", ", _values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + ")");

    /// <inheritdoc />
    public bool Equals(Objective? other) =>
        other is not null && Failure == other.Failure && IsScalar == other.IsScalar && _values.AsSpan().SequenceEqual(other._values);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Objective);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Failure, IsScalar, _values.Length == 0 ? 0 : _values[0]);
}
