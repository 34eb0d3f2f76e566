namespace Evaluator.Core.Csv;

/// <summary>Writes DeepHyper's results.csv. (Placeholder until the CSV writer lands.)</summary>
internal sealed class ResultsCsvWriter(string path) : IDisposable
{
    public string Path { get; } = path;

    public void Write(IReadOnlyList<Job> jobs, bool flushToDisk = false) => throw new NotImplementedException();

    public void Dispose() { }
}
