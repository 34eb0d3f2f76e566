using Evaluator.Core.Execution;

namespace Evaluator.Core.Workers;

/// <summary>The loky backend. (Placeholder until the pool lands.)</summary>
internal sealed class WorkerPool(RunFunction runFunction, IReadOnlyDictionary<string, object?> kwargs, EvaluatorOptions options, IJobSink sink) : IJobExecutor
{
    public int NumWorkers => options.NumWorkers;
    public void Enqueue(JobTicket ticket) => throw new NotImplementedException($"{runFunction}{kwargs}{sink}");
    public void CancelAll(CancelReason reason) { }
    public Task CloseAsync() => Task.CompletedTask;
}
