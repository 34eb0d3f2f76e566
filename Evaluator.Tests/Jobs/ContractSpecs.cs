using Evaluator.Tests.RunFunctions;
using static Evaluator.Tests.Support;

namespace Evaluator.Tests.Jobs;

/// <summary>The evaluator contract, the same for every backend.</summary>
[TestFixture("serial")]
[TestFixture("thread")]
[TestFixture("loky")]
[CancelAfter(60_000)]
public class ContractSpecs(string method)
{
    private JobEvaluator Create(Delegate function, EvaluatorOptions? options = null)
    {
        options ??= new EvaluatorOptions();
        if (options.NumWorkers == 1)
            options.NumWorkers = 2;
        return JobEvaluator.Create(function, method, options);
    }

    private async Task<Job> RunOne(Delegate function, object? value)
    {
        await using var evaluator = Create(function);
        evaluator.Submit([Config(("value", value), ("x", 1))]);
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(done, Has.Count.EqualTo(1));
        return done[0];
    }

    public static IEnumerable<TestCaseData> ReturnShapes()
    {
        yield return new TestCaseData(3L, "3").SetName("A long is a single objective");
        yield return new TestCaseData(2.5, "2.5").SetName("A double is a single objective");
        yield return new TestCaseData(new object?[] { 1.0, 2L }, "(1, 2)").SetName("An array of numbers is a multi-objective");
        yield return new TestCaseData("F_custom", "F_custom").SetName("A string starting with F is a failure");
        yield return new TestCaseData(double.NaN, "F").SetName("NaN is the failure F");
        yield return new TestCaseData(double.PositiveInfinity, "F").SetName("Infinity is the failure F");
        yield return new TestCaseData(null, "F_INVALID_RESULT").SetName("Null is an invalid result");
        yield return new TestCaseData("oops", "F_INVALID_RESULT").SetName("A string not starting with F is an invalid result");
        yield return new TestCaseData(new Dictionary<string, object?> { ["objective"] = 4.0, ["metadata"] = new Dictionary<string, object?> { ["k"] = "v" } }, "4")
            .SetName("A map with objective and metadata is unpacked");
        yield return new TestCaseData(new Dictionary<string, object?> { ["loss"] = 4.0 }, "F_INVALID_RESULT").SetName("A map without objective is an invalid result");
    }

    [TestCaseSource(nameof(ReturnShapes))]
    public async Task Every_return_shape_is_normalised(object? value, string expected)
    {
        var job = await RunOne(TestFunctions.ReturnValue, value);
        Assert.Multiple(() =>
        {
            Assert.That(job.Objective!.ToString(), Is.EqualTo(expected));
            Assert.That(job.Status, Is.EqualTo(JobStatus.Done));
            Assert.That(job.Error is null, Is.EqualTo(!expected.StartsWith("F_INVALID")), "an invalid result carries an error naming it");
        });
    }

    [Test]
    public async Task Async_run_functions_are_awaited()
    {
        var job = await RunOne(TestFunctions.ReturnValueAsync, 7L);
        Assert.That(job.Objective!.Value, Is.EqualTo(7));
    }

    [Test]
    public async Task A_tuple_is_a_multi_objective_and_metadata_is_kept()
    {
        var tuple = await RunOne(TestFunctions.Tuple, null);
        var meta = await RunOne(TestFunctions.WithMetadata, null);
        Assert.Multiple(() =>
        {
            Assert.That(tuple.Objective!.Values, Is.EqualTo(new[] { 1.0, -1.0 }));
            Assert.That(tuple.Objective.IsScalar, Is.False);
            Assert.That(meta.Metadata["size"], Is.EqualTo(3L));
            Assert.That(meta.Output!["objective"], Is.EqualTo(1.0));
        });
    }

