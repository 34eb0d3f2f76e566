using System.Diagnostics;

namespace Evaluator.Tests.RunFunctions;

/// <summary>Run functions the tests load by name, in this process or in real worker processes.</summary>
public static class TestFunctions
{
    public static double Add(IReadOnlyDictionary<string, object?> p) => Convert.ToDouble(p["x"]) + Convert.ToDouble(p["y"]);

    public static double Identity(RunningJob job) => job.Get<double>("x");

    public static double Scaled(RunningJob job, double scale, string label = "none") => job.Get<double>("x") * scale + label.Length * 0;

    public static async Task<double> AddAsync(RunningJob job)
    {
        await Task.Yield();
        return job.Get<double>("x") + 1;
    }

    public static ValueTask<object?> ReturnValueAsync(RunningJob job) => ValueTask.FromResult(job["value"]);

    public static object? ReturnValue(RunningJob job) => job["value"];

    public static double Sleep(RunningJob job, CancellationToken cancellationToken)
    {
        var ms = job.Get<int>("ms");
        try
        {
            Task.Delay(ms, cancellationToken).Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return -1;
        }
        return ms;
    }

    public static double IgnoreCancellation(RunningJob job)
    {
        Thread.Sleep(job.Get<int>("ms"));
        return 1;
    }

    public static double Throw(RunningJob job) => throw new InvalidOperationException($"Boom in job {job.Id}");

    public static double FailFast(RunningJob job)
    {
        Environment.FailFast("The run function failed fast on purpose.");
        return 0;
    }

    public static double WriteToConsole(RunningJob job)
    {
        for (var i = 0; i < 100; i++)
            Console.WriteLine($"noise {i} from {job.Id}");
        Console.Out.Flush();
        return job.Get<double>("x");
    }

    /// <summary>Writes bytes straight to the process's stdout (file descriptor 1, as native code would) and reads stdin, then returns x.</summary>
    public static double WriteToStdoutAndReadStdin(RunningJob job)
    {
        using (var stdout = Console.OpenStandardOutput())
        {
            var noise = System.Text.Encoding.ASCII.GetBytes($"raw bytes on stdout from {job.Id}\n");
            for (var i = 0; i < 100; i++)
                stdout.Write(noise);
        }
        using (var stdin = Console.OpenStandardInput())
            _ = stdin.Read(new byte[64]);
        return job.Get<double>("x");
    }

    private static readonly List<byte[]> Leak = [];

    public static double AllocateMemory(RunningJob job)
    {
        var block = new byte[job.Get<int>("mb") << 20];
        Array.Fill(block, (byte)1);
        Leak.Add(block);
        return Environment.ProcessId;
    }

    public static double ProcessIdOrSleep(RunningJob job, CancellationToken cancellationToken)
    {
        if (job.Parameters.TryGetValue("ms", out var ms))
            Task.Delay(Convert.ToInt32(ms), cancellationToken).ContinueWith(_ => { }).Wait();
        return Environment.ProcessId;
    }

    public static RunResult WithMetadata(RunningJob job) =>
        new(job.Get<double>("x"), new Dictionary<string, object?> { ["size"] = 3L, ["note"] = "a, \"quoted\"\nline", ["_hidden"] = 1L });

    public static double Records(RunningJob job)
    {
        for (var i = 1; i <= 3; i++)
            job.Record(i, i * 10.0);
        return 30;
    }

    public static double Cooperative(RunningJob job)
    {
        var watch = Stopwatch.StartNew();
        while (!job.Stopped() && watch.ElapsedMilliseconds < 30_000)
            Thread.Sleep(5);
        return job.Stopped() ? 42 : 0;
    }

    public static (double, double) Tuple(RunningJob job) => (1.0, -1.0);

    public static double ThrowOnOdd(RunningJob job)
    {
        var x = job.Get<int>("x");
        return x % 2 == 1 ? throw new InvalidOperationException($"odd x={x}") : x;
    }

    public static double StackOverflow(RunningJob job) => Recurse(job.Get<int>("x")) + 1;

    private static double Recurse(int depth) => depth < 0 ? 0 : Recurse(depth + 1) + 1;

    public static RunResult LargeResult(RunningJob job) =>
        new(job.Get<double>("x"), new Dictionary<string, object?> { ["blob"] = new string('x', job.Get<int>("mb") << 20) });

    public static double FailFastOnOdd(RunningJob job)
    {
        var x = job.Get<int>("x");
        if (x % 2 == 1)
            Environment.FailFast($"odd x={x}");
        return x;
    }

    /// <summary>Two objectives <c>(x, -x)</c>; fails with <c>F_NEGATIVE</c> when <c>x</c> is negative.</summary>
    public static object TwoObjectives(RunningJob job)
    {
        var x = job.Get<double>("x");
        return x < 0 ? "F_NEGATIVE" : (x, -x);
    }

    /// <summary><see cref="WithMetadata"/>, but fails with <c>F_NEGATIVE</c> (and no metadata) when <c>x</c> is negative.</summary>
    public static RunResult WithMetadataUnlessNegative(RunningJob job) =>
        job.Get<double>("x") < 0 ? new RunResult("F_NEGATIVE") : WithMetadata(job);

    /// <summary>Returns <c>x</c>, with a metadata key <c>late</c> only when <c>x</c> is 5 or more.</summary>
    public static RunResult LateMetadata(RunningJob job)
    {
        var x = job.Get<double>("x");
        return new RunResult(x, x >= 5 ? new Dictionary<string, object?> { ["late"] = "yes" } : null);
    }

    /// <summary>Always fails with <c>F_ALWAYS</c>.</summary>
    public static string AlwaysFail(RunningJob job) => "F_ALWAYS";
}
