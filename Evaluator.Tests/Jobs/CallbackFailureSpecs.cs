using Evaluator.Tests.RunFunctions;

namespace Evaluator.Tests.Jobs;

/// <summary>A callback that throws must not lose a job, report one twice, or leave the evaluator's counts wrong.</summary>
[CancelAfter(60_000)]
public class CallbackFailureSpecs
{
    private static IReadOnlyDictionary<string, object?> Value(object? value) => new Dictionary<string, object?> { ["value"] = value };

    private static IReadOnlyDictionary<string, object?> Ms(int ms) => new Dictionary<string, object?> { ["ms"] = ms };

    private static JobEvaluator Create(Delegate runFunction, string method, params EvaluatorCallback[] callbacks)
    {
        var options = new EvaluatorOptions { NumWorkers = 2 };
        foreach (var callback in callbacks)
            options.Callbacks.Add(callback);
        return JobEvaluator.Create(runFunction, method, options);
    }

    /// <summary>Counts every hook per job id; throws in the hooks it is told to, for the jobs it is told to.</summary>
    private sealed class Counting : EvaluatorCallback
    {
        public Dictionary<string, int> Launched { get; } = [];
        public Dictionary<string, int> Done { get; } = [];
        public List<int> Gathers { get; } = [];
        public int Closes { get; private set; }
        public Func<Job, bool> ThrowOnLaunch { get; init; } = _ => false;
        public Func<Job, bool> ThrowOnDone { get; init; } = _ => false;
        public bool ThrowOnGather { get; init; } // in the first gather only
        public bool ThrowOnClose { get; init; }

        public override void OnLaunch(Job job)
        {
            Launched[job.Id] = Launched.GetValueOrDefault(job.Id) + 1;
            if (ThrowOnLaunch(job))
                throw new InvalidOperationException($"launch boom {job.Id}");
        }

        public override void OnDone(Job job)
        {
            lock (Done)
                Done[job.Id] = Done.GetValueOrDefault(job.Id) + 1;
            if (ThrowOnDone(job))
                throw new InvalidOperationException($"done boom {job.Id}");
        }

        public override void OnGather(GatherResult result)
        {
            Gathers.Add(result.Count);
            if (ThrowOnGather && Gathers.Count == 1)
                throw new InvalidOperationException("gather boom");
        }

        public override void OnClose()
        {
            Closes++;
            if (ThrowOnClose)
                throw new InvalidOperationException("close boom");
        }
    }

    [TestCase("serial")]
    [TestCase("thread")]
    public void A_throwing_OnDone_still_finishes_stores_and_counts_every_job_once_and_the_next_gather_reports_none_again(string method)
    {
        var thrower = new Counting { ThrowOnDone = j => j.Number == 1 };
        var witness = new Counting();
        using var evaluator = Create(TestFunctions.ReturnValue, method, thrower, witness);
        evaluator.Submit([Value(1.0), Value(2.0), Value(3.0)]);

        var error = Assert.Throws<CallbackException>(() => evaluator.Gather("ALL"))!;

        Assert.That(error.InnerException, Is.InstanceOf<InvalidOperationException>().With.Message.EqualTo("done boom 0.1"));
        Assert.That(error.Errors, Has.Count.EqualTo(1));
        Assert.That(error.Message, Does.Contain("OnDone").And.Contain("0.1").And.Contain(nameof(Counting)));
        Assert.That(error.Result, Is.Not.Null);
        Assert.That(error.Result!.Select(j => j.Number).Order(), Is.EqualTo(new[] { 0, 1, 2 }), "the gather's jobs travel with the exception");
        Assert.That(error.Result!.Select(j => j.Status), Is.All.EqualTo(JobStatus.Done));
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(3));
        Assert.That(thrower.Done.Values, Has.Count.EqualTo(3).And.All.EqualTo(1));
        Assert.That(witness.Done.Values, Has.Count.EqualTo(3).And.All.EqualTo(1), "later callbacks still see every job");
        Assert.That(witness.Gathers, Is.EqualTo(new[] { 3 }), "OnGather still runs");
        Assert.That(evaluator.Storage.LoadJobsDone(evaluator.SearchId), Has.Count.EqualTo(3));

