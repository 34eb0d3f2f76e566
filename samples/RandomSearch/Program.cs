using System.Globalization;
using Evaluator.Core;

namespace RandomSearch;

/// <summary>
/// A random search over Branin: keeps one job per worker in flight, replaces each finished job with a new random
/// configuration until the budget is spent, then prints the best configuration. Rows go to results.csv as jobs finish.
/// </summary>
public static class Program
{
    private const string Usage = """
        Usage: dotnet run --project samples/RandomSearch -- [options]

          --method loky|thread|serial   how jobs run (default: loky, reused worker processes)
          --workers N                   jobs in flight at once (default: 2)
          --evals N                     evaluations in total (default: 200)
          --out PATH                    the results file (default: results.csv)
          --seed N                      seed of the random configurations (default: a random seed, printed)
          --help                        show this text
        """;

    public static async Task<int> Main(string[] args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Environment.NewLine + Usage);
            return 2;
        }
        if (settings.Help)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var seed = settings.Seed ?? Random.Shared.Next();
        var random = new Random(seed);

        JobEvaluator evaluator;
        try
        {
            evaluator = JobEvaluator.Create(RunFunction.From(Objectives.Branin), settings.Method, new EvaluatorOptions
            {
                NumWorkers = settings.Workers,
                Callbacks = { new CsvLoggerCallback(settings.Out), new ProgressCallback(Console.Out, settings.Evals) },
            });
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        Console.WriteLine($"Random search over Branin: {settings.Evals} evaluations, method {settings.Method}, {evaluator.NumWorkers} workers, seed {seed}.");
        Job? best = null;
        await using (evaluator)
        {
            // One job per worker in flight; each finished job is replaced by a new one until the budget is spent.
            evaluator.Submit(Sample(random, Math.Min(evaluator.NumWorkers, settings.Evals)));
            try
            {
                while (evaluator.NumJobsGathered < settings.Evals && !evaluator.SearchStopped)
                {
                    var done = await evaluator.GatherAsync(GatherMode.Batch, size: 1, stop.Token);
                    foreach (var job in done)
                        if (job.Objective?.Value is { } value && !(best?.Objective?.Value >= value))
                            best = job;
                    var more = Math.Min(done.Count, settings.Evals - evaluator.NumJobsSubmitted);
                    if (more > 0 && !evaluator.SearchStopped)
                        evaluator.Submit(Sample(random, more));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.WriteLine("Interrupted: cancelling the jobs still running.");
            }
        }

        Console.WriteLine($"{evaluator.NumJobsGathered} evaluations gathered; results in {Path.GetFullPath(settings.Out)}.");
        if (best is null)
        {
            Console.WriteLine("No evaluation succeeded.");
            return 1;
        }
        var objective = best.Objective!.Value!.Value;
        var where = string.Join(", ", best.Parameters.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} = {p.Value:F4}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Best: job {best.Id} with {where}: objective {objective:F6} (branin {-objective:F6}; the global minimum is {Objectives.BraninMinimum:F6})."));
        return 0;
    }

    private static List<IReadOnlyDictionary<string, object?>> Sample(Random random, int count) =>
        Enumerable.Range(0, count)
            .Select(_ => (IReadOnlyDictionary<string, object?>)Objectives.BraninSpace.ToDictionary(
                d => d.Name, d => (object?)(d.Low + random.NextDouble() * (d.High - d.Low))))
            .ToList();

    private sealed record Settings(string Method, int Workers, int Evals, string Out, int? Seed, bool Help)
    {
        public static Settings Parse(string[] args)
        {
            var settings = new Settings("loky", 2, 200, "results.csv", null, false);
            for (var i = 0; i < args.Length; i++)
            {
                var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], null);
                string Value() => value ?? (i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value."));
                settings = name switch
                {
                    "--method" => settings with { Method = Value() },
                    "--workers" => settings with { Workers = Positive(name, Value()) },
                    "--evals" => settings with { Evals = Positive(name, Value()) },
                    "--out" => settings with { Out = Value() },
                    "--seed" => settings with { Seed = Integer(name, Value()) },
                    "--help" or "-h" or "-?" => settings with { Help = true },
                    _ => throw new FormatException($"Unknown argument '{args[i]}'."),
                };
            }
            return settings;
        }

        private static int Integer(string name, string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{name} must be an integer, but it is '{text}'.");

        private static int Positive(string name, string text) => Integer(name, text) is var n and >= 1
            ? n
            : throw new FormatException($"{name} must be at least 1, but it is '{text}'.");
    }
}
