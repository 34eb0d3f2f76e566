using System.Diagnostics;
using Evaluator.Core;

namespace Evaluator.Benchmarks;

/// <summary>
/// The measurements. Each figure runs several repetitions on fresh evaluators; all but the cold-start figures warm the workers
/// up first, so they measure the steady state. Times come from <see cref="Stopwatch"/>, or from the evaluator's own clock
/// (<c>timestamp_*</c> metadata, seconds since the evaluator was created) where a moment inside the engine is needed.
/// </summary>
internal sealed class Figures(bool quick, string? only, Action<string> progress)
{
    private const int DefaultWorkers = 2;

    private int Repetitions => quick ? 3 : 5;

    public IEnumerable<Figure> Run()
    {
        WarmUpProcess();
        if (Wanted("trivial_jobs_per_s"))
            yield return Trivial("loky", DefaultWorkers, 20_000, "trivial_jobs_per_s", Target.Min(50_000));
        if (Wanted("sleep10"))
        {
            var overhead = new List<double>();
            yield return SleepWall("loky", DefaultWorkers, 200, "sleep10_wall_s", Target.Max(1.010), overhead);
            // Each worker runs 100 sleeps in a row. Thread.Sleep(10) itself overshoots by a varying amount on a virtual machine, so the
            // evaluator's own cost is the wall time minus the busiest worker's time inside the run function, and the floor shows the rest.
            yield return new Figure("sleep10_overhead_s", "s", overhead, Target.Max(0.010));
            yield return SleepFloor();
        }
        if (Wanted("cold"))
        {
            foreach (var figure in ColdStart("", workerPath: null))
                yield return figure;
            var readyToRun = PublishReadyToRunWorker(out var why);
            foreach (var figure in ColdStart("_r2r", readyToRun, why))
                yield return figure;
        }
        if (Wanted("gather_latency_ms"))
            yield return GatherLatency();
        if (Wanted("host_bytes_per_job") || Wanted("csv_100k_rows_s"))
            foreach (var figure in MemoryAndCsv(100_000))
                yield return figure;

        if (Wanted("scaling"))
            foreach (var workers in new[] { 1, 2, 4, 8 })
            {
                var wall = SleepWall("loky", workers, 100 * workers, $"scaling_{workers}w_sleep10_wall_s", null);
                yield return wall;
                yield return new Figure($"scaling_{workers}w_efficiency", "ideal/actual", wall.Samples.Select(s => 1.0 / s).ToArray());
            }

        if (Wanted("trivial_1"))
        {
            var costs = new List<Figure>();
            foreach (var jobs in new[] { 1_000, 10_000, 100_000 })
            {
                var throughput = Trivial("loky", DefaultWorkers, jobs, $"trivial_{jobs}_jobs_per_s", null);
                yield return throughput;
                var cost = new Figure($"trivial_{jobs}_us_per_job", "us", throughput.Samples.Select(s => 1e6 / s).ToArray());
                costs.Add(cost);
                yield return cost;
            }
            // Linear cost means a constant cost per job: the largest run's cost per job over the smallest's stays near 1 (or below).
            yield return new Figure("trivial_cost_growth_100k_vs_1k", "ratio", [costs[^1].Median / costs[0].Median], Target.Max(1.5));
        }

        // Watching worker memory must not cost short jobs their throughput (a limit of 1 GiB is never reached here).
        if (Wanted("trivial_memory_limit_jobs_per_s"))
            yield return Trivial("loky", DefaultWorkers, 20_000, "trivial_memory_limit_jobs_per_s", Target.Min(50_000), memoryLimit: 1L << 30);

        if (Wanted("thread"))
        {
            yield return Trivial("thread", DefaultWorkers, 20_000, "thread_trivial_jobs_per_s", null);
            yield return SleepWall("thread", DefaultWorkers, 200, "thread_sleep10_wall_s", Target.Max(1.010));
        }
        if (Wanted("serial"))
        {
            yield return Trivial("serial", 1, 20_000, "serial_trivial_jobs_per_s", null);
            yield return SleepWall("serial", 1, 100, "serial_sleep10_wall_s", Target.Max(1.010));
        }
    }

