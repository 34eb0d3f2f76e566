using Evaluator.Core;

namespace Evaluator.Benchmarks;

/// <summary>The run functions the benchmarks evaluate; static, so loky workers load them from this assembly.</summary>
public static class BenchFunctions
{
    /// <summary>Does nothing: measures the evaluator's own cost per job.</summary>
    public static double Trivial(RunningJob job) => 1.0;

    /// <summary>Sleeps 10 ms: measures overhead against an ideal wall time.</summary>
    public static double Sleep10(RunningJob job)
    {
        Thread.Sleep(10);
        return 1.0;
    }

    /// <summary>Sleeps the job's <c>ms</c> parameter (0 returns at once).</summary>
    public static double SleepMs(RunningJob job)
    {
        var ms = job.Get<int>("ms");
        if (ms > 0)
            Thread.Sleep(ms);
        return ms;
    }
}
