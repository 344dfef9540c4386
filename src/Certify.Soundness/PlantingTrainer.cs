using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>Settings of <see cref="PlantingTrainer"/>.</summary>
/// <param name="Steps">Adam steps.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Margin">Required margin: the planted point violates by at least this, the rest of the boxes satisfy by it.</param>
/// <param name="HoleRadius">L∞ radius, as a fraction of the box half-width, of the neighbourhood of the planted point left free.</param>
/// <param name="BoxSamples">Uniform samples per box and step.</param>
/// <param name="AdversarialRestarts">PGD points per box added each step (points that the current network gets most wrong).</param>
/// <param name="AdversarialSteps">PGD steps to find them.</param>
public sealed record TrainingOptions(
    int Steps = 1500, double LearningRate = 0.002, double Margin = 0.1, double HoleRadius = 0.3,
    int BoxSamples = 256, int AdversarialRestarts = 64, int AdversarialSteps = 8);

/// <summary>
/// Trains a <see cref="PlantedNetwork"/> so that one planted point violates a region's property by a clear margin while the
/// rest of the box satisfies it. The data is synthetic: per step, uniform samples of the box, any extra points (e.g.
/// counterexamples a checking attack found in an earlier round), samples on a thin shell around the planted point (so the violation stays confined to a small
/// neighbourhood), a small core around the planted point that must violate, and adversarial points found by PGD against
/// the current network; every sample of the rest of the box within <c>HoleRadius</c> of the planted point is ignored.
/// The loss is a hinge on the region's violation objective (<see cref="RegionAttack.Objective"/>).
/// </summary>
public static class PlantingTrainer
{
    /// <summary>
    /// Trains <paramref name="net"/> in place; <paramref name="point"/> lies in <paramref name="planted"/>'s box and
    /// <paramref name="extraSafe"/> are further points that must satisfy the property. Returns the final loss.
    /// </summary>
    public static double Train(PlantedNetwork net, InputRegion planted, double[] point, TrainingOptions o, long seed,
        IReadOnlyList<double[]>? extraSafe = null, Action<string>? log = null)
    {
        var gen = new Generator((ulong)seed);
        var opt = optim.Adam(net.Parameters, o.LearningRate);
        int n = net.InputSize;
        var pLo = tensor(planted.Lower, dtype: ScalarType.Float32).unsqueeze(0);
        var pHi = tensor(planted.Upper, dtype: ScalarType.Float32).unsqueeze(0);
        var extra = extraSafe is { Count: > 0 } ? tensor(extraSafe.SelectMany(v => v).Select(v => (float)v).ToArray(), new long[] { extraSafe.Count, n }) : null;
        var p = tensor(point, dtype: ScalarType.Float32).unsqueeze(0);            // [1, n]
        var hole = (pHi - pLo) / 2 * o.HoleRadius;                                  // [1, n] per-input hole radius
        double last = double.NaN;
        var advBudget = new AttackBudget(o.AdversarialRestarts, o.AdversarialSteps, 0, 0.25);
        for (int step = 0; step < o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            // Adversarial points against the current network (no gradient to the weights here).
            var detached = net.Detached();
            var advP = Adversarial(detached, planted, pLo, pHi, advBudget, gen);

            var boxP = pLo + rand(new long[] { o.BoxSamples, n }, generator: gen) * (pHi - pLo);
            // Shell: uniform in 3 hole radii around p, pushed out to at least one hole radius (L∞).
            var v = (rand(new long[] { o.BoxSamples / 2, n }, generator: gen) * 2 - 1) * hole * 3;
            var rel = (v.abs() / hole).amax(new long[] { 1 }, keepdim: true);
            var shell = minimum(maximum(p + v * clamp_min(1 / rel.clamp_min(1e-6), 1), pLo), pHi);
            var core = p + (rand(new long[] { 16, n }, generator: gen) * 2 - 1) * hole * 0.1;

            var safe = extra is null ? cat(new[] { boxP, advP, shell }, 0) : cat(new[] { boxP, advP, shell, extra }, 0);
            var outside = (safe - p).abs().div(hole).amax(new long[] { 1 }).ge(1).to_type(ScalarType.Float32);   // 1 outside the hole
            var objSafe = RegionAttack.Objective(net.Graph.Forward(safe).reshape(safe.shape[0], -1), planted);
            var objPoint = RegionAttack.Objective(net.Graph.Forward(p), planted);
            var objCore = RegionAttack.Objective(net.Graph.Forward(core), planted);

            // Uniform and shell samples, and separately the adversarial points (few, but they are the ones that matter).
            var hinge = nn.functional.relu(o.Margin - objSafe) * outside;
            var isAdv = zeros_like(outside); isAdv.narrow(0, o.BoxSamples, o.AdversarialRestarts).fill_(1);
            var lSafe = (hinge * (1 - isAdv)).sum() / (outside * (1 - isAdv)).sum().clamp_min(1)
                      + 2 * (hinge * isAdv).sum() / (outside * isAdv).sum().clamp_min(1);
            var lPoint = 4 * nn.functional.relu(o.Margin + objPoint).mean();
            var lCore = nn.functional.relu(o.Margin / 2 + objCore).mean();
            var loss = lSafe + lPoint + lCore;
            if (log is not null && (step % 100 == 0 || step == o.Steps - 1))
                log($"step {step}: safe {lSafe.ToDouble():F3} point {lPoint.ToDouble():F3} core {lCore.ToDouble():F3}; adversarial min objective {objSafe.narrow(0, o.BoxSamples, o.AdversarialRestarts).min().ToDouble():F3}");
            opt.zero_grad();
            loss.backward();
            opt.step();
            last = loss.ToDouble();
        }
        return last;
    }

    /// <summary>PGD points in the box that the current network comes closest to violating at: <c>[restarts, n]</c>.</summary>
    static Tensor Adversarial(Graph.ComputationGraph g, InputRegion region, Tensor lo, Tensor hi, AttackBudget b, Generator gen)
    {
        var width = hi - lo;
        var x = lo + rand(new long[] { b.Restarts, lo.shape[1] }, generator: gen) * width;
        for (int s = 0; s < b.Steps; s++)
        {
            var xv = x.detach().requires_grad_(true);
            var obj = RegionAttack.Objective(g.Forward(xv).reshape(b.Restarts, -1), region);
            var grad = autograd.grad(new[] { obj.sum() }, new[] { xv })[0];
            double frac = b.InitialStep * (1 - (double)s / b.Steps) + 0.01;
            using (no_grad()) x = minimum(maximum(xv - grad.sign() * width * frac, lo), hi).detach();
        }
        return x.detach();
    }
}
