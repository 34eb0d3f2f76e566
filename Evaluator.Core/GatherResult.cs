using System.Collections;

namespace Evaluator.Core;

/// <summary>The jobs one gather returned: this evaluator's (<see cref="Local"/>, also the list itself) and those other evaluators sharing the storage finished (<see cref="Other"/>).</summary>
public sealed class GatherResult : IReadOnlyList<Job>
{
    internal GatherResult(IReadOnlyList<Job> local, IReadOnlyList<Job> other)
    {
        Local = local;
        Other = other;
    }

    /// <summary>An empty result.</summary>
    public static GatherResult Empty { get; } = new([], []);

    /// <summary>The jobs this evaluator submitted.</summary>
    public IReadOnlyList<Job> Local { get; }

    /// <summary>Jobs finished by other evaluators that share this evaluator's storage and search.</summary>
    public IReadOnlyList<Job> Other { get; }

    /// <inheritdoc />
    public int Count => Local.Count;

    /// <inheritdoc />
    public Job this[int index] => Local[index];

    /// <inheritdoc />
    public IEnumerator<Job> GetEnumerator() => Local.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
