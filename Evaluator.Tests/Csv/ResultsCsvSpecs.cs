using System.Globalization;
using Evaluator.Core.Csv;
using Evaluator.Tests.RunFunctions;

namespace Evaluator.Tests.Csv;

public class ResultsCsvSpecs
{
    private const string Timestamps = "m:timestamp_submit,m:timestamp_start,m:timestamp_end,m:timestamp_gather";
    private string _folder = null!;

    private string CsvPath => Path.Combine(_folder, "results.csv");

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("evaluator-csv-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static IReadOnlyDictionary<string, object?> Config(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);

    private static IEnumerable<IReadOnlyDictionary<string, object?>> Xs(params object[] xs) => xs.Select(x => Config(("x", x)));

    private JobEvaluator Create(Delegate runFunction, string method = "thread") =>
        JobEvaluator.Create(runFunction, method, new EvaluatorOptions { NumWorkers = 2, Callbacks = { new CsvLoggerCallback(CsvPath) } });

    private static Job DoneJob(int number, IReadOnlyDictionary<string, object?> parameters, Objective? objective,
        Dictionary<string, object?>? metadata = null, JobStatus status = JobStatus.Done)
    {
        var job = new Job($"0.{number}", number, parameters);
        if (objective is not null)
            job.Complete(objective, metadata, null, status);
        else
            job.Status = status;
        return job;
    }

    [Test]
    public void A_results_file_that_cannot_be_written_fails_naming_the_whole_path()
    {
        // A regular file where a folder should be: no folder can be created under it.
        var blocker = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(blocker, "");
        var path = Path.Combine(blocker, "results.csv");
        using var writer = new ResultsCsvWriter(path);

        var error = Assert.Throws<IOException>(() => writer.Write([DoneJob(0, Config(("x", 1)), Objective.Single(1))]));

        Assert.That(error!.Message, Does.Contain($"'{path}' cannot be written"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_header_follows_DeepHyper_column_order_and_rows_hold_failures_and_metadata()
    {
        await using var evaluator = Create(TestFunctions.WithMetadataUnlessNegative);
        evaluator.Submit(Xs(0.5, -1.0, 2.25));
        await evaluator.GatherAsync(GatherMode.All);

        var csv = CsvFile.Read(CsvPath);
        Assert.That(csv.HeaderLine, Is.EqualTo($"p:x,objective,job_id,job_status,{Timestamps},m:size,m:note"));
        var rows = csv.RowsByJobId();
        var visible = new[] { "p:x", "objective", "job_id", "job_status", "m:size", "m:note" };
        Assert.That(rows.Select(r => csv.Cells(r, visible)), Is.EqualTo(new[]
        {
            new[] { "0.5", "0.5", "0", "DONE", "3", "a, \"quoted\"\nline" },
            new[] { "-1", "F_NEGATIVE", "1", "DONE", "", "" },
            new[] { "2.25", "2.25", "2", "DONE", "3", "a, \"quoted\"\nline" },
        }));
        foreach (var row in rows)
            foreach (var column in Timestamps.Split(','))
                Assert.That(double.Parse(csv.Cells(row, column)[0], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(0), column);
        Assert.That(csv.Text, Does.Contain(",3,\"a, \"\"quoted\"\"\nline\"\n"), "RFC 4180 quoting, \\n line ends");
        Assert.That(csv.Text, Does.Not.Contain("_hidden"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Multi_objective_jobs_get_one_column_per_objective_and_failures_fill_each_of_them()
    {
        await using var evaluator = Create(TestFunctions.TwoObjectives);
        evaluator.Submit(Xs(1.0, -1.0, 2.5));
        await evaluator.GatherAsync(GatherMode.All);

        var csv = CsvFile.Read(CsvPath);
        Assert.That(csv.HeaderLine, Is.EqualTo($"p:x,objective_0,objective_1,job_id,job_status,{Timestamps}"));
        Assert.That(csv.RowsByJobId().Select(r => r[..5]), Is.EqualTo(new[]
        {
            new[] { "1", "1", "-1", "0", "DONE" },
            new[] { "-1", "F_NEGATIVE", "F_NEGATIVE", "1", "DONE" },
            new[] { "2.5", "2.5", "-2.5", "2", "DONE" },
        }));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_failure_before_any_success_is_single_objective_until_multi_objective_successes_arrive()
    {
        await using var evaluator = Create(TestFunctions.TwoObjectives, "serial");
        evaluator.Submit(Xs(-1.0));
        await evaluator.GatherAsync(GatherMode.All);
        var before = CsvFile.Read(CsvPath);

        evaluator.Submit(Xs(3.0));
        await evaluator.GatherAsync(GatherMode.All);
        var after = CsvFile.Read(CsvPath);

        Assert.That(before.HeaderLine, Is.EqualTo($"p:x,objective,job_id,job_status,{Timestamps}"));
        Assert.That(before.Rows.Select(r => r[..4]), Is.EqualTo(new[] { new[] { "-1", "F_NEGATIVE", "0", "DONE" } }));
        Assert.That(after.HeaderLine, Is.EqualTo($"p:x,objective_0,objective_1,job_id,job_status,{Timestamps}"));
        Assert.That(after.RowsByJobId().Select(r => r[..5]), Is.EqualTo(new[]
        {
            new[] { "-1", "F_NEGATIVE", "F_NEGATIVE", "0", "DONE" },
            new[] { "3", "3", "-3", "1", "DONE" },
        }));
        Assert.That(after.Rows[0][5..], Is.EqualTo(before.Rows[0][4..]), "the rewrite keeps the earlier row's metadata");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_metadata_key_that_appears_late_is_kept_and_earlier_rows_are_empty_there()
    {
        await using var evaluator = Create(TestFunctions.LateMetadata, "serial");
        evaluator.Submit(Xs(1.0, 2.0));
        await evaluator.GatherAsync(GatherMode.All);
        var before = CsvFile.Read(CsvPath);

        evaluator.Submit(Xs(7.0));
        await evaluator.GatherAsync(GatherMode.All);
        var after = CsvFile.Read(CsvPath);

        Assert.That(before.HeaderLine, Is.EqualTo($"p:x,objective,job_id,job_status,{Timestamps}"));
        Assert.That(after.HeaderLine, Is.EqualTo($"p:x,objective,job_id,job_status,{Timestamps},m:late"));
        Assert.That(after.Rows.Select(r => after.Cells(r, "p:x", "objective", "job_id", "m:late")), Is.EqualTo(new[]
        {
            new[] { "1", "1", "0", "" },
            new[] { "2", "2", "1", "" },
            new[] { "7", "7", "2", "yes" },
        }));
        Assert.That(after.Rows.Take(2).Select(r => r[..^1]), Is.EqualTo(before.Rows), "earlier rows are unchanged but for the new cell");
        Assert.That(Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName), Is.EqualTo(new[] { "results.csv" }), "no temporary file is left");
    }

    [Test]
    [CancelAfter(30_000)]
    public void Rows_are_on_disk_right_after_a_gather_in_which_every_job_failed()
    {
        using var evaluator = Create(TestFunctions.AlwaysFail);
        evaluator.Submit(Xs(1.0, 2.0, 3.0));
        evaluator.Gather("ALL");

        var csv = CsvFile.Read(CsvPath);
        Assert.That(csv.HeaderLine, Is.EqualTo($"p:x,objective,job_id,job_status,{Timestamps}"));
        Assert.That(csv.RowsByJobId().Select(r => r[..4]), Is.EqualTo(new[]
        {
            new[] { "1", "F_ALWAYS", "0", "DONE" },
            new[] { "2", "F_ALWAYS", "1", "DONE" },
            new[] { "3", "F_ALWAYS", "2", "DONE" },
        }));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Close_writes_one_row_per_submitted_job_and_the_jobs_not_gathered_are_cancelled()
    {
        var evaluator = Create(TestFunctions.Sleep);
        evaluator.Submit(Enumerable.Range(0, 10).Select(_ => Config(("ms", 0))));
        var first = await evaluator.GatherAsync(GatherMode.All);
        evaluator.Submit(Enumerable.Range(0, 10).Select(_ => Config(("ms", 500))));
        var second = await evaluator.GatherAsync(GatherMode.Batch, size: 1);
        await evaluator.CloseAsync();

        var gathered = first.Concat(second).Select(j => j.Number.ToString(CultureInfo.InvariantCulture)).ToHashSet();
        var csv = CsvFile.Read(CsvPath);
        Assert.That(first, Has.Count.EqualTo(10));
        Assert.That(second, Has.Count.GreaterThanOrEqualTo(1));
        Assert.That(csv.Column("job_id"), Is.EqualTo(Enumerable.Range(0, 20).Select(i => i.ToString(CultureInfo.InvariantCulture))));
        foreach (var row in csv.Rows)
        {
            var (id, status, objective) = (csv.Cells(row, "job_id")[0], csv.Cells(row, "job_status")[0], csv.Cells(row, "objective")[0]);
            Assert.That(status, Is.EqualTo(gathered.Contains(id) ? "DONE" : "CANCELLED"), $"job {id}");
            if (csv.Cells(row, "m:timestamp_start")[0] == "")
                Assert.That(objective, Is.EqualTo("F_CANCELLED"), $"job {id} never started");
        }
        Assert.That(csv.Rows.Count(r => csv.Cells(r, "job_status")[0] == "CANCELLED"), Is.EqualTo(20 - gathered.Count));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task DumpJobsDoneToCsv_appends_the_jobs_gathered_since_the_last_call()
    {
        await using var evaluator = JobEvaluator.Create(TestFunctions.Add, "thread", new EvaluatorOptions { NumWorkers = 2 });
        var folder = Path.Combine(_folder, "missing", "folder");
        evaluator.Submit(Enumerable.Range(0, 3).Select(i => Config(("x", i), ("y", 0.5))));
        await evaluator.GatherAsync(GatherMode.All);
        evaluator.DumpJobsDoneToCsv(folder, "dump.csv");
        evaluator.Submit(Enumerable.Range(3, 2).Select(i => Config(("x", i), ("y", 0.5))));
        await evaluator.GatherAsync(GatherMode.All);
        evaluator.DumpJobsDoneToCsv(folder, "dump.csv", flush: true);

        var csv = CsvFile.Read(Path.Combine(folder, "dump.csv"));
        Assert.That(csv.HeaderLine, Is.EqualTo($"p:x,p:y,objective,job_id,job_status,{Timestamps}"));
        Assert.That(csv.RowsByJobId().Select(r => r[..5]), Is.EqualTo(Enumerable.Range(0, 5).Select(i =>
            new[] { $"{i}", "0.5", $"{i + 0.5}", $"{i}", "DONE" })));
    }

    [Test]
    public void The_first_write_replaces_an_existing_file_and_later_writes_append()
    {
        File.WriteAllText(CsvPath, "old,content\n1,2\n");
        using var writer = new ResultsCsvWriter(CsvPath);
        writer.Write([DoneJob(0, Config(("a", 1L)), Objective.Single(1.5))]);
        writer.Write([]);
        writer.Write([DoneJob(1, Config(("a", 2L)), Objective.Single(-2))], flushToDisk: true);

        Assert.That(File.ReadAllText(CsvPath), Is.EqualTo("p:a,objective,job_id,job_status\n1,1.5,0,DONE\n2,-2,1,DONE\n"));
    }

    [Test]
    public void A_parameter_that_appears_late_gets_its_column_before_the_objective()
    {
        using var writer = new ResultsCsvWriter(CsvPath);
        writer.Write([DoneJob(0, Config(("a", 1L)), Objective.Single(1), new() { ["k"] = "v" })]);
        writer.Write([DoneJob(1, Config(("b", "x,y"), ("a", 2L)), Objective.Failed("F_TIMEOUT"))]);

        Assert.That(File.ReadAllText(CsvPath), Is.EqualTo(
            "p:a,p:b,objective,job_id,job_status,m:k\n1,,1,0,DONE,v\n2,\"x,y\",F_TIMEOUT,1,DONE,\n"));
    }

    [Test]
    public void More_objectives_arriving_late_widen_the_header_and_earlier_failures_fill_the_new_columns()
    {
        using var writer = new ResultsCsvWriter(CsvPath);
        writer.Write([DoneJob(0, Config(("a", 1L)), Objective.Multi([1, 2])), DoneJob(1, Config(("a", 2L)), Objective.Failed("F_X"))]);
        writer.Write([DoneJob(2, Config(("a", 3L)), Objective.Multi([4, 5, 6]))]);

        Assert.That(File.ReadAllText(CsvPath), Is.EqualTo(
            "p:a,objective_0,objective_1,objective_2,job_id,job_status\n1,1,2,,0,DONE\n2,F_X,F_X,F_X,1,DONE\n3,4,5,6,2,DONE\n"));
    }

    [Test]
    public void Fields_with_delimiters_quotes_line_breaks_or_edge_spaces_are_quoted_as_RFC_4180_says()
    {
        using var writer = new ResultsCsvWriter(CsvPath);
        string[] values = ["plain", "a,b", "say \"hi\"", "cr\ronly", "lf\nonly", " lead", "trail ", "in side"];
        writer.Write(values.Select((v, i) => DoneJob(i, Config(("s", v)), Objective.Single(0))).ToList());

        Assert.That(File.ReadAllText(CsvPath), Is.EqualTo(
            "p:s,objective,job_id,job_status\nplain,0,0,DONE\n\"a,b\",0,1,DONE\n\"say \"\"hi\"\"\",0,2,DONE\n\"cr\ronly\",0,3,DONE\n" +
            "\"lf\nonly\",0,4,DONE\n\" lead\",0,5,DONE\n\"trail \",0,6,DONE\nin side,0,7,DONE\n"));
        Assert.That(CsvFile.Read(CsvPath).Column("p:s"), Is.EqualTo(values));
    }

    [Test]
    public void Every_status_has_DeepHyper_upper_case_name()
    {
        using var writer = new ResultsCsvWriter(CsvPath);
        writer.Write(Enum.GetValues<JobStatus>().Select((s, i) => DoneJob(i, Config(("a", 1L)), s is JobStatus.Done or JobStatus.Cancelled ? Objective.Single(1) : null, status: s)).ToList());

        var csv = CsvFile.Read(CsvPath);
        Assert.That(csv.Column("job_status"), Is.EqualTo(new[] { "READY", "RUNNING", "DONE", "CANCELLING", "CANCELLED" }));
        Assert.That(csv.Column("objective"), Is.EqualTo(new[] { "", "", "1", "", "1" }));
    }

    [Test]
    [SetCulture("de-DE")]
    public void Values_are_written_in_the_invariant_culture_as_pandas_reads_them()
    {
        using var writer = new ResultsCsvWriter(CsvPath);
        var parameters = new Dictionary<string, object?>
        {
            ["double"] = 0.1, ["tiny"] = 1e-20, ["float"] = 0.5f, ["long"] = 1234567L, ["true"] = true, ["false"] = false, ["null"] = null,
            ["nan"] = double.NaN, ["inf"] = double.NegativeInfinity, ["bytes"] = new byte[] { 1, 2, 255 },
            ["list"] = new object?[] { 1L, "a\"b", null, 2.5 }, ["map"] = new Dictionary<string, object?> { ["k"] = "é", ["n"] = 1.25 },
        };
        writer.Write([DoneJob(0, parameters, Objective.Single(1.0 / 3))]);

        var csv = CsvFile.Read(CsvPath);
        Assert.That(csv.Rows.Single(), Is.EqualTo(new[]
        {
            "0.1", "1E-20", "0.5", "1234567", "True", "False", "", "nan", "-inf", "AQL/", "[1,\"a\\\"b\",null,2.5]", "{\"k\":\"é\",\"n\":1.25}",
            "0.3333333333333333", "0", "DONE",
        }));
        Assert.That(File.ReadAllBytes(CsvPath)[..3], Is.EqualTo("p:d"u8.ToArray()), "UTF-8 without BOM");
    }
}
