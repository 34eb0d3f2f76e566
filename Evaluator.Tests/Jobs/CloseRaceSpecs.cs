using System.Collections.Concurrent;
using System.Diagnostics;
using Evaluator.Tests.RunFunctions;

namespace Evaluator.Tests.Jobs;

/// <summary>Close on one thread while a gather waits on another: both end, and every job is reported exactly once.</summary>
[CancelAfter(60_000)]
public class CloseRaceSpecs
{
    private static IReadOnlyDictionary<string, object?> Ms(int ms) => new Dictionary<string, object?> { ["ms"] = ms };

    private sealed class Counting : EvaluatorCallback
    {
        public ConcurrentDictionary<string, int> Done { get; } = [];
        public ConcurrentDictionary<string, JobStatus> Statuses { get; } = [];
        public int Closes;

        public override void OnDone(Job job)
        {
            Done.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
            Statuses[job.Id] = job.Status;
        }

        public override void OnClose() => Interlocked.Increment(ref Closes);
    }

    private static (JobEvaluator Evaluator, Counting Counter) Create(Delegate runFunction, int workers)
    {
        var counter = new Counting();
        var evaluator = JobEvaluator.Create(runFunction, "thread", new EvaluatorOptions { NumWorkers = workers, Callbacks = { counter } });
        return (evaluator, counter);
    }

    [Test]
    public async Task CloseAsync_on_another_task_ends_a_waiting_GatherAsync_and_every_job_reaches_OnDone_once()
    {
        var (evaluator, counter) = Create(TestFunctions.Sleep, 3);
        var submitted = evaluator.Submit([Ms(0), Ms(0), Ms(20_000), Ms(20_000), Ms(20_000), Ms(20_000)]);
        var gather = Task.Run(() => evaluator.GatherAsync(GatherMode.All));
        await Task.Delay(300);

        var close = Task.Run(evaluator.CloseAsync);
        var both = Task.WhenAll(gather, close);
        Assert.That(await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(15))), Is.SameAs(both), "gather and close both end");
        await both;

        var gathered = gather.Result;
        Assert.That(gathered.Select(j => j.Number).Order(), Is.EqualTo(new[] { 0, 1 }), "the gather returns the jobs done before close");
        Assert.That(counter.Done.Keys, Is.EquivalentTo(submitted.Select(j => j.Id)));
        Assert.That(counter.Done.Values, Is.All.EqualTo(1), "every job reaches OnDone exactly once");
        Assert.That(counter.Statuses.Values, Is.All.AnyOf(JobStatus.Done, JobStatus.Cancelled));
        Assert.That(submitted.Select(j => j.Status), Is.All.AnyOf(JobStatus.Done, JobStatus.Cancelled));
        Assert.That(counter.Closes, Is.EqualTo(1));
        Assert.That(evaluator.NumJobsGathered, Is.EqualTo(6));
        Assert.ThrowsAsync<ObjectDisposedException>(() => evaluator.GatherAsync(GatherMode.All));
    }

    [Test]
    public async Task A_gather_blocked_on_a_job_that_ignores_cancellation_returns_promptly_when_Close_runs_elsewhere()
    {
        var (evaluator, counter) = Create(TestFunctions.IgnoreCancellation, 2);
        var submitted = evaluator.Submit([Ms(0), Ms(4_000)]);
        var gather = Task.Run(() => evaluator.Gather("ALL"));
        await Task.Delay(300);

        var clock = Stopwatch.StartNew();
        var close = Task.Run(evaluator.Close);
        Assert.That(await Task.WhenAny(gather, Task.Delay(TimeSpan.FromSeconds(3))), Is.SameAs(gather), "the gather does not wait for the stuck job");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        await close;

        Assert.That(gather.Result.Select(j => j.Number), Is.EqualTo(new[] { 0 }));
        Assert.That(counter.Done.Keys, Is.EquivalentTo(submitted.Select(j => j.Id)));
        Assert.That(counter.Done.Values, Is.All.EqualTo(1));
        Assert.That(counter.Statuses[submitted[1].Id], Is.EqualTo(JobStatus.Cancelled));
    }

    [Test]
    public async Task Close_racing_gathers_many_times_never_loses_or_repeats_a_job()
    {
        for (var round = 0; round < 30; round++)
        {
            var (evaluator, counter) = Create(TestFunctions.Sleep, 4);
            var submitted = evaluator.Submit(Enumerable.Range(0, 40).Select(i => Ms(i % 3 == 0 ? 0 : i % 7)));
            var gathered = new ConcurrentBag<string>();
            var gather = Task.Run(async () =>
            {
                try
                {
                    while (true)
                        foreach (var job in await evaluator.GatherAsync(GatherMode.Batch, 3))
                            gathered.Add(job.Id);
                }
                catch (ObjectDisposedException)
                {
                }
                catch (InvalidOperationException) when (evaluator.NumJobsGathered == submitted.Count)
                {
                    // Batch with nothing pending: every job was gathered before close.
                }
            });
            await Task.Delay(round % 5);
            await Task.Run(evaluator.CloseAsync);
            await gather;

            Assert.That(counter.Done.Keys, Is.EquivalentTo(submitted.Select(j => j.Id)), $"round {round}");
            Assert.That(counter.Done.Values, Is.All.EqualTo(1), $"round {round}");
            Assert.That(gathered, Is.Unique, $"round {round}");
            Assert.That(evaluator.NumJobsGathered, Is.EqualTo(submitted.Count), $"round {round}");
            Assert.That(counter.Closes, Is.EqualTo(1), $"round {round}");
        }
    }
}
