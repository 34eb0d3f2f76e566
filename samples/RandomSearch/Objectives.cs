using Evaluator.Core;

namespace RandomSearch;

/// <summary>The run functions of the sample: static methods, so worker processes can load them by name.</summary>
public static class Objectives
{
    /// <summary>Branin's domain: x1 in [-5, 10], x2 in [0, 15].</summary>
    public static readonly (string Name, double Low, double High)[] BraninSpace = [("x1", -5, 10), ("x2", 0, 15)];

    /// <summary>Branin's global minimum, reached at (-π, 12.275), (π, 2.275) and (9.42478, 2.475).</summary>
    public const double BraninMinimum = 0.397887357729738;

    /// <summary>
    /// The negated Branin function: Evaluator, like DeepHyper, maximises the objective, so minimising Branin means returning
    /// <c>-branin(x1, x2)</c>. The best objective possible is <c>-0.397887</c>.
    /// </summary>
    public static double Branin(RunningJob job) => -BraninValue(job.Get<double>("x1"), job.Get<double>("x2"));

    /// <summary>Branin–Hoo: a(x2 - b·x1² + c·x1 - r)² + s(1 - t)cos(x1) + s.</summary>
    public static double BraninValue(double x1, double x2)
    {
        const double a = 1, r = 6, s = 10;
        const double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        var u = x2 - b * x1 * x1 + c * x1 - r;
        return a * u * u + s * (1 - t) * Math.Cos(x1) + s;
    }
}
