using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace Evaluator.Tests.Csv;

/// <summary>A results.csv read back with CsvHelper (an RFC 4180 reader), plus its raw text.</summary>
internal sealed record CsvFile(string Text, string HeaderLine, string[] Header, List<string[]> Rows)
{
    public static CsvFile Read(string path)
    {
        // Share read-write: the evaluator may still hold the file open for appending.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        var text = reader.ReadToEnd();
        using var parser = new CsvParser(new StringReader(text), new CsvConfiguration(CultureInfo.InvariantCulture));
        var records = new List<string[]>();
        while (parser.Read())
            records.Add(parser.Record!);
        var headerLine = text.Length == 0 ? "" : text[..text.IndexOf('\n')];
        return new(text, headerLine, records.FirstOrDefault() ?? [], records.Skip(1).ToList());
    }

    /// <summary>The rows ordered by <c>job_id</c>.</summary>
    public List<string[]> RowsByJobId()
    {
        var index = Array.IndexOf(Header, "job_id");
        return Rows.OrderBy(r => int.Parse(r[index], CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>The cells of <paramref name="row"/> in the named columns.</summary>
    public string[] Cells(string[] row, params string[] columns) => columns.Select(c => row[Array.IndexOf(Header, c)]).ToArray();

    /// <summary>The named column of every row ordered by <c>job_id</c>.</summary>
    public string[] Column(string column) => RowsByJobId().Select(r => r[Array.IndexOf(Header, column)]).ToArray();
}