    [Test]
    public async Task A_throwing_run_function_fails_its_job_with_the_remote_stack_and_the_search_goes_on()
    {
        await using var evaluator = Create(TestFunctions.ThrowOnOdd);
        evaluator.Submit(Xs(4));
        var done = (await evaluator.GatherAsync(GatherMode.All)).OrderBy(j => j.Number).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(done.Select(j => j.Objective!.ToString()), Is.EqualTo(new[] { "0", "F_InvalidOperationException", "2", "F_InvalidOperationException" }));
            Assert.That(done[1].Error!.Type, Is.EqualTo("System.InvalidOperationException"));
            Assert.That(done[1].Error!.Message, Does.Contain("odd x=1"));
            Assert.That(done[1].Error!.StackTrace, Does.Contain(nameof(TestFunctions.ThrowOnOdd)));
        });
    }

    [Test]
    public async Task All_gathers_everything_and_batch_at_least_its_size()
    {
        await using var evaluator = Create(TestFunctions.Identity);
        evaluator.Submit(Xs(10));
        var all = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(all, Has.Count.EqualTo(10));
        Assert.That(await evaluator.GatherAsync(GatherMode.All), Is.Empty, "ALL with nothing pending returns empty");
        Assert.ThrowsAsync<InvalidOperationException>(() => evaluator.GatherAsync(GatherMode.Batch, 1), "BATCH with nothing pending throws");

        evaluator.Submit(Xs(10, 10));
        var batch = evaluator.Gather("BATCH", 1);
        Assert.That(batch, Has.Count.GreaterThanOrEqualTo(1));
        var rest = evaluator.Gather("ALL");
        Assert.Multiple(() =>
        {
            Assert.That(batch.Count + rest.Count, Is.EqualTo(10));
            Assert.That(evaluator.NumJobsSubmitted, Is.EqualTo(20));
            Assert.That(evaluator.NumJobsGathered, Is.EqualTo(20));
            Assert.That(all.Concat(batch).Concat(rest).Select(j => j.Id).Distinct().Count(), Is.EqualTo(20));
        });
    }

    [Test]
    public async Task Jobs_carry_ids_parameters_and_timestamps()
    {
        await using var evaluator = Create(TestFunctions.Identity);
        evaluator.Submit(Xs(3));
        var done = (await evaluator.GatherAsync(GatherMode.All)).OrderBy(j => j.Number).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(done.Select(j => j.Id), Is.EqualTo(new[] { $"{evaluator.SearchId}.0", $"{evaluator.SearchId}.1", $"{evaluator.SearchId}.2" }));
            Assert.That(done[2].Parameters["x"], Is.EqualTo(2));
            foreach (var job in done)
            {
                var m = job.Metadata;
                Assert.That((double)m["timestamp_submit"]!, Is.LessThanOrEqualTo((double)m["timestamp_start"]!));
                Assert.That((double)m["timestamp_start"]!, Is.LessThanOrEqualTo((double)m["timestamp_end"]!));
                Assert.That((double)m["timestamp_end"]!, Is.LessThanOrEqualTo((double)m["timestamp_gather"]!));
            }
        });
    }

    [Test]
    public async Task Kwargs_are_bound_by_name()
    {
        await using var evaluator = Create(TestFunctions.Scaled, new EvaluatorOptions { RunFunctionKwargs = { ["scale"] = 10 } });
        evaluator.Submit(Xs(2, 1));
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(done.Select(j => j.Objective!.Value).Order(), Is.EqualTo(new double?[] { 10, 20 }));
    }

    [Test]
    public async Task Close_cancels_what_is_left_and_every_job_reaches_OnDone_once()
    {
        var recorder = new RecordingCallback();
        var evaluator = Create(TestFunctions.Sleep, new EvaluatorOptions { Callbacks = { recorder } });
        evaluator.Submit(Enumerable.Range(0, 2).Select(_ => Config(("ms", 1))));
        await evaluator.GatherAsync(GatherMode.All);
        var slow = evaluator.Submit(Enumerable.Range(0, 6).Select(_ => Config(("ms", 20_000))));
        await evaluator.CloseAsync();
        await evaluator.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(slow.Select(j => j.Status), Is.All.EqualTo(JobStatus.Cancelled));
            Assert.That(slow.Count(j => j.Objective!.Failure == "F_CANCELLED"), Is.GreaterThanOrEqualTo(4), "the jobs that never started");
            Assert.That(recorder.Events.Count(e => e.StartsWith("done")), Is.EqualTo(8));
            Assert.That(recorder.Events[^1], Is.EqualTo("close"));
            Assert.That(recorder.Events.Count(e => e == "close"), Is.EqualTo(1));
        });
        Assert.Throws<ObjectDisposedException>(() => evaluator.Submit(Xs(1)));
    }

    [Test]
    public async Task Close_keeps_the_results_of_jobs_that_finished_but_were_never_gathered()
    {
        var recorder = new RecordingCallback();
        var evaluator = Create(TestFunctions.Identity, new EvaluatorOptions { Callbacks = { recorder } });
        var jobs = evaluator.Submit(Xs(3, 5));
        // Trivial jobs; a second is ample for them to finish, and none is gathered before close.
        await Task.Delay(1000);
        await evaluator.CloseAsync();
        Assert.Multiple(() =>
        {
            // Not gathered before close, so CANCELLED like every job close finishes; the results are not thrown away.
            Assert.That(jobs.Select(j => j.Status), Is.All.EqualTo(JobStatus.Cancelled));
            Assert.That(jobs.Select(j => j.Objective!.Value), Is.EqualTo(new double?[] { 5, 6, 7 }));
            Assert.That(recorder.Events.Count(e => e.StartsWith("done")), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task A_job_timeout_asks_the_job_to_stop_and_keeps_what_it_returns()
    {
        await using var evaluator = Create(TestFunctions.Cooperative, new EvaluatorOptions { JobTimeout = TimeSpan.FromMilliseconds(200) });
        evaluator.Submit(Xs(1));
        var job = (await evaluator.GatherAsync(GatherMode.All))[0];
        Assert.Multiple(() =>
        {
            Assert.That(job.Status, Is.EqualTo(JobStatus.Cancelled));
            Assert.That(job.Objective!.Value, Is.EqualTo(42));
        });
    }

    [Test]
    public async Task The_search_deadline_stops_running_jobs()
    {
        await using var evaluator = Create(TestFunctions.Cooperative);
        evaluator.Submit(Xs(2));
        evaluator.Timeout = TimeSpan.FromMilliseconds(300);
        Assert.That(evaluator.TimeLeft, Is.GreaterThan(TimeSpan.Zero));
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.Multiple(() =>
        {
            Assert.That(done.Select(j => j.Status), Is.All.EqualTo(JobStatus.Cancelled));
            Assert.That(evaluator.TimeLeft, Is.EqualTo(TimeSpan.Zero));
        });
    }

    [Test]
    public async Task Intermediate_records_reach_the_storage()
    {
        await using var evaluator = Create(TestFunctions.Records);
        var job = evaluator.Submit(Config(("x", 1)));
        await evaluator.GatherAsync(GatherMode.All);
        var stored = evaluator.Storage.LoadJob(job.Id);
        Assert.Multiple(() =>
        {
            Assert.That(stored.Records, Is.EqualTo(new[] { new JobRecord(1, 10), new JobRecord(2, 20), new JobRecord(3, 30) }));
            Assert.That(stored.HasOutput, Is.True);
            Assert.That(stored.Out, Is.EqualTo(30.0));
            Assert.That(stored.Status, Is.EqualTo(JobStatus.Done));
        });
    }

    [Test]
    public async Task Submitting_past_the_maximum_submits_what_fits_and_names_the_limit()
    {
        await using var evaluator = Create(TestFunctions.Identity);
        evaluator.SetMaximumNumJobsSubmitted(3);
        var error = Assert.Throws<JobLimitReachedException>(() => evaluator.Submit(Xs(5)));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("at most 3 jobs"));
            Assert.That(evaluator.NumJobsSubmitted, Is.EqualTo(3));
        });
        Assert.That(await evaluator.GatherAsync(GatherMode.All), Has.Count.EqualTo(3));
    }

    [Test]
    public async Task A_value_that_cannot_cross_the_boundary_submits_nothing_and_names_the_parameter()
    {
        await using var evaluator = Create(TestFunctions.Identity);
        var error = Assert.Throws<ArgumentException>(() => evaluator.Submit([Config(("x", 1)), Config(("x", 2), ("when", DateTime.Now))]));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("'when'").And.Contain("System.DateTime"));
            Assert.That(evaluator.NumJobsSubmitted, Is.Zero);
        });
    }

    [Test]
    public async Task ToJson_has_DeepHyper_keys()
    {
        await using var evaluator = Create(TestFunctions.Identity);
        using var json = System.Text.Json.JsonDocument.Parse(evaluator.ToJson());
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("type").GetString(), Is.EqualTo("JobEvaluator"));
            Assert.That(json.RootElement.GetProperty("num_workers").GetInt32(), Is.EqualTo(method == "serial" ? 1 : 2));
            Assert.That(json.RootElement.GetProperty("method").GetString(), Is.EqualTo(method));
        });
    }
}

/// <summary>Records callback calls as short strings.</summary>
internal sealed class RecordingCallback : EvaluatorCallback
{
    public List<string> Events { get; } = [];

    public override void OnLaunch(Job job) => Events.Add($"launch {job.Id}");

    public override void OnDone(Job job) => Events.Add($"done {job.Id}");

    public override void OnGather(GatherResult result) => Events.Add($"gather {result.Count}");

    public override void OnClose() => Events.Add("close");
}
