namespace Evaluator.Tests.Reliability;

/// <summary>Finds live Evaluator.WorkerHost processes through /proc (Linux), telling them apart from unrelated processes that reuse a pid.</summary>
internal static class WorkerProcesses
{
    /// <summary>Whether <paramref name="pid"/> is a running (not zombie) process whose command line names Evaluator.WorkerHost.</summary>
    public static bool IsLiveWorker(int pid)
    {
        // pid_max can be as low as 32768, so after thousands of restarts a worker's pid may belong to something else.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("Evaluator.WorkerHost", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone while we looked
        }
    }

    /// <summary>The live worker processes whose parent is <paramref name="parentPid"/>.</summary>
    public static List<int> LiveChildWorkers(int parentPid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid => ParentOf(pid) == parentPid && IsLiveWorker(pid))
            .ToList();

    /// <summary>Waits up to <paramref name="limit"/> for every pid in <paramref name="pids"/> to stop being a live worker; returns those still alive.</summary>
    public static async Task<List<int>> StillAliveAfter(IEnumerable<int> pids, TimeSpan limit)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var alive = pids.Where(IsLiveWorker).ToList();
        while (alive.Count > 0 && watch.Elapsed < limit)
        {
            await Task.Delay(20);
            alive = alive.Where(IsLiveWorker).ToList();
        }
        return alive;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