    /// <summary>
    /// Runs the hot paths of this process for a few seconds before the first figure, so every figure meets code the JIT has already
    /// optimised (tiered compilation, with its instrumented tier, takes a few seconds to settle), not only the later ones.
    /// </summary>
    private void WarmUpProcess()
    {
        progress("  warming up this process");
        foreach (var method in new[] { "loky", "thread" })
        {
            using var evaluator = Warm(BenchFunctions.Trivial, method, DefaultWorkers);
            for (var round = 0; round < 5; round++)
            {
                evaluator.Submit(Xs(20_000));
                Expect(evaluator.Gather(GatherMode.All), 20_000);
                Thread.Sleep(150);
            }
        }
    }

    private bool Wanted(string name) => only is null || name.StartsWith(only, StringComparison.Ordinal) || only.StartsWith(name, StringComparison.Ordinal);

    /// <summary>Jobs per second for <paramref name="jobs"/> trivial jobs submitted at once, then gathered with ALL.</summary>
    private Figure Trivial(string method, int workers, int jobs, string name, Target? target, long? memoryLimit = null) =>
        Repeat(name, "jobs/s", target, () =>
        {
            using var evaluator = Warm(BenchFunctions.Trivial, method, workers, memoryLimit: memoryLimit);
            return jobs / SubmitAndGatherAll(evaluator, jobs).Seconds;
        });

    /// <summary>Wall seconds from submitting <paramref name="jobs"/> configurations at once to <c>Gather(ALL)</c> returning them all.</summary>
    private static (double Seconds, GatherResult Done) SubmitAndGatherAll(JobEvaluator evaluator, int jobs)
    {
        var configs = Xs(jobs);
        var start = Stopwatch.GetTimestamp();
        evaluator.Submit(configs);
        var done = evaluator.Gather(GatherMode.All);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Expect(done, jobs);
        return (elapsed, done);
    }

    /// <summary>
    /// Wall seconds for <paramref name="jobs"/> jobs of 10 ms on <paramref name="workers"/> workers (ideal: jobs × 10 ms / workers). With
    /// <paramref name="overhead"/>, also the wall time less the time the busiest worker spent inside the run function (from the jobs'
    /// <c>timestamp_start</c> and <c>timestamp_end</c>), per repetition.
    /// </summary>
    private Figure SleepWall(string method, int workers, int jobs, string name, Target? target, List<double>? overhead = null) =>
        Repeat(name, "s", target, () =>
        {
            using var evaluator = Warm(BenchFunctions.Sleep10, method, workers, ms: 10);
            var (elapsed, done) = SubmitAndGatherAll(evaluator, jobs);
            overhead?.Add(elapsed - done
                .GroupBy(j => j.Metadata.GetValueOrDefault("worker_pid") ?? Environment.CurrentManagedThreadId)
                .Max(g => g.Sum(j => (double)j.Metadata["timestamp_end"]! - (double)j.Metadata["timestamp_start"]!)));
            return elapsed;
        });

