using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace Evaluator.Core.Csv;

/// <summary>
/// Writes DeepHyper's <c>results.csv</c>: <c>p:*</c> columns, <c>objective</c> (or <c>objective_0..n</c>), <c>job_id</c>,
/// <c>job_status</c>, then <c>m:*</c> columns (keys starting with <c>_</c> left out). Rows are appended; when a column first
/// appears late, the file is rewritten with the grown header (earlier rows get empty cells) through a temporary file in the same
/// folder that replaces it atomically. Only the header is kept in memory, never the rows.
/// </summary>
/// <remarks>
/// The first <see cref="Write"/> of an instance creates (truncates) the file; every <see cref="Write"/> ends with the rows handed
/// to the operating system. UTF-8 without BOM, <c>\n</c> line ends (as pandas writes on Linux), RFC 4180 quoting, invariant culture.
/// </remarks>
internal sealed class ResultsCsvWriter(string path) : IDisposable
{
    private const string ObjectiveColumn = "objective";
    private const string ObjectivePrefix = "objective_";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    // RFC 4180: quote fields holding a delimiter, a quote or a line break; also those with edge spaces, which some readers trim.
    private static readonly System.Buffers.SearchValues<char> NeedsQuotes = System.Buffers.SearchValues.Create(",\"\r\n");
    private static readonly string[] StatusNames = Enum.GetNames<JobStatus>().Select(n => n.ToUpperInvariant()).ToArray();

