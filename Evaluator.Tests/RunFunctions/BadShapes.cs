namespace Evaluator.Tests.RunFunctions;

/// <summary>Run functions with shapes a worker cannot call; Create must refuse each.</summary>
public static class BadShapes
{
    public static double TakesAnInt(int x) => x;

    public static void ReturnsNothing(RunningJob job) { }

    public static double NeedsKwarg(RunningJob job, int depth) => depth;

    public static double Overloaded(RunningJob job) => 1;

    public static double Overloaded(IReadOnlyDictionary<string, object?> parameters) => 2;
}
