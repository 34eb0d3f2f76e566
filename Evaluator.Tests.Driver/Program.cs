using System.Diagnostics;
using Evaluator.Core;
using Evaluator.Tests.Driver;

// A search driver for HostKillSpecs, which SIGKILLs it mid-search: it runs a loky search writing results.csv (the path is the
// first argument), prints "worker <pid>" for each worker process it sees and "ready" once rows are on disk. If nobody kills
// it, it closes after a minute, so a broken test leaves nothing running.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Evaluator.Tests.Driver <results.csv>");
    return 2;
}

const int ReadyAfterJobs = 20;
var options = new EvaluatorOptions { NumWorkers = 2, Callbacks = { new CsvLoggerCallback(args[0]) } };
await using var evaluator = JobEvaluator.Create(DriverFunctions.Sleep, "loky", options);
var submitted = 0;
IReadOnlyDictionary<string, object?>[] Next(int count) =>
    Enumerable.Range(0, count).Select(_ => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?> { ["x"] = submitted++, ["ms"] = 3 }).ToArray();

var seen = new HashSet<int>();
var ready = false;
var watch = Stopwatch.StartNew();
evaluator.Submit(Next(4));
while (watch.Elapsed < TimeSpan.FromMinutes(1))
{
    var done = await evaluator.GatherAsync(GatherMode.Batch, size: 1);
    foreach (var job in done)
        if (job.Metadata.GetValueOrDefault("worker_pid") is { } pid && seen.Add(Convert.ToInt32(pid)))
            Console.WriteLine($"worker {pid}");
    // CsvLoggerCallback appended this gather's rows before GatherAsync returned.
    if (!ready && evaluator.NumJobsGathered >= ReadyAfterJobs)
    {
        ready = true;
        Console.WriteLine("ready");
    }
    evaluator.Submit(Next(done.Count));
}
return 0;
