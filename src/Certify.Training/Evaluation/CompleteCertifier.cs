using Certify.Graph;
using Certify.Spec;
using Certify.Training.Data;
using Certify.Training.Robustness;
using Certify.Verification;
using static TorchSharp.torch;

namespace Certify.Training.Evaluation;

/// <summary>How each test sample ended in a complete certification.</summary>
public enum SampleOutcome
{
    /// <summary>Misclassified without perturbation: never certified.</summary>
    Wrong,
    /// <summary>Proven by bounds alone (alpha-CROWN, or IBP where tighter).</summary>
    Bounds,
    /// <summary>Proven by the verifier (branch and bound / MILP): unsat.</summary>
    Verified,
    /// <summary>A counterexample exists: found by PGD, or reproduced by the verifier (sat).</summary>
    Falsified,
    /// <summary>Neither proven nor falsified within the per-sample time limit.</summary>
    Unknown,
}

/// <summary>Result of <see cref="CompleteCertifier.Run"/>: one outcome per sample and the certified fraction.</summary>
public sealed record CompleteCertification(IReadOnlyList<SampleOutcome> Outcomes, TimeSpan Elapsed)
{
    /// <summary>Samples with <paramref name="outcome"/>.</summary>
    public int Count(SampleOutcome outcome) => Outcomes.Count(o => o == outcome);

    /// <summary>Fraction proven robust (by bounds or by the verifier).</summary>
    public double Certified => Outcomes.Count == 0 ? 0 : (Count(SampleOutcome.Bounds) + Count(SampleOutcome.Verified)) / (double)Outcomes.Count;

    /// <summary>Fraction proven robust plus the undecided ones: an upper limit of the true robust accuracy.</summary>
    public double Upper => Outcomes.Count == 0 ? 0 : 1 - (Count(SampleOutcome.Wrong) + Count(SampleOutcome.Falsified)) / (double)Outcomes.Count;
}

/// <summary>
/// Certified accuracy by complete verification: the cheap stages settle most samples (misclassified; proven by
/// alpha-CROWN bounds; broken by PGD) and only the rest go to the <see cref="Verifier"/> (attack, branch and bound, MILP)
/// with a time limit per sample, on the local-robustness property of <see cref="RobustnessProperty"/>. A sample counts as
/// certified only on an unsat verdict or a bound proof; undecided ones are reported separately, so the certified figure
/// is a lower limit and <see cref="CompleteCertification.Upper"/> an upper limit of the true robust accuracy.
/// </summary>
public static class CompleteCertifier
{
    /// <summary>Runs the certification of every sample of <paramref name="data"/> at <paramref name="eps"/>.</summary>
    /// <param name="graph">The network.</param>
    /// <param name="data">Test digits.</param>
    /// <param name="eps">L∞ radius in pixel units (the box is clipped to [0, 1]).</param>
    /// <param name="perSample">Verifier time limit per undecided sample.</param>
    /// <param name="reference">Re-runs counterexamples (ONNX Runtime on the model file); null: the graph in float64.</param>
    /// <param name="log">Gets a line per sample that reached the verifier.</param>
    public static CompleteCertification Run(ComputationGraph graph, MnistDataset data, double eps, TimeSpan perSample,
        IReferenceModel? reference = null, Action<string>? log = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var bounds = RobustnessEvaluator.Certified(graph, data, eps, BoundMethod.AlphaCrown);
        var correct = new List<bool>(data.Count);
        var robust = new List<bool>(data.Count);
        var pgd = new Pgd(Steps: 40, StepFraction: 0.1, Restarts: 2, UseMargin: true);
        ComputationGraph g64;
        using (no_grad()) g64 = graph.To(ScalarType.Float64);
        RobustnessEvaluator.ForBatches(data, 500, (x, y) =>
        {
            correct.AddRange(g64.Forward(x.to_type(ScalarType.Float64)).argmax(1).eq(y).data<bool>().ToArray());
            robust.AddRange(pgd.Robust(graph, x.to_type(RobustnessEvaluator.DType(graph)), y, eps).data<bool>().ToArray());
        });
        var outcomes = new SampleOutcome[data.Count];
        reference ??= new GraphReferenceModel(graph);
        for (int i = 0; i < data.Count; i++)
        {
            if (!correct[i]) { outcomes[i] = SampleOutcome.Wrong; continue; }
            if (bounds[i]) { outcomes[i] = SampleOutcome.Bounds; continue; }
            if (!robust[i]) { outcomes[i] = SampleOutcome.Falsified; continue; }
            var x = data.Image(i).ToArray().Select(v => (double)v).ToArray();
            var spec = RobustnessProperty.Create(x, data.Labels[i], eps, MnistDataset.NumClasses);
            var report = new Verifier(graph, spec, reference, new VerifierOptions { Timeout = perSample }).Run();
            outcomes[i] = report.Verdict.Kind switch
            {
                VerdictKind.Unsat => SampleOutcome.Verified,
                VerdictKind.Sat => SampleOutcome.Falsified,
                _ => SampleOutcome.Unknown,
            };
            log?.Invoke($"sample {i} (label {data.Labels[i]}): {report.Verdict.Word} [{report.Elapsed.TotalSeconds:F1} s]");
        }
        return new CompleteCertification(outcomes, clock.Elapsed);
    }
}
