using Evaluator.Tests.RunFunctions;
using static Evaluator.Tests.Support;

namespace Evaluator.Tests.Jobs;

/// <summary>Bad input fails early, at Create or Submit, with a sentence naming what is wrong; nothing is lost.</summary>
public class BadInputSpecs
{
    private static readonly string TestAssembly = typeof(TestFunctions).Assembly.Location;

    public static IEnumerable<TestCaseData> BadRunFunctions()
    {
        yield return new TestCaseData("/no/such/Assembly.dll:A.B.C", "does not exist").SetName("A missing assembly is named");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.NoSuchType.Add", "has no type 'Evaluator.Tests.RunFunctions.NoSuchType'")
            .SetName("A missing type is named");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.TestFunctions.NoSuchMethod", "has no method 'NoSuchMethod'")
            .SetName("A missing method is named");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.BadShapes.TakesAnInt", "takes Int32 'x' first")
            .SetName("A wrong first parameter is named");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.BadShapes.ReturnsNothing", "returns nothing")
            .SetName("A void run function is refused");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.BadShapes.NeedsKwarg", "has a parameter 'depth' with no default value")
            .SetName("A parameter without a kwarg is named");
        yield return new TestCaseData($"{TestAssembly}:Evaluator.Tests.RunFunctions.BadShapes.Overloaded", "must not be overloaded")
            .SetName("An overloaded run function is refused");
    }

    [TestCaseSource(nameof(BadRunFunctions))]
    public void A_bad_run_function_fails_at_Create_with_a_sentence_naming_it(string reference, string expected)
    {
        foreach (var method in new[] { "thread", "loky" })
        {
            var error = Assert.Throws<InvalidRunFunctionException>(() => JobEvaluator.Create(RunFunction.Parse(reference), method));
            Assert.That(error!.Message, Does.Contain(expected), method);
        }
    }

    [Test]
    public void A_wrong_signature_lists_the_accepted_shapes()
    {
        var error = Assert.Throws<InvalidRunFunctionException>(() => JobEvaluator.Create(BadShapes.TakesAnInt, "loky"));
        Assert.That(error!.Message, Does.Contain("Accepted shapes:").And.Contain("RunningJob"));
    }

    [Test]
    public void A_lambda_that_captures_state_is_refused_with_the_reason()
    {
        var offset = 3.0;
        var error = Assert.Throws<ArgumentException>(() => RunFunction.From((RunningJob job) => job.Get<double>("x") + offset));
        Assert.That(error!.Message, Does.Contain("captures variables"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_capture_free_lambda_runs_in_a_worker()
    {
        await using var evaluator = JobEvaluator.Create((RunningJob job) => job.Get<double>("x") * 2, "loky");
        evaluator.Submit(Xs(2, 1));
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(done.Select(j => j.Objective!.Value).Order(), Is.EqualTo(new double?[] { 2, 4 }));
    }

    [Test]
    public void An_unknown_method_lists_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => JobEvaluator.Create(TestFunctions.Identity, "ray"));
        Assert.That(error!.Message, Does.Contain("'ray'").And.Contain("serial, thread, loky, process"));
    }

    public static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new EvaluatorOptions { NumWorkers = 0 }, "NumWorkers must be at least 1");
        yield return new TestCaseData(new EvaluatorOptions { JobTimeout = TimeSpan.Zero }, "JobTimeout must be positive");
        yield return new TestCaseData(new EvaluatorOptions { KillGracePeriod = TimeSpan.FromSeconds(-1) }, "KillGracePeriod must not be negative");
        yield return new TestCaseData(new EvaluatorOptions { MaxJobsPerWorker = 0 }, "MaxJobsPerWorker must be at least 1");
        yield return new TestCaseData(new EvaluatorOptions { WorkerMemoryLimitBytes = 1000 }, "WorkerMemoryLimitBytes must be at least 16 MiB");
        yield return new TestCaseData(new EvaluatorOptions { WorkerIdleTimeout = TimeSpan.Zero }, "WorkerIdleTimeout must be positive");
        yield return new TestCaseData(new EvaluatorOptions { WorkerPath = "/no/such/worker.dll" }, "WorkerPath must name an existing file");
        yield return new TestCaseData(new EvaluatorOptions { SearchId = "7" }, "SearchId names a search to join");
        yield return new TestCaseData(new EvaluatorOptions { Storage = new MemoryStorage(), SearchId = "7" }, "no such search");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void A_bad_option_fails_at_Create_naming_the_option(EvaluatorOptions options, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => JobEvaluator.Create(TestFunctions.Identity, "thread", options));
        Assert.That(error!.Message, Does.Contain(expected));
    }

    [Test]
    public void A_kwarg_that_cannot_cross_to_a_worker_fails_at_Create()
    {
        var options = new EvaluatorOptions { RunFunctionKwargs = { ["scale"] = new Uri("http://example.invalid") } };
        var error = Assert.Throws<ArgumentException>(() => JobEvaluator.Create(TestFunctions.Scaled, "loky", options));
        Assert.That(error!.Message, Does.Contain("RunFunctionKwargs['scale']").And.Contain("System.Uri"));
    }

    [Test]
    public async Task Gather_with_an_unknown_type_is_refused()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "serial");
        Assert.That(() => evaluator.Gather("SOME"), Throws.ArgumentException.With.Message.Contains("\"ALL\" or \"BATCH\""));
    }
}
