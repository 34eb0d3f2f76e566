using System.Diagnostics;
using System.Globalization;
using Evaluator.Tests.Csv;
using Evaluator.Tests.RunFunctions;
using static Evaluator.Tests.Support;

namespace Evaluator.Tests.Reliability;

/// <summary>
/// Thousands of jobs on two real worker processes, each drawn (from a fixed seed) to return, throw, crash, hang, leak, flood the
/// console or return a megabyte: every job must come back once, with the outcome its fault implies, and nothing may pile up.
/// <c>EVALUATOR_SOAK_JOBS</c> scales the run (e.g. 100000).
/// </summary>
[Category("Soak")]
// Generous enough for the scaled run; the default size finishes in well under two minutes and has its own budget below.
[CancelAfter(3_600_000)]
public class SoakSpecs
{
    private const int Seed = 20_261_204;
    private const int DefaultJobs = 2_000;
    private const int InFlight = 16;

    // Per thousand. Crashes and hangs are rare: each costs a worker restart, and a hang its timeout and grace period too.
    private static readonly (string Fault, int Weight)[] Faults =
        [("ok", 803), ("throw", 80), ("noise", 60), ("leak", 40), ("large", 5), ("crash", 8), ("hang", 4)];

    private static readonly EvaluatorOptions Options = new()
    {
        NumWorkers = 2,
        JobTimeout = TimeSpan.FromMilliseconds(500),
        KillGracePeriod = TimeSpan.FromMilliseconds(200),
        // Three leak jobs (32 MiB each) on one worker take it over the limit.
        WorkerMemoryLimitBytes = 128L << 20,
    };

    [Test]
    [Platform("Linux", Reason = "Reads worker processes from /proc.")]
    public async Task Every_job_comes_back_once_with_the_outcome_its_fault_implies_and_nothing_piles_up()
    {
        var total = JobCount();
        var random = new Random(Seed);
        var faults = Enumerable.Range(0, total).Select(_ => Draw(random)).ToArray();
        var dir = Directory.CreateTempSubdirectory("evaluator-soak-").FullName;
        var expectedByNumber = new Dictionary<int, (string Objective, JobStatus Status)>(total);
        var pids = new HashSet<int>();
        var problems = new List<string>();
        var gatheredByFault = Faults.ToDictionary(f => f.Fault, _ => 0);
        var watch = Stopwatch.StartNew();
        // The default size takes well under a minute on 2 cores; this only turns a hang into a failure.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CurrentContext.CancellationToken);
        budget.CancelAfter(TimeSpan.FromMinutes(3) + total * TimeSpan.FromMilliseconds(20));

        void Check(GatherResult done)
        {
            foreach (var job in done)
            {
                var x = (int)job.Parameters["x"]!;
                var expected = Expected(faults[x], x);
                if (!expectedByNumber.TryAdd(job.Number, expected))
                    problems.Add($"job {job.Id} was gathered twice");
                gatheredByFault[faults[x]]++;
                if (job.Objective?.ToString() != expected.Objective || job.Status != expected.Status)
                    problems.Add($"job {job.Id} ({faults[x]}): {job.Objective} {job.Status}, expected {expected.Objective} {expected.Status}");
                if (faults[x] == "large" && (job.Metadata.GetValueOrDefault("_blob") as byte[])?.Length != SoakFunctions.LargeBytes)
                    problems.Add($"job {job.Id} (large) lost its {SoakFunctions.LargeBytes}-byte payload");
                if (job.Metadata.GetValueOrDefault("worker_pid") is { } pid)
                    pids.Add(Convert.ToInt32(pid, CultureInfo.InvariantCulture));
                else
                    problems.Add($"job {job.Id} has no worker_pid");
            }
        }

        var submitted = 0;
        IEnumerable<IReadOnlyDictionary<string, object?>> Next(int count)
        {
            for (; count > 0 && submitted < total; count--, submitted++)
                yield return Config(("x", submitted), ("fault", faults[submitted]));
        }

        long heapBefore = -1, heapAfter = -1;
        // An error that stops the run is kept, so the table still shows how far it got.
        Exception? runError = null;
        var workingSetBefore = Environment.WorkingSet;
        var evaluator = JobEvaluator.Create(SoakFunctions.Run, "loky", Options);
        try
        {
            // As a search driver does: keep a few jobs queued, gather small batches, submit as many new ones as came back.
            evaluator.Submit(Next(InFlight).ToList());
            while (submitted < total)
            {
                var done = await evaluator.GatherAsync(GatherMode.Batch, size: random.Next(1, 9), budget.Token);
                Check(done);
                evaluator.DumpJobsDoneToCsv(dir);
                // Measured after the first gather, when the workers are up and the code paths jitted.
                if (heapBefore < 0)
                    heapBefore = GC.GetTotalMemory(forceFullCollection: true);
                evaluator.Submit(Next(done.Count).ToList());
            }
            Check(await evaluator.GatherAsync(GatherMode.All, cancellationToken: budget.Token));
            evaluator.DumpJobsDoneToCsv(dir);
            heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        }
        catch (Exception e)
        {
            runError = e;
        }
        finally
        {
            await evaluator.CloseAsync();
        }
        var wall = watch.Elapsed;
        var leftWorkers = await WorkerProcesses.StillAliveAfter(pids, TimeSpan.FromSeconds(2));
        var leftChildren = WorkerProcesses.LiveChildWorkers(Environment.ProcessId);

        var drawn = Faults.ToDictionary(f => f.Fault, f => faults.Count(g => g == f.Fault));
        // Payloads of large jobs stay in the evaluator's storage by design; anything beyond them and a few KiB per job is a leak.
        var heapBound = (128L << 20) + drawn["large"] * (SoakFunctions.LargeBytes * 5L / 4) + total * 8L * 1024;
        var heapGrowth = heapAfter - heapBefore;
        var report = TestContext.Out;
        await report.WriteLineAsync($"soak: {total} jobs, seed {Seed}, {Options.NumWorkers} workers, job timeout {Options.JobTimeout!.Value.TotalMilliseconds} ms");
        await report.WriteLineAsync($"  {"fault",-8} {"drawn",8} {"gathered",9}");
        foreach (var (fault, _) in Faults)
            await report.WriteLineAsync($"  {fault,-8} {drawn[fault],8} {gatheredByFault[fault],9}");
        await report.WriteLineAsync($"  {"all",-8} {total,8} {expectedByNumber.Count,9}");
        await report.WriteLineAsync($"  {"restarts",-8} {pids.Count - Options.NumWorkers,8}  (distinct worker pids - {Options.NumWorkers}; a reused pid counts once)");
        await report.WriteLineAsync($"  wall time {wall.TotalSeconds:0.0} s, {expectedByNumber.Count / wall.TotalSeconds:0} jobs/s gathered");
        if (runError is null)
            await report.WriteLineAsync($"  host heap growth {heapGrowth / 1048576.0:0.0} MiB (bound {heapBound / 1048576.0:0} MiB); " +
                                      $"working set {workingSetBefore >> 20} -> {Environment.WorkingSet >> 20} MiB");
        else
            await report.WriteLineAsync($"  stopped by {runError.GetType().Name}: {runError.Message.Split('\n')[0]}");

        Assert.That(runError, Is.Null, () => $"the run stopped after {expectedByNumber.Count} of {total} jobs: {runError}");

        Assert.That(problems, Is.Empty, $"{problems.Count} problems; the first: {string.Join("; ", problems.Take(10))}");
        Assert.Multiple(() =>
        {
            Assert.That(expectedByNumber, Has.Count.EqualTo(total), "every submitted job gathered");
            Assert.That(pids.Count - Options.NumWorkers, Is.GreaterThanOrEqualTo(gatheredByFault["crash"] + gatheredByFault["hang"]),
                "every crash and every hang ends the worker that ran it");
            Assert.That(heapGrowth, Is.LessThan(heapBound), "host memory");
            Assert.That(leftWorkers, Is.Empty, "worker processes alive after Close");
            Assert.That(leftChildren, Is.Empty, "worker processes of this host alive after Close");
        });
        AssertCsv(Path.Combine(dir, "results.csv"), expectedByNumber);
        Directory.Delete(dir, recursive: true);
    }