    /// <summary>
    /// From <c>Create</c> to the first gathered result, and until both workers have started a job (the later of the two workers'
    /// first <c>timestamp_start</c>). One job returns at once, the others sleep 20 ms, so the first worker cannot finish them all
    /// before the second one is up.
    /// </summary>
    /// <remarks>With <paramref name="workerPath"/>, the workers are that build of Evaluator.WorkerHost; a null path with a reason reports it.</remarks>
    private IEnumerable<Figure> ColdStart(string suffix, string? workerPath, string? unavailable = null)
    {
        var first = new List<double>();
        var busy = new List<double>();
        for (var i = 0; i < Repetitions && unavailable is null; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var evaluator = JobEvaluator.Create(BenchFunctions.SleepMs, "loky", new EvaluatorOptions { NumWorkers = DefaultWorkers, WorkerPath = workerPath });
            // What Create spent before the evaluator's clock started, so its timestamps convert to time since Create was called.
            var clockOffset = Stopwatch.GetElapsedTime(start).TotalSeconds - evaluator.Now;
            evaluator.Submit(Enumerable.Range(0, 8).Select(j => Config(("ms", j == 0 ? 0 : 20))));
            var firstBatch = evaluator.Gather(GatherMode.Batch, 1);
            first.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            var all = firstBatch.Concat(evaluator.Gather(GatherMode.All)).ToList();
            var starts = all.GroupBy(j => j.Metadata["worker_pid"]).Select(g => g.Min(j => (double)j.Metadata["timestamp_start"]!)).ToList();
            if (starts.Count == DefaultWorkers)
                busy.Add((starts.Max() + clockOffset) * 1000);
            progress($"  cold start{suffix} {i + 1}/{Repetitions}: first result {first[^1]:0.0} ms, workers used {starts.Count}");
        }
        yield return unavailable is null
            ? new Figure($"cold_first_result{suffix}_ms", "ms", first, Target.Max(100))
            : Figure.NotAvailable($"cold_first_result{suffix}_ms", "ms", unavailable, Target.Max(100));
        yield return busy.Count > 0
            ? new Figure($"cold_all_workers_busy{suffix}_ms", "ms", busy, Target.Max(150))
            : Figure.NotAvailable($"cold_all_workers_busy{suffix}_ms", "ms", unavailable ?? "n/a (one worker ran every job)", Target.Max(150));
    }

    /// <summary>
    /// Publishes Evaluator.WorkerHost compiled ahead of time (ReadyToRun) from this repository into a temporary folder, as a
    /// deployment would; null, with the reason, when that is not possible here (no SDK, not run from the repository).
    /// </summary>
    private string? PublishReadyToRunWorker(out string? why)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Evaluator.sln")))
            root = root.Parent;
        if (root is null)
        {
            why = "n/a (Evaluator.sln not found above the benchmark)";
            return null;
        }
        var output = Path.Combine(Path.GetTempPath(), "evaluator-bench-r2r-worker");
        progress($"  publishing a ReadyToRun worker to {output}");
        var start = new ProcessStartInfo("dotnet", ["publish", Path.Combine(root.FullName, "Evaluator.WorkerHost"), "-c", "Release",
            "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", output]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var publish = Process.Start(start)!;
        var log = publish.StandardOutput.ReadToEndAsync();
        publish.StandardError.ReadToEnd();
        publish.WaitForExit();
        if (publish.ExitCode != 0)
        {
            why = "n/a (dotnet publish failed)";
            progress(log.Result);
            return null;
        }
        why = null;
        return Path.Combine(output, "Evaluator.WorkerHost.dll");
    }

    /// <summary>
    /// From a job's end in the worker (<c>timestamp_end</c>) to the moment <c>Gather(BATCH, 1)</c> returned it, both on the
    /// evaluator's clock; one job in flight at a time, each sleeping 2 ms so the gather is already waiting. A sample is the
    /// median of one repetition's jobs.
    /// </summary>
    private Figure GatherLatency()
    {
        var jobs = quick ? 100 : 300;
        return Repeat("gather_latency_ms", "ms", Target.Max(1), () =>
        {
            using var evaluator = Warm(BenchFunctions.SleepMs, "loky", DefaultWorkers, ms: 2);
            var latencies = new double[jobs];
            for (var i = 0; i < jobs; i++)
            {
                evaluator.Submit([Config(("ms", 2))]);
                var done = evaluator.Gather(GatherMode.Batch, 1);
                var returned = evaluator.Now;
                latencies[i] = (returned - (double)done[0].Metadata["timestamp_end"]!) * 1000;
            }
            Array.Sort(latencies);
            return latencies[jobs / 2];
        });
    }

