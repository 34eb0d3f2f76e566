using Evaluator.Tests.RunFunctions;

namespace Evaluator.Tests.Jobs;

public class InProcessSpecs
{
    private static IReadOnlyDictionary<string, object?> Config(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);

    [TestCase("serial"), TestCase("thread")]
    [CancelAfter(30_000)]
    public async Task Submitted_jobs_are_gathered_with_their_objectives(string method)
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Add, method, new EvaluatorOptions { NumWorkers = 2 });
        evaluator.Submit(Enumerable.Range(0, 10).Select(i => Config(("x", i), ("y", 1))));
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(done.Select(j => j.Objective!.Value).Order(), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (double?)i)));
    }
}
