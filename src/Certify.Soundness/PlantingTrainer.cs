using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>Settings of <see cref="PlantingTrainer"/> and of the bump that plants the counterexample.</summary>
/// <param name="Steps">Adam steps of the first training round (later hardening rounds use a third).</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Margin">Required margin: the trained network satisfies the property by at least this everywhere in the
/// box, and the planted point violates it by this.</param>
/// <param name="BumpRadius">L1 radius of the planted bump, as a fraction of the box half-width.</param>
/// <param name="BoxSamples">Uniform samples of the box per step.</param>
/// <param name="AdversarialRestarts">PGD points per step, found against the current network (the points it gets most wrong).</param>
/// <param name="AdversarialSteps">PGD steps to find them.</param>
public sealed record TrainingOptions(
    int Steps = 600, double LearningRate = 0.003, double Margin = 0.1, double BumpRadius = 0.1,
    int BoxSamples = 256, int AdversarialRestarts = 64, int AdversarialSteps = 10);

/// <summary>
/// Trains a <see cref="PlantedNetwork"/> so that a region's property holds with a margin everywhere in its box: per step,
/// a hinge <c>relu(margin − objective)</c> on uniform samples of the box, on extra points (counterexamples a checking
/// attack found in an earlier round), and on PGD points found against the current network in that step. A weak upper
/// hinge keeps the objective below a few margins, so that the property stays tight and the network keeps its shape
/// (a verifier has real work to do). The objective is <see cref="ViolationObjective"/> (≤ 0 on counterexamples).
/// </summary>
public static class PlantingTrainer
{
    /// <summary>Objective values above this many margins are gently pushed down.</summary>
    const double CapMargins = 5;

    /// <summary>Trains <paramref name="net"/> in place on <paramref name="box"/>; returns the final loss.</summary>
    public static double Train(PlantedNetwork net, InputRegion box, TrainingOptions o, long seed,
        IReadOnlyList<double[]>? extraSafe = null, Action<string>? log = null, int? steps = null)
    {
        var gen = new Generator((ulong)seed);
        var opt = optim.Adam(net.Parameters, o.LearningRate);
        int n = net.InputSize;
        var lo = tensor(box.Lower, dtype: ScalarType.Float32).unsqueeze(0);     // [1, n]
        var hi = tensor(box.Upper, dtype: ScalarType.Float32).unsqueeze(0);
        var extra = extraSafe is { Count: > 0 } ? tensor(extraSafe.SelectMany(v => v).Select(v => (float)v).ToArray(), new long[] { extraSafe.Count, n }) : null;
        double last = double.NaN;
        int total = steps ?? o.Steps;
        for (int step = 0; step < total; step++)
        {
            using var scope = NewDisposeScope();
            var adv = Adversarial(net.Detached(), box, lo, hi, o.AdversarialRestarts, o.AdversarialSteps, gen);   // [R, n]
            var uniform = lo + rand(new long[] { o.BoxSamples, n }, generator: gen) * (hi - lo);         // [S, n]
            var all = extra is null ? cat(new[] { uniform, adv }, 0) : cat(new[] { uniform, adv, extra }, 0);
            var obj = ViolationObjective.Of(net.Graph.Forward(all).reshape(all.shape[0], -1), box);    // [S + R (+E)]
            var objUniform = obj.narrow(0, 0, o.BoxSamples);
            var objHard = obj.narrow(0, o.BoxSamples, obj.shape[0] - o.BoxSamples);
            // The hard points (adversarial, earlier counterexamples) are few but decide whether an attack succeeds: weigh them more.
            var lower = nn.functional.relu(o.Margin - objUniform).mean() + 2 * nn.functional.relu(o.Margin - objHard).mean();
            var upper = 0.05 * nn.functional.relu(objUniform - CapMargins * o.Margin).mean();
            var loss = lower + upper;
            if (log is not null && (step % 200 == 0 || step == total - 1))
                log($"step {step}: loss {loss.ToDouble():F4}, adversarial min objective {objHard.min().ToDouble():F3}");
            opt.zero_grad();
            loss.backward();
            opt.step();
            last = loss.ToDouble();
        }
        return last;
    }

    /// <summary>
    /// PGD points in the box where the current network comes closest to violating: <c>[restarts, n]</c>. This is not
    /// <see cref="Certify.Verification.Attack.PgdAttack"/>: training needs every restart's final point as a batch of
    /// training data, while that attack reports only the best point it has seen (it is a falsifier, not a data source).
    /// </summary>
    static Tensor Adversarial(Graph.ComputationGraph g, InputRegion region, Tensor lo, Tensor hi, int restarts, int steps, Generator gen)
    {
        var width = hi - lo;
        var x = lo + rand(new long[] { restarts, lo.shape[1] }, generator: gen) * width;
        for (int s = 0; s < steps; s++)
        {
            var xv = x.detach().requires_grad_(true);
            var obj = ViolationObjective.Of(g.Forward(xv).reshape(restarts, -1), region);
            var grad = autograd.grad(new[] { obj.sum() }, new[] { xv })[0];
            double frac = 0.25 * (1 - (double)s / steps) + 0.01;
            using (no_grad()) x = minimum(maximum(xv - grad.sign() * width * frac, lo), hi).detach();
        }
        return x.detach();
    }
}
