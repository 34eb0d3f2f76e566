namespace Evaluator.Core;

/// <summary>What a run function may return when it has metadata to report beside its objective.</summary>
/// <param name="Objective">A number, a tuple or array of numbers, or a failure string starting with <c>F</c>.</param>
/// <param name="Metadata">Extra values stored with the job and written as <c>m:*</c> columns; keys starting with <c>_</c> stay out of the CSV.</param>
public sealed record RunResult(object? Objective, IReadOnlyDictionary<string, object?>? Metadata = null);
