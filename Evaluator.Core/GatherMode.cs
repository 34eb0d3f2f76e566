namespace Evaluator.Core;

/// <summary>How much <see cref="JobEvaluator.GatherAsync(GatherMode, int, CancellationToken)"/> waits for.</summary>
public enum GatherMode
{
    /// <summary>Wait for every submitted job.</summary>
    All,
    /// <summary>Wait for at least <c>size</c> jobs, and take any others already done.</summary>
    Batch,
}
