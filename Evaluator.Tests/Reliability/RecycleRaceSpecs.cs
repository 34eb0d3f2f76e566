using Evaluator.Tests.RunFunctions;
using static Evaluator.Tests.Support;

namespace Evaluator.Tests.Reliability;

/// <summary>
/// A worker that dies right after sending a result, while <see cref="EvaluatorOptions.WorkerMemoryLimitBytes"/> is watched, costs its
/// next job only, never the pool. Found by the 100,000-job soak run, which stopped after 11 minutes on this race.
/// </summary>
[CancelAfter(60_000)]
public class RecycleRaceSpecs
{
    [Test]
    public async Task A_worker_that_dies_right_after_a_result_costs_only_its_next_job_when_memory_is_watched()
    {
        // A 1 GiB limit is never reached: it only turns the memory check on.
        await using var evaluator = JobEvaluator.Create(SoakFunctions.KillSelfOnOdd, "loky", new EvaluatorOptions { NumWorkers = 1, WorkerMemoryLimitBytes = 1L << 30 });
        evaluator.Submit(Xs(20));
        var done = (await evaluator.GatherAsync(GatherMode.All)).OrderBy(j => j.Number).ToList();
        Assert.That(done.Select(j => j.Objective!.ToString()), Is.EqualTo(Enumerable.Range(0, 20).Select(x => x % 2 == 0 ? $"{x}" : "F_WORKER_CRASHED")));
    }
}