    private static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture)
    {
        NewLine = "\n",
        Encoding = Utf8,
    };

    // Reading back detects any line end, in case another tool rewrote the file.
    private static readonly CsvConfiguration ReadConfiguration = new(CultureInfo.InvariantCulture) { Encoding = Utf8 };

    private static readonly JsonSerializerOptions Json = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly string _fullPath = System.IO.Path.GetFullPath(path);
    private readonly List<string> _parameters = [];
    private readonly HashSet<string> _parameterSet = [];
    private readonly List<string> _metadata = [];
    private readonly HashSet<string> _metadataSet = [];
    private int _numObjectives; // 0: single "objective" column; n > 0: objective_0..objective_{n-1}
    private bool _headerStale; // columns were discovered that the file's header lacks (kept until a rewrite succeeds)
    private string[]? _header; // the header in the file; null while none was written
    private bool _created;
    private FileStream? _stream;
    private StreamWriter? _text;
    private CsvWriter? _csv;

    /// <summary>The file's path, as given.</summary>
    public string Path { get; } = path;

    /// <summary>Appends <paramref name="jobs"/> (rewriting the file first if they bring new columns) and hands the rows to the OS.</summary>
    /// <param name="jobs">The jobs to write, one row each.</param>
    /// <param name="flushToDisk">Whether to also force the rows to the disk.</param>
    public void Write(IReadOnlyList<Job> jobs, bool flushToDisk = false)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var job in jobs)
            _headerStale |= Discover(job);

        if (_headerStale && _header is null)
        {
            var header = BuildHeader();
            var writer = EnsureOpen();
            foreach (var name in header)
                Field(writer, name);
            writer.NextRecord();
            _header = header;
        }
        else if (_headerStale)
        {
            Rewrite(BuildHeader());
        }
        _headerStale = false;

        var csv = EnsureOpen();
        foreach (var job in jobs)
            WriteRow(csv, job);
        csv.Flush();
        if (flushToDisk)
            _stream!.Flush(flushToDisk: true);
    }

    /// <summary>Closes the file; a later <see cref="Write"/> reopens it and appends.</summary>
    public void Dispose() => CloseFile();

    // Records the job's columns; true when the header grows.
    private bool Discover(Job job)
    {
        var grew = _header is null;
        foreach (var name in job.Parameters.Keys)
            if (_parameterSet.Add(name))
            {
                _parameters.Add(name);
                grew = true;
            }
        if (job.Objective is { IsFailure: false, IsScalar: false, Values.Count: var count } && count > _numObjectives)
        {
            _numObjectives = count;
            grew = true;
        }
        foreach (var key in job.Metadata.Keys)
            if (!key.StartsWith('_') && _metadataSet.Add(key))
            {
                _metadata.Add(key);
                grew = true;
            }
        return grew;
    }

    private string[] BuildHeader()
    {
        var header = new List<string>(_parameters.Count + Math.Max(1, _numObjectives) + 2 + _metadata.Count);
        header.AddRange(_parameters.Select(p => "p:" + p));
        if (_numObjectives == 0)
            header.Add(ObjectiveColumn);
        else
            for (var i = 0; i < _numObjectives; i++)
                header.Add(ObjectivePrefix + i.ToString(CultureInfo.InvariantCulture));
        header.Add("job_id");
        header.Add("job_status");
        header.AddRange(_metadata.Select(m => "m:" + m));
        return [.. header];
    }

    private void WriteRow(CsvWriter csv, Job job)
    {
        foreach (var name in _parameters)
            Field(csv, job.Parameters.TryGetValue(name, out var value) ? Format(value) : "");

        var objective = job.Objective;
        if (_numObjectives == 0)
            Field(csv, objective is null ? "" : objective.Failure ?? Format(objective.Values[0]));
        else
            for (var i = 0; i < _numObjectives; i++)
                Field(csv, objective is null ? ""
                    : objective.Failure ?? (i < objective.Values.Count ? Format(objective.Values[i]) : ""));

        Field(csv, job.Number.ToString(CultureInfo.InvariantCulture));
        Field(csv, StatusNames[(int)job.Status]);
        foreach (var key in _metadata)
            Field(csv, job.Metadata.TryGetValue(key, out var value) ? Format(value) : "");
        csv.NextRecord();
    }

    // Re-reads the file and writes it again under the new header through a temporary file, so a crash leaves the old or the new file.
    private void Rewrite(string[] header)
    {
        CloseFile();
        var directory = System.IO.Path.GetDirectoryName(_fullPath)!;
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(_fullPath)}.{Guid.NewGuid():N}.tmp");
        var index = new Dictionary<string, int>(header.Length);
        for (var i = 0; i < header.Length; i++)
            index[header[i]] = i;
        var firstObjective = _numObjectives == 0 ? index[ObjectiveColumn] : index[ObjectivePrefix + "0"];
        var numObjectives = Math.Max(1, _numObjectives);
        try
        {
            using (var input = new FileStream(_fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16))
            using (var reader = new StreamReader(input, Utf8))
            using (var parser = new CsvParser(reader, ReadConfiguration))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new StreamWriter(output, Utf8))
            using (var csv = new CsvWriter(writer, Configuration))
            {
                foreach (var name in header)
                    Field(csv, name);
                csv.NextRecord();

                var map = Array.Empty<int>(); // old column -> new column (-1: dropped, never happens)
                var row = new string[header.Length];
                if (parser.Read())
                    map = parser.Record!.Select(name => index.TryGetValue(name, out var i) ? i : name == ObjectiveColumn ? firstObjective : -1).ToArray();
                while (parser.Read())
                {
                    Array.Fill(row, "");
                    var record = parser.Record!;
                    for (var i = 0; i < record.Length && i < map.Length; i++)
                        if (map[i] >= 0)
                            row[map[i]] = record[i];
                    // A failure fills every objective column, including the ones that did not exist when the row was written.
                    if (row[firstObjective].StartsWith('F'))
                        for (var i = 1; i < numObjectives; i++)
                            row[firstObjective + i] = row[firstObjective];
                    foreach (var field in row)
                        Field(csv, field);
                    csv.NextRecord();
                }
                csv.Flush();
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, _fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        _header = header;
    }

    private CsvWriter EnsureOpen()
    {
        if (_csv is not null)
            return _csv;
        try
        {
            if (!_created)
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_fullPath)!);
            _stream = new FileStream(_fullPath, _created ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The runtime's own message names only the part of the path it tripped on.
            throw new IOException($"The results file '{_fullPath}' cannot be written: {e.Message}", e);
        }
        _created = true;
        _text = new StreamWriter(_stream, Utf8, 1 << 16);
        _csv = new CsvWriter(_text, Configuration);
        return _csv;
    }

    private void CloseFile()
    {
        _csv?.Dispose(); // flushes and disposes the writer and the stream beneath
        _text?.Dispose();
        _stream?.Dispose();
        _csv = null;
        _text = null;
        _stream = null;
    }

    // CsvHelper's own ShouldQuote misses a lone '\r' once NewLine is set, and costs a delegate call per field.
    private static void Field(CsvWriter csv, string field) =>
        csv.WriteField(field, field.Length > 0 && (field.AsSpan().ContainsAny(NeedsQuotes) || field[0] == ' ' || field[^1] == ' '));

    /// <summary>Formats a plain value as DeepHyper users read it back with pandas.</summary>
    internal static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        double d => Format(d),
        float f => Format((double)f),
        byte[] bytes => Convert.ToBase64String(bytes),
        IDictionary or IEnumerable => JsonSerializer.Serialize(value, Json),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Format(double value) =>
        double.IsFinite(value) ? value.ToString(CultureInfo.InvariantCulture) // shortest round-trip form
        : double.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}
