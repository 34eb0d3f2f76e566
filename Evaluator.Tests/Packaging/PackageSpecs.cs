using System.Diagnostics;

namespace Evaluator.Tests.Packaging;

/// <summary>
/// A user who references only the Evaluator.Core package gets a working loky backend: the package carries the worker and
/// copies it into the application's output. Packs the real package, builds a fresh consumer against it and runs it.
/// </summary>
[Category("Packaging")]
[CancelAfter(600_000)]
public class PackageSpecs
{
    private DirectoryInfo _work = null!;

    [SetUp]
    public void CreateFolder() => _work = Directory.CreateTempSubdirectory("evaluator-package-");

    [TearDown]
    public void DeleteFolder() => _work.Delete(recursive: true);

    [Test]
    public async Task A_project_referencing_only_the_package_runs_jobs_in_worker_processes(CancellationToken cancellationToken)
    {
        // A version of its own, so the NuGet cache never serves an older build of this package.
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = _work.CreateSubdirectory("feed").FullName;
        var consumer = _work.CreateSubdirectory("consumer").FullName;
        // Release, so packing does not rebuild the Debug binaries this test run is using.
        await Dotnet(RepositoryRoot(), cancellationToken, "pack", "Evaluator.Core", "-c", "Release", "-o", feed, $"-p:PackageVersion={version}");

        await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="evaluator-test" value="{feed}" />
              </packageSources>
            </configuration>
            """, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Evaluator.Core" Version="{version}" />
              </ItemGroup>
            </Project>
            """, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
            using Evaluator.Core;

            await using var evaluator = JobEvaluator.Create(Functions.Square, "loky", new EvaluatorOptions { NumWorkers = 2 });
            evaluator.Submit(Enumerable.Range(1, 4).Select(i => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?> { ["x"] = i }));
            foreach (var job in (await evaluator.GatherAsync(GatherMode.All)).OrderBy(j => j.Number))
                Console.WriteLine($"job {job.Objective} pid {job.Metadata["worker_pid"]}");
            Console.WriteLine($"host pid {Environment.ProcessId}");

            public static class Functions
            {
                public static double Square(RunningJob job) => Math.Pow(job.Get<double>("x"), 2);
            }
            """, cancellationToken);

        var output = await Dotnet(consumer, cancellationToken, "run");

        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var jobs = lines.Where(l => l.StartsWith("job ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        var host = lines.Single(l => l.StartsWith("host pid ", StringComparison.Ordinal))["host pid ".Length..];
        Assert.Multiple(() =>
        {
            Assert.That(jobs.Select(j => j[1]), Is.EqualTo(new[] { "1", "4", "9", "16" }), output);
            Assert.That(jobs.Select(j => j[3]), Has.None.EqualTo(host), "the jobs ran in worker processes, not in the application");
            Assert.That(File.Exists(Path.Combine(consumer, "bin", "Debug", "net10.0", "evaluator-worker", "Evaluator.WorkerHost.dll")), "the worker was copied to the output");
        });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Evaluator.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException("Evaluator.sln was not found above the test folder.");
    }

    private static async Task<string> Dotnet(string directory, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host's own MSBuild settings must not leak into these builds.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout + await stderr;
        Assert.That(process.ExitCode, Is.Zero, $"dotnet {string.Join(' ', arguments)} failed:{Environment.NewLine}{output}");
        return output;
    }
}
