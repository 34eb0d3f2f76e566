// Throughput, latency and memory figures of the evaluator, each the median of several repetitions (with min and max).
//   dotnet run -c Release --project Evaluator.Benchmarks -- [--json FILE] [--quick] [--only FIGURE-PREFIX]
// Prints a table to stdout (progress goes to stderr); --json also writes every figure as one JSON object.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Evaluator.Benchmarks;

string? jsonPath = null;
string? only = null;
var quick = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--json" when i + 1 < args.Length:
            jsonPath = args[++i];
            break;
        case "--only" when i + 1 < args.Length:
            only = args[++i];
            break;
        case "--quick":
            quick = true;
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: Evaluator.Benchmarks [--json FILE] [--quick] [--only FIGURE-PREFIX]");
            return 2;
    }
}

#if DEBUG
Console.Error.WriteLine("Warning: a Debug build; run with -c Release for figures that mean something.");
#endif

var started = Stopwatch.GetTimestamp();
var figures = new List<Figure>();
foreach (var figure in new Figures(quick, only, Console.Error.WriteLine).Run())
{
    figures.Add(figure);
    Console.Error.WriteLine($"{figure.Name}: {Cell(figure, f => f.Median)} {figure.Unit}");
}
var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

PrintTable(figures);
Console.WriteLine($"{(quick ? "Quick run" : "Full run")}: {figures.Count} figures in {seconds:0} s on {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}.");

if (jsonPath is not null)
{
    if (Path.GetDirectoryName(Path.GetFullPath(jsonPath)) is { } folder)
        Directory.CreateDirectory(folder);
    await File.WriteAllTextAsync(jsonPath, ToJson(figures, quick, seconds));
    Console.WriteLine($"Figures written to {Path.GetFullPath(jsonPath)}.");
}
return 0;

static void PrintTable(IReadOnlyList<Figure> figures)
{
    string[] header = ["figure", "median", "min", "max", "unit", "target", "ok"];
    var rows = figures.Select(f => new[]
    {
        f.Name,
        f.HasValue ? Format.Number(f.Median) : f.Note ?? "n/a",
        Cell(f, x => x.Min),
        Cell(f, x => x.Max),
        f.Unit,
        f.Target?.ToString() ?? "",
        f.Meets switch { true => "yes", false => "NO", null => "" },
    }).ToList();
    var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
    Console.WriteLine();
    Console.WriteLine(Line(header));
    Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
    foreach (var row in rows)
        Console.WriteLine(Line(row));
    Console.WriteLine();

    string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd();
}

static string Cell(Figure figure, Func<Figure, double> pick) => figure.HasValue ? Format.Number(pick(figure)) : "";

static string ToJson(IReadOnlyList<Figure> figures, bool quick, double seconds)
{
    var body = new Dictionary<string, object?>
    {
        ["quick"] = quick,
        ["cores"] = Environment.ProcessorCount,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["seconds"] = Math.Round(seconds, 1),
        ["figures"] = figures.ToDictionary(f => f.Name, f => new Dictionary<string, object?>
        {
            ["median"] = f.HasValue ? f.Median : null,
            ["min"] = f.HasValue ? f.Min : null,
            ["max"] = f.HasValue ? f.Max : null,
            ["unit"] = f.Unit,
            ["target"] = f.Target?.ToString(),
            ["meets"] = f.Meets,
            ["note"] = f.Note,
            ["samples"] = f.Samples,
        }),
    };
    return JsonSerializer.Serialize(body, new JsonSerializerOptions { WriteIndented = true });
}
