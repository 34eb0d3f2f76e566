using System.Globalization;

namespace Evaluator.Core;

/// <summary>What a run function receives: the job's id and parameters, its cancellation and a way to report intermediate objectives.</summary>
public sealed class RunningJob
{
    private readonly Action<double, double>? _record;

    internal RunningJob(string id, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken, Action<double, double>? record)
    {
        Id = id;
        Parameters = parameters;
        CancellationToken = cancellationToken;
        _record = record;
    }

    /// <summary>The job's id, <c>"&lt;searchId&gt;.&lt;n&gt;"</c>.</summary>
    public string Id { get; }

    /// <summary>The configuration to evaluate.</summary>
    public IReadOnlyDictionary<string, object?> Parameters { get; }

    /// <summary>Fires when the job should stop: job timeout, search deadline or close.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary><see cref="JobStatus.Running"/>, or <see cref="JobStatus.Cancelling"/> once the job was asked to stop.</summary>
    public JobStatus Status => CancellationToken.IsCancellationRequested ? JobStatus.Cancelling : JobStatus.Running;

    /// <summary>The value of one parameter.</summary>
    /// <exception cref="KeyNotFoundException">The configuration has no such parameter.</exception>
    public object? this[string name] => Parameters.TryGetValue(name, out var value)
        ? value
        : throw new KeyNotFoundException($"Job {Id} has no parameter '{name}'; it has: {string.Join(", ", Parameters.Keys)}.");

    /// <summary>The value of one parameter converted to <typeparamref name="T"/> (numbers convert between types).</summary>
    /// <exception cref="InvalidCastException">The value cannot be converted.</exception>
    public T Get<T>(string name)
    {
        var value = this[name];
        if (value is T typed)
            return typed;
        try
        {
            var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
            return (T)Convert.ChangeType(value, target, CultureInfo.InvariantCulture)!;
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new InvalidCastException(
                $"Parameter '{name}' of job {Id} is {value?.GetType().Name ?? "null"} '{value}', which cannot be converted to {typeof(T).Name}.", e);
        }
    }

    /// <summary>Whether the job was asked to stop; a long run function should check it and return early.</summary>
    public bool Stopped() => CancellationToken.IsCancellationRequested;

    /// <summary>Reports an intermediate objective reached at <paramref name="budget"/> (an epoch, a number of samples...).</summary>
    public void Record(double budget, double objective) => _record?.Invoke(budget, objective);
}
