using Certify.Training.Data;
using Certify.Training.Robustness;
using static TorchSharp.torch;

namespace Certify.Training.Training;

/// <summary>Schedule values at one optimiser step.</summary>
/// <param name="Eps">Current training ε.</param>
/// <param name="Kappa">Weight of the clean cross-entropy (the robust term gets 1 − κ).</param>
/// <param name="Beta">CROWN-IBP's weight of the CROWN-IBP bound against the IBP bound.</param>
public readonly record struct ScheduleState(double Eps, double Kappa, double Beta);

/// <summary>
/// The training objective of each <see cref="TrainingMethod"/> for one batch. Robust terms take their bounds from the
/// project's bound engine through <see cref="CertifiedBounds"/>, so the loss is differentiable into the very graph that
/// is later certified and exported.
/// </summary>
public sealed class RobustLoss(TrainingOptions options)
{
    readonly Pgd _pgd = new(Steps: options.PgdTrainSteps, StepFraction: 2.5 / Math.Max(1, options.PgdTrainSteps), Seed: options.Seed);

    /// <summary>Loss (scalar) and clean logits <c>[B, 10]</c> of batch <paramref name="x"/> <c>[B, 1, 28, 28]</c>, labels <paramref name="y"/> <c>[B]</c>.</summary>
    public (Tensor Loss, Tensor Logits) Compute(Models.TrainableNetwork net, Tensor x, Tensor y, ScheduleState s)
    {
        var g = net.Graph;
        var logits = g.Forward(x);
        var clean = nn.functional.cross_entropy(logits, y);
        if (options.Method == TrainingMethod.Standard || s.Eps <= 0) return (clean, logits);
        switch (options.Method)
        {
            case TrainingMethod.Pgd:
            {
                var adv = _pgd.Attack(g.Forward, x, y, s.Eps);
                var advLoss = nn.functional.cross_entropy(g.Forward(adv), y);
                return (s.Kappa * clean + (1 - s.Kappa) * advLoss, logits);
            }
            case TrainingMethod.Ibp:
            case TrainingMethod.CrownIbp:
            {
                var (lo, hi) = InputBox.Around(x, s.Eps);
                var spec = InputBox.MarginSpec(y, MnistDataset.NumClasses, x.dtype);
                var m = CertifiedBounds.MarginLower(g, lo, hi, spec, BoundMethod.Ibp);          // [B, 9]
                if (options.Method == TrainingMethod.CrownIbp && s.Beta > 0)
                    m = s.Beta * CertifiedBounds.MarginLower(g, lo, hi, spec, BoundMethod.CrownIbp) + (1 - s.Beta) * m;
                var robust = InputBox.WorstCaseCrossEntropy(m);
                return (s.Kappa * clean + (1 - s.Kappa) * robust, logits);
            }
            case TrainingMethod.Sabr:
            {
                // Centre of the small box: a PGD point of the full ε-box, pulled in so that the small box stays inside it.
                double small = options.SabrLambda * s.Eps;
                var adv = _pgd.Attack(g.Forward, x, y, s.Eps);
                var (lo, hi) = InputBox.Around(x, s.Eps);
                var centre = adv.maximum(lo + small).minimum(hi - small).detach();
                var sLo = (centre - small).clamp_min(0);
                var sHi = (centre + small).clamp_max(1);
                var spec = InputBox.MarginSpec(y, MnistDataset.NumClasses, x.dtype);
                var m = CertifiedBounds.MarginLower(g, sLo, sHi, spec, BoundMethod.Ibp);
                var robust = InputBox.WorstCaseCrossEntropy(m);
                return (s.Kappa * clean + (1 - s.Kappa) * robust, logits);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(options.Method), options.Method, null);
        }
    }
}