        Assert.That(evaluator.Gather("ALL"), Is.Empty, "nothing is reported twice");
        Assert.Throws<InvalidOperationException>(() => evaluator.Gather("BATCH"), "nothing is pending");
        evaluator.Submit(Value(4.0));
        Assert.That(evaluator.Gather("ALL").Select(j => j.Number), Is.EqualTo(new[] { 3 }));
        evaluator.Close();
        Assert.That(thrower.Done.Values, Has.Count.EqualTo(4).And.All.EqualTo(1));
        Assert.That(witness.Done.Values, Has.Count.EqualTo(4).And.All.EqualTo(1));
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(4));
    }

    [Test]
    public async Task A_throwing_OnGather_propagates_with_the_jobs_and_loses_nothing()
    {
        var thrower = new Counting { ThrowOnGather = true };
        var witness = new Counting();
        await using var evaluator = Create(TestFunctions.ReturnValue, "thread", thrower, witness);
        evaluator.Submit([Value(1.0), Value(2.0)]);

        var error = Assert.ThrowsAsync<CallbackException>(() => evaluator.GatherAsync(GatherMode.All))!;

        Assert.That(error.Result!.Select(j => j.Number).Order(), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(error.Message, Does.Contain("OnGather"));
        Assert.That(witness.Gathers, Is.EqualTo(new[] { 2 }));
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(2));
        Assert.That(await evaluator.GatherAsync(GatherMode.All), Is.Empty);
        Assert.That(witness.Done.Values, Has.Count.EqualTo(2).And.All.EqualTo(1));
    }

    [Test]
    public void Every_failure_of_one_gather_is_reported()
    {
        var thrower = new Counting { ThrowOnDone = _ => true, ThrowOnGather = true };
        using var evaluator = Create(TestFunctions.ReturnValue, "serial", thrower);
        evaluator.Submit([Value(1.0), Value(2.0)]);

        var error = Assert.Throws<CallbackException>(() => evaluator.Gather("ALL"))!;

        Assert.That(error.Errors.Select(e => e.Message), Is.EquivalentTo(new[] { "done boom 0.0", "done boom 0.1", "gather boom" }));
        Assert.That(error.InnerException, Is.SameAs(error.Errors[0]));
        Assert.That(evaluator.Gather("ALL"), Is.Empty);
    }

    [Test]
    public void A_job_gathered_by_a_gather_whose_callback_threw_is_dumped_to_csv_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), "evaluator-tests", Guid.NewGuid().ToString("N"));
        var thrower = new Counting { ThrowOnDone = _ => true };
        using var evaluator = Create(TestFunctions.ReturnValue, "serial", thrower);
        evaluator.Submit([Value(1.0), Value(2.0)]);
        Assert.Throws<CallbackException>(() => evaluator.Gather("ALL"));
        Assert.That(evaluator.Gather("ALL"), Is.Empty);
        evaluator.DumpJobsDoneToCsv(dir);
        evaluator.DumpJobsDoneToCsv(dir);
        evaluator.Close();

        Assert.That(File.ReadAllLines(Path.Combine(dir, "results.csv")), Has.Length.EqualTo(3), "header and one row per job");
        Directory.Delete(dir, true);
    }

    [TestCase("serial")]
    [TestCase("thread")]
    public async Task A_throwing_OnLaunch_still_queues_every_job_of_the_batch_and_a_gather_of_all_returns_them(string method)
    {
        var thrower = new Counting { ThrowOnLaunch = j => j.Number == 1 };
        var witness = new Counting();
        await using var evaluator = Create(TestFunctions.ReturnValue, method, thrower, witness);

        var error = Assert.Throws<CallbackException>(() => evaluator.Submit([Value(1.0), Value(2.0), Value(3.0)]))!;

        Assert.That(error.Message, Does.Contain("OnLaunch").And.Contain("0.1"));
        Assert.That(error.InnerException, Has.Message.EqualTo("launch boom 0.1"));
        Assert.That(error.Jobs.Select(j => j.Number), Is.EqualTo(new[] { 0, 1, 2 }), "the batch's jobs travel with the exception");
        Assert.That(evaluator.NumJobsSubmitted, Is.EqualTo(3));
        Assert.That(thrower.Launched.Values, Has.Count.EqualTo(3).And.All.EqualTo(1));
        Assert.That(witness.Launched.Values, Has.Count.EqualTo(3).And.All.EqualTo(1));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var done = await evaluator.GatherAsync(GatherMode.All, cancellationToken: timeout.Token);

        Assert.That(done.Select(j => j.Number).Order(), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(done.Select(j => j.Objective!.Value), Is.EquivalentTo(new[] { 1.0, 2.0, 3.0 }));
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(3));
        Assert.That(witness.Done.Values, Has.Count.EqualTo(3).And.All.EqualTo(1));
    }

    [Test]
    public async Task A_throwing_OnLaunch_with_the_job_limit_reached_reports_both()
    {
        var thrower = new Counting { ThrowOnLaunch = _ => true };
        await using var evaluator = Create(TestFunctions.ReturnValue, "serial", thrower);
        evaluator.SetMaximumNumJobsSubmitted(2);

        var error = Assert.Throws<CallbackException>(() => evaluator.Submit([Value(1.0), Value(2.0), Value(3.0)]))!;

        Assert.That(error.Jobs, Has.Count.EqualTo(2));
        Assert.That(error.Errors.OfType<JobLimitReachedException>(), Has.Exactly(1).Items);
        Assert.That(evaluator.NumJobsSubmitted, Is.EqualTo(2));
        Assert.That(await evaluator.GatherAsync(GatherMode.All), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_throwing_OnDone_at_close_still_cancels_every_job_runs_OnClose_and_a_second_close_does_nothing()
    {
        var thrower = new Counting { ThrowOnDone = _ => true, ThrowOnClose = true };
        var witness = new Counting();
        var evaluator = Create(TestFunctions.Sleep, "serial", thrower, witness);
        evaluator.Submit([Ms(20_000), Ms(0)]);
        await Task.Delay(100);

        var error = Assert.ThrowsAsync<CallbackException>(() => evaluator.CloseAsync())!;

        Assert.That(error.Errors.Select(e => e.Message), Is.EquivalentTo(new[] { "done boom 0.0", "done boom 0.1", "close boom" }));
        Assert.That(error.Result!.Select(j => j.Status).ToList(), Has.Count.EqualTo(2).And.All.EqualTo(JobStatus.Cancelled));
        Assert.That(witness.Done.Values, Has.Count.EqualTo(2).And.All.EqualTo(1));
        Assert.That(thrower.Closes, Is.EqualTo(1));
        Assert.That(witness.Closes, Is.EqualTo(1), "OnClose runs for every callback");
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(2));
        Assert.DoesNotThrowAsync(() => evaluator.CloseAsync(), "a second close does nothing");
        Assert.DoesNotThrow(evaluator.Dispose);
        Assert.That(witness.Closes, Is.EqualTo(1));
    }

    private sealed class ClosingCallback(Func<JobEvaluator> evaluator) : EvaluatorCallback
    {
        public Exception? Error { get; private set; }

        public override void OnDone(Job job)
        {
            try
            {
                evaluator().Close();
            }
            catch (InvalidOperationException e)
            {
                Error = e;
            }
        }
    }

    [Test]
    public void Close_from_inside_a_callback_is_refused_instead_of_deadlocking_or_corrupting_the_gather()
    {
        JobEvaluator? evaluator = null;
        var closing = new ClosingCallback(() => evaluator!);
        var witness = new Counting();
        evaluator = Create(TestFunctions.ReturnValue, "serial", closing, witness);
        evaluator.Submit([Value(1.0), Value(2.0)]);

        Assert.That(evaluator.Gather("ALL"), Has.Count.EqualTo(2));
        Assert.That(closing.Error, Is.Not.Null.And.Message.Contain("callback"));
        evaluator.Close();
        Assert.That(witness.Done.Values, Has.Count.EqualTo(2).And.All.EqualTo(1));
        Assert.That(witness.Closes, Is.EqualTo(1));
    }
}