    /// <summary>
    /// Host memory kept per finished job (the jobs kept in a list, the evaluator and its storage alive), then the time to write
    /// those jobs as <c>results.csv</c> with <see cref="JobEvaluator.DumpJobsDoneToCsv"/>.
    /// </summary>
    private IEnumerable<Figure> MemoryAndCsv(int jobs)
    {
        var bytes = new List<double>();
        var csv = new List<double>();
        var folder = Directory.CreateTempSubdirectory("evaluator-bench-");
        try
        {
            for (var i = 0; i < Repetitions; i++)
            {
                using var evaluator = Warm(BenchFunctions.Trivial, "loky", DefaultWorkers);
                // Writes (and so forgets) the warm-up jobs, so the CSV figure covers exactly the measured jobs.
                evaluator.DumpJobsDoneToCsv(folder.FullName, "warm-up.csv");
                var before = AllocatedAfterFullCollection();
                var kept = new List<Job>(jobs);
                evaluator.Submit(Xs(jobs));
                kept.AddRange(evaluator.Gather(GatherMode.All));
                var after = AllocatedAfterFullCollection();
                Expect(kept, jobs);
                bytes.Add((double)(after - before) / jobs);

                var file = $"results-{i}.csv";
                var start = Stopwatch.GetTimestamp();
                evaluator.DumpJobsDoneToCsv(folder.FullName, file);
                csv.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                GC.KeepAlive(kept);
                progress($"  memory {i + 1}/{Repetitions}: {bytes[^1]:0} B/job");
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        yield return new Figure("host_bytes_per_job", "B", bytes, Target.Max(2048));
        yield return new Figure("csv_100k_rows_s", "s", csv, Target.Max(1));
    }

    /// <summary>The floor under every sleep figure: 100 <c>Thread.Sleep(10)</c> in a row in this process (ideal 1.000 s).</summary>
    private Figure SleepFloor() => Repeat("sleep10_floor_100_in_a_row_s", "s", null, () =>
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < 100; i++)
            Thread.Sleep(10);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    });

    private Figure Repeat(string name, string unit, Target? target, Func<double> measure)
    {
        var samples = new double[Repetitions];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = measure();
            progress($"  {name} {i + 1}/{samples.Length}: {Format.Number(samples[i])} {unit}");
        }
        return new Figure(name, unit, samples, target);
    }

    /// <summary>
    /// An evaluator whose workers are up and warm: a few rounds of jobs with pauses between them, so the JIT of the host and of
    /// the workers has promoted the hot paths to optimised code (tiered compilation waits for a quiet 100 ms before it does).
    /// Throughput figures measure that steady state; the cold-start figures measure the rest.
    /// </summary>
    private static JobEvaluator Warm(Func<RunningJob, double> function, string method, int workers, int ms = 0, long? memoryLimit = null)
    {
        var evaluator = JobEvaluator.Create(function, method, new EvaluatorOptions { NumWorkers = workers, WorkerMemoryLimitBytes = memoryLimit });
        var jobs = ms == 0 ? 2_000 : 8 * workers;
        for (var round = 0; round < 3; round++)
        {
            evaluator.Submit(Enumerable.Range(0, jobs).Select(i => Config(("x", i), ("ms", ms))));
            Expect(evaluator.Gather(GatherMode.All), jobs);
            Thread.Sleep(150);
        }
        return evaluator;
    }

    private static long AllocatedAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static void Expect(IReadOnlyCollection<Job> done, int count)
    {
        if (done.Count != count)
            throw new InvalidOperationException($"Expected {count} jobs back, got {done.Count}.");
        if (done.FirstOrDefault(j => j.Objective is not { IsFailure: false }) is { } failed)
            throw new InvalidOperationException($"Job {failed.Id} failed: {failed.Objective} {failed.Error?.Message}");
    }

    private static List<IReadOnlyDictionary<string, object?>> Xs(int count) =>
        Enumerable.Range(0, count).Select(i => Config(("x", i))).ToList();

    private static IReadOnlyDictionary<string, object?> Config(params (string Key, object? Value)[] items) =>
        items.ToDictionary(i => i.Key, i => i.Value);
}
