using System.Diagnostics;
using System.Globalization;
using System.Text;
using Evaluator.Tests.Csv;

namespace Evaluator.Tests.Reliability;

/// <summary>
/// A search driver killed with SIGKILL mid-search (Evaluator.Tests.Driver, a real process) leaves no worker process behind and a
/// results.csv whose every row is whole.
/// </summary>
[CancelAfter(60_000)]
public class HostKillSpecs
{
    [Test]
    [Platform("Linux", Reason = "Reads worker processes from /proc.")]
    public async Task A_host_killed_mid_search_leaves_no_worker_and_no_torn_row()
    {
        var cancellationToken = TestContext.CurrentContext.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("evaluator-hostkill-").FullName;
        var csvPath = Path.Combine(dir, "results.csv");
        var start = new ProcessStartInfo(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "Evaluator.Tests.Driver.dll"), csvPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var driver = Process.Start(start)!;
        var stderr = new StringBuilder();
        driver.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        driver.BeginErrorReadLine();

        var pids = new HashSet<int>();
        var liveBeforeKill = 0;
        try
        {
            while (await driver.StandardOutput.ReadLineAsync(cancellationToken) is { } line && line != "ready")
                if (line.StartsWith("worker ", StringComparison.Ordinal))
                    pids.Add(int.Parse(line["worker ".Length..], CultureInfo.InvariantCulture));
            Assert.That(driver.HasExited, Is.False, () => $"the driver ended early: {stderr}");
            // Let the search run on, so the kill lands while rows are being appended rather than right after a gather.
            await Task.Delay(300, cancellationToken);
            // Workers that started but have not reported a job yet are the driver's children too.
            pids.UnionWith(WorkerProcesses.LiveChildWorkers(driver.Id));
            // Only workers alive now make "gone after the kill" mean something.
            liveBeforeKill = pids.Count(WorkerProcesses.IsLiveWorker);
        }
        finally
        {
            driver.Kill(); // SIGKILL on Unix: nothing in the driver runs, not even finally blocks
            await driver.WaitForExitAsync(CancellationToken.None);
        }

        Assert.Multiple(() =>
        {
            Assert.That(driver.ExitCode, Is.EqualTo(128 + 9), "exit code of a process ended by SIGKILL");
            Assert.That(liveBeforeKill, Is.GreaterThanOrEqualTo(2), "the driver's two workers were alive before the kill");
        });
        var alive = await WorkerProcesses.StillAliveAfter(pids, TimeSpan.FromSeconds(2));
        Assert.That(alive, Is.Empty, "workers still alive 2 s after their host was killed");

        var csv = CsvFile.Read(csvPath);
        var jobIds = csv.Rows.Select(r => int.TryParse(csv.Cells(r, "job_id")[0], CultureInfo.InvariantCulture, out var id) ? id : -1).ToList();
        TestContext.Out.WriteLine($"{pids.Count} workers, {csv.Rows.Count} rows when the driver was killed");
        Assert.Multiple(() =>
        {
            Assert.That(csv.Text, Does.EndWith("\n"), "the last row is whole");
            Assert.That(csv.Header, Does.Contain("job_id").And.Contain("objective"));
            Assert.That(csv.Rows, Has.Count.GreaterThanOrEqualTo(20), "the rows written before 'ready'");
            Assert.That(csv.Rows.Where(r => r.Length != csv.Header.Length), Is.Empty, "rows with the header's column count");
            Assert.That(jobIds, Is.All.GreaterThanOrEqualTo(0), "valid job ids");
            Assert.That(jobIds, Is.Unique, "one row per job");
        });
        Directory.Delete(dir, recursive: true);
    }

    // The dotnet host running this test, or the one on the PATH.
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
