using System.Diagnostics;
using Evaluator.Tests.RunFunctions;
using static Evaluator.Tests.Support;

namespace Evaluator.Tests.Workers;

/// <summary>Faults of run functions and worker processes, on real Evaluator.WorkerHost processes: each costs one job, never the search.</summary>
[CancelAfter(120_000)]
public class WorkerFaultSpecs
{
    private static JobEvaluator Loky(Delegate function, EvaluatorOptions? options = null)
    {
        options ??= new EvaluatorOptions { NumWorkers = 2 };
        return JobEvaluator.Create(function, "loky", options);
    }

    private static async Task<List<Job>> RunAll(JobEvaluator evaluator, IEnumerable<IReadOnlyDictionary<string, object?>> configs)
    {
        evaluator.Submit(configs);
        return (await evaluator.GatherAsync(GatherMode.All)).OrderBy(j => j.Number).ToList();
    }

    private static async Task<HashSet<int>> WorkerPids(JobEvaluator evaluator, int jobs = 4) =>
        (await RunAll(evaluator, Xs(jobs))).Select(j => (int)j.Objective!.Value!.Value).ToHashSet();

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> ExitsWithin(IEnumerable<int> pids, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (!pids.Any(IsAlive))
                return true;
            await Task.Delay(50);
        }
        return !pids.Any(IsAlive);
    }

    [Test]
    public async Task A_worker_that_fails_fast_fails_only_its_job_and_is_replaced()
    {
        await using var evaluator = Loky(TestFunctions.FailFastOnOdd);
        var done = await RunAll(evaluator, Xs(6));
        Assert.Multiple(() =>
        {
            Assert.That(done.Select(j => j.Objective!.ToString()), Is.EqualTo(new[] { "0", "F_WORKER_CRASHED", "2", "F_WORKER_CRASHED", "4", "F_WORKER_CRASHED" }));
            Assert.That(done[1].Error!.Type, Is.EqualTo("WorkerCrashed"));
            Assert.That(done[1].Error!.Message, Does.Contain("exit code").And.Contain($"job {done[1].Id}"));
            Assert.That(done[1].Error!.StackTrace, Does.Contain("odd x=1"), "the tail of the worker's stderr");
            Assert.That(done[1].Status, Is.EqualTo(JobStatus.Done));
        });
        Assert.That((await RunAll(evaluator, Xs(2, 10))).Select(j => j.Objective!.Value), Is.EqualTo(new double?[] { 10, 11 }).Or.EqualTo(new double?[] { 10, null }),
            "the pool still works after the crashes");
    }

    [Test]
    public async Task A_worker_killed_from_outside_fails_only_its_job()
    {
        await using var evaluator = Loky(TestFunctions.ProcessIdOrSleep);
        var pids = await WorkerPids(evaluator);
        var sleeper = evaluator.Submit(Config(("x", 0), ("ms", 60_000)));
        await Task.Delay(1000);
        foreach (var pid in pids)
            Process.GetProcessById(pid).Kill();
        var job = (await evaluator.GatherAsync(GatherMode.All)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(job.Id, Is.EqualTo(sleeper.Id));
            Assert.That(job.Objective!.Failure, Is.EqualTo("F_WORKER_CRASHED"));
            Assert.That(job.Error!.Message, Does.Contain("signal 9"));
        });
        var after = await WorkerPids(evaluator);
        Assert.That(after.Overlaps(pids), Is.False, "new workers took the dead ones' place");
    }

    [Test]
    public async Task A_stack_overflow_fails_only_its_job()
    {
        await using var evaluator = Loky(TestFunctions.StackOverflow, new EvaluatorOptions { NumWorkers = 1 });
        var job = (await RunAll(evaluator, Xs(1))).Single();
        Assert.That(job.Objective!.Failure, Is.EqualTo("F_WORKER_CRASHED"));
        Assert.That(job.Error!.StackTrace, Does.Contain("Stack overflow"));
    }

    [Test]
    public async Task A_job_that_ignores_its_timeout_is_killed_with_its_worker_and_the_next_job_runs()
    {
        await using var evaluator = Loky(TestFunctions.IgnoreCancellation,
            new EvaluatorOptions { NumWorkers = 1, JobTimeout = TimeSpan.FromMilliseconds(300), KillGracePeriod = TimeSpan.FromMilliseconds(300) });
        var done = await RunAll(evaluator, [Config(("ms", 60_000)), Config(("ms", 1))]);
        Assert.Multiple(() =>
        {
            Assert.That(done[0].Objective!.Failure, Is.EqualTo("F_TIMEOUT"));
            Assert.That(done[0].Status, Is.EqualTo(JobStatus.Cancelled));
            Assert.That(done[0].Error!.Message, Does.Contain("killed"));
            Assert.That(done[1].Objective!.Value, Is.EqualTo(1));
            Assert.That(done[1].Status, Is.EqualTo(JobStatus.Done));
        });
    }

    [Test]
    public async Task The_search_deadline_kills_jobs_that_ignore_it()
    {
        await using var evaluator = Loky(TestFunctions.IgnoreCancellation, new EvaluatorOptions { NumWorkers = 2, KillGracePeriod = TimeSpan.FromMilliseconds(200) });
        await RunAll(evaluator, [Config(("ms", 1)), Config(("ms", 1)), Config(("ms", 1)), Config(("ms", 1))]);
        evaluator.Submit([Config(("ms", 60_000)), Config(("ms", 60_000)), Config(("ms", 60_000))]);
        evaluator.Timeout = TimeSpan.FromMilliseconds(500);
        var done = await evaluator.GatherAsync(GatherMode.All);
        Assert.That(done.Select(j => j.Objective!.Failure), Is.EquivalentTo(new[] { "F_TIMEOUT", "F_TIMEOUT", "F_CANCELLED" }));
        Assert.That(done.Select(j => j.Status), Is.All.EqualTo(JobStatus.Cancelled));
    }

    [Test]
    public async Task MaxJobsPerWorker_recycles_workers_between_jobs()
    {
        await using var evaluator = Loky(TestFunctions.ProcessIdOrSleep, new EvaluatorOptions { NumWorkers = 1, MaxJobsPerWorker = 2 });
        var done = await RunAll(evaluator, Xs(6));
        var pids = done.Select(j => j.Objective!.Value).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(pids.Distinct().Count(), Is.EqualTo(3));
            Assert.That(pids.Chunk(2).All(pair => pair[0] == pair[1]), Is.True, "two jobs per worker, in order");
        });
    }

    [Test]
    public async Task WorkerMemoryLimitBytes_recycles_a_leaking_worker()
    {
        await using var evaluator = Loky(TestFunctions.AllocateMemory, new EvaluatorOptions { NumWorkers = 1, WorkerMemoryLimitBytes = 150L << 20 });
        var done = await RunAll(evaluator, Enumerable.Range(0, 6).Select(_ => Config(("mb", 64))));
        Assert.That(done.Select(j => j.Objective!.Value).Distinct().Count(), Is.GreaterThanOrEqualTo(2), "the leaking worker was replaced");
        Assert.That(done.All(j => !j.Objective!.IsFailure), Is.True);
    }

    [Test]
    public async Task Idle_workers_exit_and_the_next_submit_starts_new_ones()
    {
        await using var evaluator = Loky(TestFunctions.ProcessIdOrSleep, new EvaluatorOptions { NumWorkers = 2, WorkerIdleTimeout = TimeSpan.FromMilliseconds(300) });
        var first = await WorkerPids(evaluator);
        Assert.That(await ExitsWithin(first, TimeSpan.FromSeconds(10)), Is.True, "idle workers exited");
        var second = await WorkerPids(evaluator);
        Assert.That(second.Overlaps(first), Is.False);
    }

    [Test]
    public async Task Console_output_and_a_10_MB_result_do_not_disturb_the_protocol()
    {
        await using var noisy = Loky(TestFunctions.WriteToConsole);
        Assert.That((await RunAll(noisy, Xs(20))).Select(j => j.Objective!.Value), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (double?)i)));

        await using var large = Loky(TestFunctions.LargeResult, new EvaluatorOptions { NumWorkers = 1 });
        var job = (await RunAll(large, [Config(("x", 3), ("mb", 10))])).Single();
        Assert.That(((string)job.Metadata["blob"]!).Length, Is.EqualTo(10 << 20));
    }

    [Test]
    [Platform(Exclude = "Win", Reason = "On Windows only Console.Out is redirected; stdout and stdin themselves stay the frame streams.")]
    public async Task A_run_function_writing_to_stdout_or_reading_stdin_by_any_route_does_not_reach_the_frames()
    {
        await using var evaluator = Loky(TestFunctions.WriteToStdoutAndReadStdin);
        var done = await RunAll(evaluator, Xs(20));
        Assert.That(done.Select(j => j.Objective!.Value), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (double?)i)),
            "stdout goes to stderr and stdin reads end at once, so every job returns and no worker is replaced");
        Assert.That(done.Select(j => j.Metadata["worker_pid"]).Distinct().Count(), Is.LessThanOrEqualTo(2));
    }

    [Test]
    public async Task WorkerOutput_shows_what_run_functions_print_each_line_marked_with_its_worker()
    {
        var output = new StringWriter();
        var evaluator = Loky(TestFunctions.WriteToConsole, new EvaluatorOptions { NumWorkers = 2, WorkerOutput = output });
        var done = await RunAll(evaluator, Xs(2));
        // Stderr is read apart from the frames; close waits for every worker's streams to end.
        await evaluator.CloseAsync();
        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Multiple(() =>
        {
            foreach (var job in done)
            {
                var pid = job.Metadata["worker_pid"];
                Assert.That(lines.Count(l => l.StartsWith("[worker ", StringComparison.Ordinal) && l.Contains($"pid {pid}]") && l.Contains($" from {job.Id}")),
                    Is.EqualTo(100), $"job {job.Id}'s 100 lines, marked with its worker");
            }
        });
    }

    [Test]
    public async Task Close_leaves_no_worker_process_behind()
    {
        var evaluator = Loky(TestFunctions.ProcessIdOrSleep);
        var pids = await WorkerPids(evaluator);
        evaluator.Submit([Config(("x", 0), ("ms", 60_000)), Config(("x", 0), ("ms", 60_000)), Config(("x", 0), ("ms", 60_000))]);
        await evaluator.CloseAsync();
        Assert.That(pids.Where(IsAlive), Is.Empty);
    }

    [Test]
    public void Workers_that_cannot_start_stop_the_evaluator_with_one_clear_error()
    {
        var notAWorker = Path.Combine(Path.GetTempPath(), $"not-a-worker-{Guid.NewGuid():N}.dll");
        File.WriteAllText(notAWorker, "this is not an assembly");
        try
        {
            using var evaluator = Loky(TestFunctions.Identity, new EvaluatorOptions { NumWorkers = 2, WorkerPath = notAWorker });
            evaluator.Submit(Xs(3));
            var error = Assert.Throws<WorkerStartException>(() => evaluator.Gather(GatherMode.All));
            Assert.That(error!.Message, Does.Contain(notAWorker));
            Assert.Throws<WorkerStartException>(() => evaluator.Submit(Xs(1)));
        }
        finally
        {
            File.Delete(notAWorker);
        }
    }
}
