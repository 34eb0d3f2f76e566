using System.Text.RegularExpressions;
using Evaluator.Tests.RunFunctions;

namespace Evaluator.Tests.Callbacks;

public class CallbackSpecs
{
    private static IReadOnlyDictionary<string, object?> Value(object? value) => new Dictionary<string, object?> { ["value"] = value };

    private static JobEvaluator Create(Delegate runFunction, EvaluatorCallback callback, string method = "thread") =>
        JobEvaluator.Create(runFunction, method, new EvaluatorOptions { NumWorkers = 2, Callbacks = { callback } });

    private sealed class RecordingCallback : EvaluatorCallback
    {
        public List<(string Event, int Thread)> Events { get; } = [];

        public override void OnLaunch(Job job) => Add($"launch {job.Number} {job.Status}");

        public override void OnDone(Job job) => Add($"done {job.Number} {job.Status} {job.Objective}");

        public override void OnGather(GatherResult result) => Add($"gather {string.Join(" ", result.Select(j => j.Number).Order())}");

        public override void OnClose() => Add("close");

        private void Add(string name) => Events.Add((name, Environment.CurrentManagedThreadId));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Callbacks_run_in_order_on_the_thread_that_submits_and_gathers()
    {
        var recorder = new RecordingCallback();
        var evaluator = Create(TestFunctions.ReturnValue, recorder);
        var thread = Environment.CurrentManagedThreadId;

        evaluator.Submit([Value(1.0), Value(2.0), Value("F_X")]);
        var launches = recorder.Events.ToList();
        evaluator.Gather("ALL");
        evaluator.Close();
        evaluator.Close();
        var gather = recorder.Events.Skip(3).ToList();

        Assert.That(launches, Is.EqualTo(new[] { ("launch 0 Ready", thread), ("launch 1 Ready", thread), ("launch 2 Ready", thread) }));
        Assert.That(gather.Take(3).Select(e => e.Event).Order(), Is.EqualTo(new[] { "done 0 Done 1", "done 1 Done 2", "done 2 Done F_X" }));
        Assert.That(gather.Skip(3).Select(e => e.Event), Is.EqualTo(new[] { "gather 0 1 2", "close" }));
        Assert.That(gather.Take(4).Select(e => e.Thread), Is.All.EqualTo(thread), "OnDone and OnGather run on the thread that called Gather");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task At_close_every_job_not_gathered_reaches_OnDone_as_cancelled_then_OnClose_runs_once()
    {
        var recorder = new RecordingCallback();
        var evaluator = Create(TestFunctions.Sleep, recorder, "serial");
        evaluator.Submit([new Dictionary<string, object?> { ["ms"] = 20_000 }, new Dictionary<string, object?> { ["ms"] = 0 }]);
        await Task.Delay(100);
        await evaluator.CloseAsync();
        await evaluator.DisposeAsync();

        Assert.That(recorder.Events.Select(e => e.Event), Is.EqualTo(new[]
        {
            "launch 0 Ready", "launch 1 Ready", "done 0 Cancelled -1", "done 1 Cancelled F_CANCELLED", "close",
        }));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task SearchEarlyStopping_stops_after_patience_successes_without_improvement_and_ignores_failures()
    {
        var stopping = new SearchEarlyStopping(patience: 3);
        await using var evaluator = Create(TestFunctions.ReturnValue, stopping, "serial");
        var stoppedAfter = new List<bool>();
        foreach (var value in new object[] { 1.0, 2.0, "F_X", 1.5, "F_X", 2.0, 1.9, 5.0 })
        {
            evaluator.Submit(Value(value));
            await evaluator.GatherAsync(GatherMode.All);
            stoppedAfter.Add(evaluator.SearchStopped);
        }

        Assert.That(stoppedAfter, Is.EqualTo(new[] { false, false, false, false, false, false, true, true }));
        Assert.That(stopping.SearchStopped, Is.True);
        Assert.That(stopping.BestObjective, Is.EqualTo(5.0), "it keeps tracking after stopping");
    }

    [Test]
    public void SearchEarlyStopping_counts_an_improvement_only_above_the_threshold()
    {
        var stopping = new SearchEarlyStopping(patience: 2, threshold: 0.5);
        var stoppedAfter = new List<(bool, int)>();
        foreach (var (value, i) in new[] { 1.0, 1.4, 1.6, 2.0, 2.1 }.Select((v, i) => (v, i)))
        {
            var job = new Job($"0.{i}", i, new Dictionary<string, object?>());
            job.Complete(Objective.Single(value), null, null, JobStatus.Done);
            stopping.OnDone(job);
            stoppedAfter.Add((stopping.SearchStopped, stopping.JobsWithoutImprovement));
        }

        Assert.That(stoppedAfter, Is.EqualTo(new[] { (false, 0), (false, 1), (false, 0), (false, 1), (true, 2) }));
        Assert.That(stopping.BestObjective, Is.EqualTo(1.6));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ProgressCallback_writes_counts_failures_and_the_best_objective_after_each_gather()
    {
        var output = new StringWriter();
        await using (var evaluator = Create(TestFunctions.ReturnValue, new ProgressCallback(output, total: 5)))
        {
            evaluator.Submit([Value(1.0), Value(3.0), Value("F_X")]);
            await evaluator.GatherAsync(GatherMode.All);
            evaluator.Submit([Value(2.0), Value("F_Y")]);
            await evaluator.GatherAsync(GatherMode.All);
        }

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), "one line per gather, none at close when nothing is left");
        Assert.That(lines[0], Does.Match(@"^\[progress\] 3/5 done, 1 failed, best objective 3, \d+\.\d\d s elapsed$"));
        Assert.That(lines[1], Does.Match(@"^\[progress\] 5/5 done, 2 failed, best objective 3, \d+\.\d\d s elapsed$"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task ProgressCallback_leaves_out_the_best_objective_for_multi_objective_searches()
    {
        var output = new StringWriter();
        await using (var evaluator = Create(TestFunctions.TwoObjectives, new ProgressCallback(output)))
        {
            evaluator.Submit([new Dictionary<string, object?> { ["x"] = 1.0 }, new Dictionary<string, object?> { ["x"] = -1.0 }]);
            await evaluator.GatherAsync(GatherMode.All);
        }

        Assert.That(output.ToString(), Does.Match(@"^\[progress\] 2 done, 1 failed, \d+\.\d\d s elapsed\r?\n$"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task LoggerCallback_writes_one_line_per_finished_job()
    {
        var output = new StringWriter();
        await using (var evaluator = Create(TestFunctions.ReturnValue, new LoggerCallback(output), "serial"))
        {
            evaluator.Submit([Value(1.23), Value("F_X")]);
            await evaluator.GatherAsync(GatherMode.All);
        }
        await using (var evaluator = Create(TestFunctions.Throw, new LoggerCallback(output), "serial"))
        {
            evaluator.Submit(Value(null));
            await evaluator.GatherAsync(GatherMode.All);
        }

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.Match(@"^\[job 0\.0\] DONE objective=1\.23 in \d+\.\d\d s$"));
        Assert.That(lines[1], Does.Match(@"^\[job 0\.1\] DONE objective=F_X in \d+\.\d\d s$"));
        Assert.That(lines[2], Does.Match(
            "^" + Regex.Escape("[job 0.0] DONE objective=F_InvalidOperationException in ") + @"\d+\.\d\d s \(System\.InvalidOperationException: Boom in job 0\.0\)$"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task LoggerCallback_shows_a_job_cancelled_before_it_started_without_a_duration()
    {
        var output = new StringWriter();
        var evaluator = Create(TestFunctions.Sleep, new LoggerCallback(output), "serial");
        evaluator.Submit([new Dictionary<string, object?> { ["ms"] = 20_000 }, new Dictionary<string, object?> { ["ms"] = 0 }]);
        await Task.Delay(100);
        await evaluator.CloseAsync();

        Assert.That(output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2)
            .And.Some.EqualTo("[job 0.1] CANCELLED objective=F_CANCELLED")
            .And.Some.Match(@"^\[job 0\.0\] CANCELLED objective=-1 in \d+\.\d\d s$"));
    }
}
