using Certify.Graph;
using Certify.Training.Data;
using Certify.Training.Robustness;

namespace Certify.Training.Evaluation;

/// <summary>Certified accuracy at one ε.</summary>
public sealed record CurvePoint(double Eps, double Certified);

/// <summary>Clean, PGD and certified accuracy at the requested ε, plus certified accuracy over a range of ε.</summary>
public sealed record AccuracyStudyResult(AccuracyReport AtEps, IReadOnlyList<CurvePoint> Curve, string CurveMethod, TimeSpan Elapsed);

/// <summary>
/// What <c>certify certify-accuracy</c> computes: the accuracies of a model on the test digits at ε and the certified
/// accuracy curve at ε·{¼, ½, ¾, 1, 1¼, 1½, 2} by the same incomplete method.
/// </summary>
public static class AccuracyStudy
{
    /// <summary>Multiples of ε at which the curve is drawn.</summary>
    public static readonly double[] CurveFactors = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0];

    /// <summary>Runs the study; <paramref name="log"/> gets a line per finished piece.</summary>
    public static AccuracyStudyResult Run(ComputationGraph graph, MnistDataset test, double eps, BoundMethod method, bool curve = true, Action<string>? log = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double clean = RobustnessEvaluator.CleanAccuracy(graph, test);
        log?.Invoke($"clean accuracy {100 * clean:F2}%");
        double pgd = RobustnessEvaluator.PgdAccuracy(graph, test, eps);
        log?.Invoke($"PGD accuracy {100 * pgd:F2}%");
        double cert = RobustnessEvaluator.CertifiedAccuracy(graph, test, eps, method);
        log?.Invoke($"certified accuracy ({Name(method)}) {100 * cert:F2}%");
        var points = new List<CurvePoint>();
        if (curve)
            foreach (var f in CurveFactors)
            {
                double e = Math.Round(eps * f, 6);
                double c = f == 1.0 ? cert : RobustnessEvaluator.CertifiedAccuracy(graph, test, e, method);
                points.Add(new CurvePoint(e, c));
            }
        return new AccuracyStudyResult(new AccuracyReport(eps, test.Count, clean, pgd, cert, Name(method)), points, Name(method), clock.Elapsed);
    }

    /// <summary>Command-line name of a bound method.</summary>
    public static string Name(BoundMethod m) => m switch
    {
        BoundMethod.Ibp => "ibp",
        BoundMethod.CrownIbp => "crown-ibp",
        BoundMethod.Crown => "crown",
        BoundMethod.AlphaCrown => "alpha-crown",
        _ => m.ToString(),
    };
}
