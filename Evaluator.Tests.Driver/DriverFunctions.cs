using Evaluator.Core;

namespace Evaluator.Tests.Driver;

/// <summary>The driver's run function; it lives in the driver's own assembly, as a user's would.</summary>
public static class DriverFunctions
{
    /// <summary>Sleeps <c>ms</c> milliseconds and scores <c>x</c>.</summary>
    public static double Sleep(RunningJob job)
    {
        Thread.Sleep(job.Get<int>("ms"));
        return job.Get<int>("x");
    }
}
