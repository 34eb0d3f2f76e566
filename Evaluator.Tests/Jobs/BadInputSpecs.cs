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
        yield return new TestCaseData(new EvaluatorOptions { WorkerPath = Path.Combine(AppContext.BaseDirectory, "Evaluator.Tests.deps.json") },
            "must name Evaluator.WorkerHost.dll or an executable file");
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

    [TestCase("nocolon")]
    [TestCase("")]
    [TestCase("My.dll:Method")]
    public void A_malformed_run_function_reference_names_the_expected_form(string reference)
    {
        var error = Assert.Throws<FormatException>(() => RunFunction.Parse(reference));
        Assert.That(error!.Message, Does.Contain($"'{reference}' is not a run function reference").And.Contain("path/to/Assembly.dll:Namespace.Type.Method"));
    }

    [Test]
    public void A_file_that_is_not_an_assembly_fails_at_Create_naming_it()
    {
        var notAnAssembly = Path.GetTempFileName();
        File.WriteAllText(notAnAssembly, "this is not an assembly");
        try
        {
            var error = Assert.Throws<InvalidRunFunctionException>(() => JobEvaluator.Create(RunFunction.Parse($"{notAnAssembly}:A.B.C"), "loky"));
            Assert.That(error!.Message, Does.Contain($"'{notAnAssembly}' could not be loaded"));
        }
        finally
        {
            File.Delete(notAnAssembly);
        }
    }

    public static IEnumerable<TestCaseData> BadKwargs()
    {
        yield return new TestCaseData("scale", "abc", "RunFunctionKwargs['scale'] is String, which cannot be converted to Double").SetName("A kwarg of the wrong type is named");
        yield return new TestCaseData("scale", null, "RunFunctionKwargs['scale'] is null, but parameter 'scale'").SetName("A null kwarg for a value type is named");
        yield return new TestCaseData("nope", 1, "RunFunctionKwargs has 'nope', but the run function").SetName("A kwarg the run function does not take is named");
    }

    [TestCaseSource(nameof(BadKwargs))]
    public void A_kwarg_that_does_not_fit_the_run_function_fails_at_Create(string name, object? value, string expected)
    {
        foreach (var method in new[] { "thread", "loky" })
        {
            // A fitting 'scale' first, so each case fails for its own kwarg alone.
            var options = new EvaluatorOptions { RunFunctionKwargs = { ["scale"] = 2.0, [name] = value } };
            var error = Assert.Throws<InvalidRunFunctionException>(() => JobEvaluator.Create(TestFunctions.Scaled, method, options));
            Assert.That(error!.Message, Does.Contain(expected), method);
        }
    }

    [Test]
    public void A_search_timeout_that_is_not_positive_fails_at_Create_and_when_set()
    {
        var error = Assert.Throws<ArgumentException>(() => JobEvaluator.Create(TestFunctions.Identity, "thread", new EvaluatorOptions { Timeout = TimeSpan.Zero }));
        Assert.That(error!.Message, Does.Contain("EvaluatorOptions.Timeout must be positive or null"));
        using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        Assert.That(() => evaluator.Timeout = TimeSpan.FromSeconds(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("The search timeout must be positive or null"));
    }

    [Test]
    public void A_null_run_function_or_method_is_refused_naming_the_argument()
    {
        Assert.That(() => JobEvaluator.Create((RunFunction)null!, "loky"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("runFunction"));
        Assert.That(() => JobEvaluator.Create(TestFunctions.Identity, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("method"));
    }

    public static IEnumerable<TestCaseData> NotPlainParameters()
    {
        yield return new TestCaseData(new Uri("http://example.invalid"), "holds a value of type System.Uri").SetName("A Uri parameter is refused");
        yield return new TestCaseData(new List<object?> { 1, new object() }, "holds a value of type System.Object").SetName("A list holding an object is refused");
        yield return new TestCaseData(new Dictionary<int, int> { [1] = 2 }, "holds a map key of type System.Int32").SetName("A map with int keys is refused");
    }

    // The thread backend refuses them too, so a search moves from thread to loky without surprises.
    [TestCaseSource(nameof(NotPlainParameters))]
    public async Task A_parameter_that_is_not_plain_data_fails_at_Submit_naming_it(object value, string expected)
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        var error = Assert.Throws<ArgumentException>(() => evaluator.Submit(Config(("x", value))));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("Parameter 'x' of configuration 0").And.Contain(expected).And.Contain("nothing was submitted"));
            Assert.That(evaluator.NumJobsSubmitted, Is.Zero);
        });
    }

    [Test]
    public async Task A_null_configuration_fails_at_Submit_and_submits_nothing()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        var error = Assert.Throws<ArgumentException>(() => evaluator.Submit([Config(("x", 1)), null!]));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("Configuration 1 of the batch is null; nothing was submitted."));
            Assert.That(evaluator.NumJobsSubmitted, Is.Zero);
        });
    }

    [Test]
    public async Task Gather_BATCH_with_nothing_submitted_says_to_submit_first()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        Assert.That(() => evaluator.Gather("BATCH"), Throws.InvalidOperationException.With.Message.EqualTo("Gather(BATCH) was called with no job pending; submit jobs first."));
        Assert.That(evaluator.Gather("ALL"), Is.Empty, "ALL with nothing pending is no error");
    }

    [Test]
    public async Task Gather_with_a_bad_size_or_mode_is_refused()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        evaluator.Submit(Xs(1));
        Assert.That(() => evaluator.Gather(GatherMode.Batch, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("size"));
        Assert.That(() => evaluator.Gather((GatherMode)7), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("The gather mode must be All or Batch"));
        Assert.That(evaluator.Gather(GatherMode.All), Has.Count.EqualTo(1), "the refused gathers lost nothing");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Overlapping_gathers_are_refused()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Sleep, "thread");
        evaluator.Submit(Config(("ms", 500)));
        var first = evaluator.GatherAsync(GatherMode.All);
        Assert.That(() => evaluator.GatherAsync(GatherMode.All), Throws.InvalidOperationException.With.Message.Contains("gathers must not overlap"));
        Assert.That(await first, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Submit_and_Gather_after_Close_are_refused()
    {
        var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        await evaluator.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(() => evaluator.Submit(Xs(1)), Throws.TypeOf<ObjectDisposedException>().With.Message.StartsWith("Submit was called after the evaluator was closed"));
            Assert.That(() => evaluator.Gather(GatherMode.All), Throws.TypeOf<ObjectDisposedException>().With.Message.StartsWith("Gather was called after the evaluator was closed"));
            Assert.That(() => evaluator.GatherAsync(GatherMode.All), Throws.TypeOf<ObjectDisposedException>());
        });
    }

    [Test]
    public async Task A_negative_maximum_number_of_jobs_is_refused()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Identity, "thread");
        Assert.That(() => evaluator.SetMaximumNumJobsSubmitted(-1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maximum"));
    }
}
