using Certify.Graph;
using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>How hard <see cref="RegionAttack"/> searches.</summary>
/// <param name="Restarts">PGD runs from independent uniform random starts in the box (the box centre is always one of them).</param>
/// <param name="Steps">Signed-gradient steps per run; the step shrinks from <paramref name="InitialStep"/> to 1% of it (cosine).</param>
/// <param name="RandomSamples">Extra uniform random points in the box that are simply evaluated.</param>
/// <param name="InitialStep">First step, as a fraction of each input's box width.</param>
public sealed record AttackBudget(int Restarts = 1000, int Steps = 100, int RandomSamples = 20000, double InitialStep = 0.25)
{
    /// <summary>One line for reports, e.g. "PGD 1000 restarts x 100 steps + 20000 random samples".</summary>
    public override string ToString() => $"PGD {Restarts} restarts x {Steps} steps + {RandomSamples} random samples";
}

/// <summary>What an attack found: the point with the smallest objective and whether it violates the property.</summary>
/// <param name="Found">True when <see cref="BestObjective"/> ≤ 0, i.e. <see cref="X"/> is a counterexample in the graph's arithmetic.</param>
/// <param name="X">The best point found (flattened input).</param>
/// <param name="BestObjective">Smallest objective seen; the objective is ≤ 0 exactly on counterexamples.</param>
/// <param name="Budget">The budget spent.</param>
public sealed record AttackReport(bool Found, double[] X, double BestObjective, AttackBudget Budget);

/// <summary>
/// A minimal many-restart PGD (L∞, signed gradient, projection onto the box) against one <see cref="InputRegion"/>.
/// It minimises the violation objective <c>min over disjuncts of max over rows (C·y − D)</c>, which is ≤ 0 exactly when
/// the output is unsafe. Written for the soundness generator (to train planted networks and to check that attacks
/// miss the planted points); the verifier's own attack lives in Certify.Verification.
/// </summary>
public static class RegionAttack
{
    /// <summary>The violation objective of outputs <paramref name="y"/> <c>[B, m]</c> for <paramref name="region"/>: <c>[B]</c>.</summary>
    public static Tensor Objective(Tensor y, InputRegion region)
    {
        Tensor? best = null;
        foreach (var conj in region.Unsafe.Disjuncts)
        {
            Tensor? worst = null;
            foreach (var row in conj.Rows)
            {
                var c = tensor(row.C, dtype: y.dtype, device: y.device);
                var v = matmul(y, c) - row.D;                                     // [B]
                worst = worst is null ? v : maximum(worst, v);
            }
            worst ??= zeros(y.shape[0], dtype: y.dtype, device: y.device) - 1;      // an empty conjunction always holds
            best = best is null ? worst : minimum(best, worst);
        }
        return best ?? full(y.shape[0], double.PositiveInfinity, dtype: y.dtype, device: y.device);
    }

    /// <summary>
    /// Runs the attack on <paramref name="graph"/> (parameters should not require grad) over <paramref name="region"/>'s
    /// box with the given budget and seed. Returns at the first counterexample or after the full budget.
    /// </summary>
    public static AttackReport Run(ComputationGraph graph, InputRegion region, AttackBudget budget, long seed)
    {
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        var dtype = graph.Nodes.SelectMany(n => n.Op.Parameters).Select(p => p.dtype).FirstOrDefault(ScalarType.Float32);
        var lo = tensor(region.Lower, dtype: dtype).unsqueeze(0);     // [1, n]
        var hi = tensor(region.Upper, dtype: dtype).unsqueeze(0);
        var width = hi - lo;
        int n = region.Lower.Length;
        double bestValue = double.PositiveInfinity;
        double[] bestX = region.Lower.Zip(region.Upper, (a, c) => (a + c) / 2).ToArray();

        void Consider(Tensor x, Tensor obj)
        {
            var i = obj.argmin().item<long>();
            var v = obj[i].ToDouble();
            if (v < bestValue) { bestValue = v; bestX = x[i].detach().to_type(ScalarType.Float64).data<double>().ToArray(); }
        }

        // Uniform samples first: cheap, and they catch wide violations.
        const int chunk = 4096;
        using (no_grad())
            for (int done = 0; done < budget.RandomSamples && bestValue > 0; done += chunk)
            {
                int b = Math.Min(chunk, budget.RandomSamples - done);
                var x = lo + rand(new long[] { b, n }, dtype: dtype, generator: gen) * width;
                Consider(x, Objective(graph.Forward(x).reshape(b, -1), region));
            }

        for (int done = 0; done < budget.Restarts && bestValue > 0; done += chunk)
        {
            int b = Math.Min(chunk, budget.Restarts - done);
            var x = lo + rand(new long[] { b, n }, dtype: dtype, generator: gen) * width;
            if (done == 0) x[0] = ((lo + hi) / 2).squeeze(0);
            for (int s = 0; s < budget.Steps; s++)
            {
                using var stepScope = NewDisposeScope();
                var xv = x.detach().requires_grad_(true);
                var obj = Objective(graph.Forward(xv).reshape(b, -1), region);
                using (no_grad()) Consider(xv, obj);
                if (bestValue <= 0) break;
                var grad = autograd.grad(new[] { obj.sum() }, new[] { xv })[0];
                double frac = budget.InitialStep * (0.01 + 0.99 * 0.5 * (1 + Math.Cos(Math.PI * s / Math.Max(1, budget.Steps))));
                using (no_grad())
                {
                    var next = minimum(maximum(xv - grad.sign() * width * frac, lo), hi).detach();
                    next.MoveToOuterDisposeScope();
                    x = next;
                }
            }
            if (bestValue > 0)
                using (no_grad()) Consider(x, Objective(graph.Forward(x).reshape(b, -1), region));
        }
        return new AttackReport(bestValue <= 0, bestX, bestValue, budget);
    }
}
