using System.Diagnostics;
using System.Globalization;

namespace Evaluator.Core;

/// <summary>
/// Writes a progress line after every gather, for example <c>[progress] 12/100 done, 2 failed, best objective 3.5, 1.25 s elapsed</c>.
/// The best objective is the largest (DeepHyper maximises); it is left out for multi-objective searches and until a job succeeds.
/// A last line follows at close when jobs were cancelled then.
/// </summary>
/// <param name="writer">Where to write; <see cref="Console.Out"/> when <c>null</c>.</param>
/// <param name="total">The number of jobs the search will run, if known; shown as <c>done/total</c>.</param>
public sealed class ProgressCallback(TextWriter? writer = null, int? total = null) : EvaluatorCallback
{
    private readonly TextWriter? _writer = writer;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private bool _started;
    private bool _multiObjective;
    private int _reported;

    /// <summary>How many jobs finished.</summary>
    public int Done { get; private set; }

    /// <summary>How many of them failed.</summary>
    public int Failed { get; private set; }

    /// <summary>The largest single objective so far; <c>null</c> before the first success or once a multi-objective job finished.</summary>
    public double? BestObjective { get; private set; }

    /// <summary>Starts the clock at the first submitted job.</summary>
    public override void OnLaunch(Job job)
    {
        if (_started)
            return;
        _started = true;
        _elapsed.Restart();
    }

    /// <summary>Counts the job.</summary>
    public override void OnDone(Job job)
    {
        Done++;
        switch (job.Objective)
        {
            case null or { IsFailure: true }:
                Failed++;
                break;
            case { IsScalar: false }:
                _multiObjective = true;
                BestObjective = null;
                break;
            case { Value: { } value } when !_multiObjective && (BestObjective is null || value > BestObjective):
                BestObjective = value;
                break;
        }
    }

    /// <summary>Writes the progress line.</summary>
    public override void OnGather(GatherResult result) => Report();

    /// <summary>Writes a last line if jobs finished since the last gather.</summary>
    public override void OnClose()
    {
        if (Done != _reported)
            Report();
    }

    private void Report()
    {
        _reported = Done;
        var line = string.Create(CultureInfo.InvariantCulture, $"[progress] {Done}{(total is { } t ? "/" + t.ToString(CultureInfo.InvariantCulture) : "")} done, {Failed} failed");
        if (BestObjective is { } best)
            line += string.Create(CultureInfo.InvariantCulture, $", best objective {best:R}");
        line += string.Create(CultureInfo.InvariantCulture, $", {_elapsed.Elapsed.TotalSeconds:0.00} s elapsed");
        (_writer ?? Console.Out).WriteLine(line);
    }
}
