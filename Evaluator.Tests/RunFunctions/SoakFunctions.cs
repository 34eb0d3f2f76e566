namespace Evaluator.Tests.RunFunctions;

/// <summary>
/// The soak run function: the parameter <c>fault</c> (drawn by the test) says how a job behaves, so the test knows each job's outcome.
/// Every job that comes back normally scores <c>x / 2</c>.
/// </summary>
public static class SoakFunctions
{
    /// <summary>Bytes a <c>leak</c> job keeps for the life of its worker, so WorkerMemoryLimitBytes recycles the worker.</summary>
    public const int LeakBytes = 32 << 20;

    /// <summary>Bytes of the <c>_blob</c> metadata of a <c>large</c> job (the <c>_</c> keeps it out of results.csv).</summary>
    public const int LargeBytes = 1 << 20;

    private static readonly List<byte[]> Leaked = [];

    public static RunResult Run(RunningJob job)
    {
        var x = job.Get<int>("x");
        var objective = x * 0.5;
        switch (job.Get<string>("fault"))
        {
            case "throw":
                throw new InvalidOperationException($"Soak job {job.Id} throws on purpose.");
            case "crash":
                Environment.FailFast($"Soak job {job.Id} fails fast on purpose.");
                break;
            case "hang":
                // Ignores its cancellation token: only the kill after JobTimeout + KillGracePeriod ends it.
                Thread.Sleep(TimeSpan.FromMinutes(10));
                break;
            case "leak":
                var block = new byte[LeakBytes];
                Array.Fill(block, (byte)1); // touch every page, so the worker's resident memory really grows
                Leaked.Add(block);
                break;
            case "noise":
                for (var i = 0; i < 1000; i++)
                    Console.WriteLine($"soak noise line {i} of job {job.Id}, which must never reach the frame stream");
                Console.Out.Flush();
                break;
            case "large":
                var blob = new byte[LargeBytes];
                Array.Fill(blob, (byte)'L');
                return new RunResult(objective, new Dictionary<string, object?> { ["_blob"] = blob });
        }
        return new RunResult(objective);
    }

    /// <summary>Returns <c>x</c> for even <c>x</c>; for odd <c>x</c> the worker kills itself (SIGKILL) at once, right after flushing the previous result.</summary>
    public static double KillSelfOnOdd(RunningJob job)
    {
        var x = job.Get<int>("x");
        if (x % 2 == 1)
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        return x;
    }
}
