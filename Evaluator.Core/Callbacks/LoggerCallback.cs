using System.Globalization;

namespace Evaluator.Core;

/// <summary>
/// Writes one line per finished job, for example <c>[job 0.3] DONE objective=1.23 in 0.12 s</c>
/// (<c>[job 0.7] CANCELLED objective=F_CANCELLED</c> for a job that never started).
/// </summary>
/// <param name="writer">Where to write; <see cref="Console.Out"/> when <c>null</c>.</param>
public sealed class LoggerCallback(TextWriter? writer = null) : EvaluatorCallback
{
    private readonly TextWriter? _writer = writer;

    /// <summary>Writes the job's line.</summary>
    public override void OnDone(Job job) => (_writer ?? Console.Out).WriteLine(Describe(job));

    /// <summary>The line written for <paramref name="job"/>.</summary>
    internal static string Describe(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var line = $"[job {job.Id}] {job.Status.ToString().ToUpperInvariant()} objective={job.Objective?.ToString() ?? "none"}";
        if (job.Metadata.TryGetValue("timestamp_start", out var start) && start is double started
            && job.Metadata.TryGetValue("timestamp_end", out var end) && end is double ended)
            line += string.Create(CultureInfo.InvariantCulture, $" in {ended - started:0.00} s");
        if (job.Error is { } error)
            line += $" ({error.Type}: {error.Message.ReplaceLineEndings(" ")})";
        return line;
    }
}
