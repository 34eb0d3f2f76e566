// THROWAWAY — DELETE THIS FILE WHEN MERGING the branch that adds Evaluator.Core.CsvLoggerCallback and Evaluator.Core.ProgressCallback.
// Minimal stand-ins so the sample compiles and runs before those callbacks land. The global using below makes the build fail
// with CS0104 (ambiguous reference) once the real types exist, so this file cannot be forgotten silently.
global using RandomSearch.Stubs;

using System.Globalization;
using Evaluator.Core;

namespace RandomSearch.Stubs;

/// <summary>Stand-in for Evaluator.Core.CsvLoggerCallback: writes p:*, objective, job_id, job_status and m:timestamp_* columns.</summary>
internal sealed class CsvLoggerCallback(string path) : EvaluatorCallback
{
    private static readonly string[] MetadataKeys = ["timestamp_submit", "timestamp_start", "timestamp_end", "timestamp_gather"];
    private StreamWriter? _writer;
    private string[]? _parameters;

    public override void OnDone(Job job)
    {
        if (_writer is null)
        {
            _parameters = [.. job.Parameters.Keys];
            _writer = new StreamWriter(path, append: false);
            _writer.WriteLine(string.Join(',', _parameters.Select(p => "p:" + p).Concat(["objective", "job_id", "job_status"]).Concat(MetadataKeys.Select(m => "m:" + m))));
        }
        var cells = _parameters!.Select(p => Format(job.Parameters.GetValueOrDefault(p)))
            .Concat([job.Objective?.ToString() ?? "", job.Number.ToString(CultureInfo.InvariantCulture), job.Status.ToString().ToUpperInvariant()])
            .Concat(MetadataKeys.Select(m => Format(job.Metadata.GetValueOrDefault(m))));
        _writer.WriteLine(string.Join(',', cells));
    }

    public override void OnGather(GatherResult result) => _writer?.Flush();

    public override void OnClose() => _writer?.Dispose();

    private static string Format(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>Stand-in for Evaluator.Core.ProgressCallback: one line per tenth of the total, with the best objective so far.</summary>
internal sealed class ProgressCallback(TextWriter? writer = null, int? total = null) : EvaluatorCallback
{
    private readonly TextWriter _writer = writer ?? Console.Out;
    private int _done;
    private int _failed;
    private double? _best;

    public override void OnDone(Job job)
    {
        _done++;
        if (job.Objective?.Value is { } value)
            _best = Math.Max(_best ?? double.NegativeInfinity, value);
        else
            _failed++;
        var step = Math.Max(1, (total ?? 100) / 10);
        if (_done % step == 0 || _done == total)
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{_done}{(total is { } t ? "/" + t : "")}] best objective {(_best is { } b ? b.ToString("F6", CultureInfo.InvariantCulture) : "-")}, {_failed} failed"));
    }
}
