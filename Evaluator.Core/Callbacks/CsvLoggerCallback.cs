using Evaluator.Core.Csv;

namespace Evaluator.Core;

/// <summary>
/// Writes every finished job of the evaluator to a <c>results.csv</c> in DeepHyper's format (<c>p:*</c>, <c>objective</c> or
/// <c>objective_&lt;i&gt;</c>, <c>job_id</c>, <c>job_status</c>, <c>m:*</c>). Rows reach the operating system at the end of each gather
/// that produced them, and at close for the jobs cancelled then. A column that first appears late is kept: the file is rewritten
/// with the grown header.
/// </summary>
/// <param name="path">The file to write; created, or overwritten, by the first gather.</param>
public sealed class CsvLoggerCallback(string path = "results.csv") : EvaluatorCallback
{
    private readonly ResultsCsvWriter _writer = new(path);
    private readonly List<Job> _done = [];

    /// <summary>The file written, as given.</summary>
    public string Path => _writer.Path;

    /// <summary>Keeps the job until the gather ends.</summary>
    public override void OnDone(Job job) => _done.Add(job);

    /// <summary>Appends the jobs finished in this gather.</summary>
    public override void OnGather(GatherResult result) => Flush();

    /// <summary>Appends the jobs cancelled at close and closes the file.</summary>
    public override void OnClose()
    {
        Flush();
        _writer.Dispose();
    }

    private void Flush()
    {
        _writer.Write(_done);
        _done.Clear();
    }
}
