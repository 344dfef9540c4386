using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Training.Robustness;

/// <summary>
/// Projected gradient descent (Madry et al. 2018) on the graph's forward pass with autograd, for PGD training, SABR's
/// box centres and PGD accuracy. Maximises the cross-entropy (or, with <see cref="UseMargin"/>, the largest wrong-class
/// margin) inside the ε-box ∩ [0, 1]. Only the input's gradient is taken; parameters get none.
/// </summary>
public sealed record Pgd(int Steps = 10, double StepFraction = 0.25, int Restarts = 1, bool UseMargin = false, long Seed = 0)
{
    /// <summary>
    /// The adversarial batch <c>[B, ...]</c> found for <paramref name="x"/> with labels <paramref name="y"/>: for each sample
    /// the point with the highest loss seen over all steps and restarts (misclassified points win). Detached.
    /// </summary>
    public Tensor Attack(Func<Tensor, Tensor> forward, Tensor x, Tensor y, double eps)
    {
        var (lo, hi) = InputBox.Around(x, eps);
        var gen = new Generator((ulong)Seed);
        var best = x.detach().clone();
        var bestLoss = full(x.shape[0], double.NegativeInfinity, dtype: ScalarType.Float64);
        double step = StepFraction * eps;
        for (int r = 0; r < Restarts; r++)
        {
            // Random start in the box (uniform), as Madry et al.
            var adv = (lo + (hi - lo) * rand(x.shape, dtype: x.dtype, generator: gen)).detach();
            for (int s = 0; s <= Steps; s++)
            {
                using var scope = NewDisposeScope();
                var a = adv.detach().requires_grad_(true);
                Tensor perSample;
                using (enable_grad())
                {
                    var logits = forward(a);
                    perSample = Objective(logits, y);
                    var grad = autograd.grad([perSample.sum()], [a])[0];
                    // Keep the best point per sample (evaluated before stepping).
                    var l = perSample.detach().to_type(ScalarType.Float64);
                    var better = l > bestLoss;
                    bestLoss.copy_(where(better, l, bestLoss));
                    best.copy_(where(better.reshape(Shape(x)), a.detach(), best));
                    if (s == Steps) break;
                    var next = (a.detach() + step * grad.sign()).maximum(lo).minimum(hi);
                    adv = next.MoveToOuterDisposeScope();
                }
            }
        }
        return best;
    }

    static long[] Shape(Tensor x) => [x.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 1)];

    /// <summary>Per-sample objective to maximise <c>[B]</c>; misclassified samples score above every correct one.</summary>
    Tensor Objective(Tensor logits, Tensor y)
    {
        var trueLogit = logits.gather(1, y.unsqueeze(1)).squeeze(1);                           // [B]
        var masked = logits.scatter(1, y.unsqueeze(1), full_like(logits, double.NegativeInfinity)); // [B, K]
        var margin = masked.max(1).values - trueLogit;                                        // > 0 iff misclassified
        var score = UseMargin ? margin : nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.None);
        // A misclassified point is a found attack: rank it above any correct point regardless of the objective.
        return score + (margin > 0).to_type(score.dtype) * 1e6;
    }

    /// <summary>Per-sample: is the graph's prediction on the attacked input still the label? <c>[B]</c> bool.</summary>
    public Tensor Robust(ComputationGraph graph, Tensor x, Tensor y, double eps)
    {
        var adv = Attack(graph.Forward, x, y, eps);
        using var _ = no_grad();
        return graph.Forward(adv).argmax(1).eq(y) & graph.Forward(x).argmax(1).eq(y);
    }
}