    private static void AssertCsv(string path, Dictionary<int, (string Objective, JobStatus Status)> expected)
    {
        var csv = CsvFile.Read(path);
        var jobIds = csv.Rows.Select(r => int.Parse(csv.Cells(r, "job_id")[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(csv.Rows.Where(r => r.Length != csv.Header.Length), Is.Empty, "rows with the header's column count");
            Assert.That(jobIds, Is.Unique, "one row per job");
            Assert.That(jobIds, Is.EquivalentTo(expected.Keys), "a row for every job gathered");
        });
        var wrong = csv.Rows
            .Select(r => csv.Cells(r, "job_id", "objective", "job_status"))
            .Where(c => expected[int.Parse(c[0], CultureInfo.InvariantCulture)] is var e
                        && (!SameObjective(c[1], e.Objective) || c[2] != (e.Status == JobStatus.Cancelled ? "CANCELLED" : "DONE")))
            .Select(c => string.Join(",", c))
            .ToList();
        Assert.That(wrong, Is.Empty, "rows whose objective or status differs from the job's");
    }

    // The CSV writes numbers in its own invariant format; compare them as numbers and failures as text.
    private static bool SameObjective(string cell, string expected) =>
        double.TryParse(expected, CultureInfo.InvariantCulture, out var value)
            ? double.TryParse(cell, CultureInfo.InvariantCulture, out var parsed) && parsed == value
            : cell == expected;

    private static (string Objective, JobStatus Status) Expected(string fault, int x) => fault switch
    {
        "throw" => ("F_InvalidOperationException", JobStatus.Done),
        "crash" => ("F_WORKER_CRASHED", JobStatus.Done),
        "hang" => ("F_TIMEOUT", JobStatus.Cancelled),
        _ => ((x * 0.5).ToString("R", CultureInfo.InvariantCulture), JobStatus.Done),
    };

    private static string Draw(Random random)
    {
        var roll = random.Next(1000);
        foreach (var (fault, weight) in Faults)
        {
            if (roll < weight)
                return fault;
            roll -= weight;
        }
        throw new InvalidOperationException("The fault weights must add up to 1000.");
    }

    private static int JobCount() =>
        int.TryParse(Environment.GetEnvironmentVariable("EVALUATOR_SOAK_JOBS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultJobs;
}
