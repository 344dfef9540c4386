using Certify.Graph;
using Certify.Spec;
using Certify.Verification.Attack;
using static TorchSharp.torch;

namespace Certify.Soundness;

/// <summary>How hard <see cref="BudgetedAttack"/> searches one box.</summary>
/// <param name="Restarts">PGD runs from independent starts in the box (split into rounds of at most 250).</param>
/// <param name="Steps">Signed-gradient steps per run (cosine-decaying step from <paramref name="InitialStep"/>).</param>
/// <param name="RandomSamples">Uniform random points in the box that are simply evaluated first.</param>
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
/// The project's <see cref="PgdAttack"/> run with a fixed work budget (restarts × steps + random samples) instead of a
/// time limit, so that the generator's check is the same attack on every machine and can be written into the manifest.
/// </summary>
public static class BudgetedAttack
{
    const int RoundSize = 250;

    /// <summary>Attacks <paramref name="region"/> on <paramref name="graph"/> with the whole budget; the best point found.</summary>
    public static AttackReport Run(ComputationGraph graph, InputRegion region, AttackBudget budget, long seed)
    {
        int perRound = Math.Max(1, Math.Min(RoundSize, budget.Restarts));
        var dtype = graph.Nodes.SelectMany(n => n.Op.Parameters).Select(p => p.dtype).FirstOrDefault(ScalarType.Float32);
        var attack = new PgdAttack(new AttackOptions
        {
            RestartsPerDisjunct = perRound,
            MaxRounds = (budget.Restarts + perRound - 1) / perRound,
            Iterations = budget.Steps,
            RandomSamples = budget.RandomSamples,
            InitialStep = budget.InitialStep,
            FinalStep = budget.InitialStep / 100,
            MaxCornerInputs = 0,                              // a fixed budget: corners would add 2ⁿ points for tiny n only
            TimeLimit = TimeSpan.FromHours(1),               // the budget, not the clock, ends the attack
            Seed = (int)(seed & int.MaxValue),
            DType = dtype,
            MaxCandidates = 1,
        });
        var spec = new Specification(new[] { region }, region.Lower.Length, (int)graph.OutputSize);
        var best = attack.Run(graph, spec).FirstOrDefault();
        return best is null
            ? new AttackReport(false, region.Lower.Zip(region.Upper, (a, b) => (a + b) / 2).ToArray(), double.PositiveInfinity, budget)
            : new AttackReport(best.Margin <= 0, best.X, best.Margin, budget);
    }
}

/// <summary>The differentiable violation objective of a region, used as a training loss and by the prover's probes.</summary>
public static class ViolationObjective
{
    /// <summary>
    /// <c>min over disjuncts of max over rows (C·y − D)</c> of outputs <paramref name="y"/> <c>[B, m]</c>: <c>[B]</c>; it is
    /// ≤ 0 exactly where the output is unsafe.
    /// </summary>
    public static Tensor Of(Tensor y, InputRegion region)
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
}
