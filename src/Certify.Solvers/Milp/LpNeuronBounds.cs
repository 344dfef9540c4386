using Certify.Exact;
using Certify.Graph;
using Certify.Solvers.Encoding;
using Google.OrTools.LinearSolver;

namespace Certify.Solvers.Milp;

/// <summary>What one <see cref="LpNeuronBounds.Refine"/> call did, in work (never in time, which a loaded machine distorts).</summary>
/// <param name="Solved">Linear programs solved to optimality (two per neuron: its minimum and its maximum).</param>
/// <param name="Unfinished">Linear programs stopped by the iteration or time budget, or failed: their side keeps the given bound.</param>
/// <param name="Tightened">Bounds (sides of neurons) that came out tighter than the given ones.</param>
/// <param name="Iterations">Simplex iterations, summed over the programs.</param>
/// <param name="Detail">Why nothing was solved (unsupported op, non-finite encoding, empty region), or null.</param>
public sealed record LpRefinementWork(int Solved, int Unfinished, int Tightened, long Iterations, string? Detail = null);

/// <summary>
/// Tightens the bounds of chosen neurons of one intermediate node by linear programming: the minimum and the maximum of
/// each neuron's value over the LP relaxation of the network up to that node on the input box (the encoding of
/// <see cref="GraphEncoder"/>, restricted to the variables the node depends on, each unstable ReLU as its triangle,
/// with the given bounds of every earlier node as its relaxation's bounds). The LP sees all earlier layers at once,
/// where CROWN's back-substitution relaxes each ReLU by one fixed pair of lines per pass, so its optimum is at least as
/// tight as CROWN's bound from the same earlier bounds; this is what branch and bound's first layers need when
/// splitting stalls (<c>BabOptions.Refinement</c>).
/// <para>
/// Soundness. The side that must hold is never read from the solver's primal objective: it is recomputed from the LP's
/// dual values by weak duality (Neumaier and Shcherbina's safe bound): for any multipliers y of the rows
/// <c>lo ≤ A·x ≤ hi</c> and variable bounds <c>xl ≤ x ≤ xu</c>, <c>c·x = y·(A·x) + (c − Aᵀy)·x</c> is at least
/// <c>Σ (yᵢ &gt; 0 ? yᵢ·loᵢ : yᵢ·hiᵢ) + Σ min(rⱼ·xlⱼ, rⱼ·xuⱼ)</c> with <c>r = c − Aᵀy</c>, whatever y is, so neither the
/// solver's tolerances nor a wrong sign convention can make it unsound (only weaker). The recomputation's own rounding
/// is bounded by the usual a-priori sum error (a multiple of the unit round-off times the sum of magnitudes) and
/// subtracted; the caller then widens by its tolerance (the <c>tolerance</c> argument of <see cref="Refine"/>) for the
/// encoding's float64 arithmetic. Every variable of the encoding has finite bounds (<see cref="GraphEncoder"/> refuses
/// others), which the bound needs. A program that does not finish within its budget (iterations or time), or fails,
/// leaves the given bound of its side as it was.
/// </para>
/// </summary>
public static class LpNeuronBounds
{
    /// <summary>
    /// The refined bounds of node <paramref name="node"/> (flat, the node's size): the given bounds of the node (interval
    /// arithmetic intersected with <paramref name="bounds"/>), with neurons <paramref name="neurons"/> (in that order, until
    /// <paramref name="deadline"/>) replaced by the LP's safe bounds widened by <paramref name="tolerance"/>·(1 + |bound|)
    /// where they are tighter. <paramref name="bounds"/> must hold for every input of the box (e.g. CROWN bounds of
    /// the nodes before this one, widened for their own rounding). Each program runs at most
    /// <paramref name="iterationLimit"/> simplex iterations. Never throws for solver or encoding trouble: it then
    /// returns the given bounds with the reason in the work record.
    /// </summary>
    public static (double[] Lower, double[] Upper, LpRefinementWork Work) Refine(ComputationGraph graph, double[] lower, double[] upper,
        IntermediateBounds? bounds, int node, IReadOnlyList<int> neurons, long iterationLimit, double tolerance, Deadline deadline,
        string solverId = "GLOP")
    {
        GraphEncoder.Result enc;
        try { enc = GraphEncoder.Encode(graph, lower, upper, bounds); }
        catch (Exception e) when (e is EncodingNotSupportedException or NonFiniteEncodingException)
        {
            var given = Given(graph, node, bounds);
            return (given.Lower, given.Upper, new LpRefinementWork(0, 0, 0, 0, e.Message));
        }
        var lo = enc.NodeLower[node].ToArray();
        var hi = enc.NodeUpper[node].ToArray();
        // An empty region (contradictory bounds) proves nothing here: its bounds stay as given.
        if (enc.Model.EmptyReason is { } empty) return (lo, hi, new LpRefinementWork(0, 0, 0, 0, "empty region: " + empty));
        var forms = enc.NodeForms[node];
        int solved = 0, unfinished = 0, tightened = 0;
        long iterations = 0;
        try
        {
            using var lp = new ConeProgram(enc.Model, neurons.Select(j => forms[j]), solverId, iterationLimit);
            foreach (int j in neurons)
            {
                if (forms[j].IsConstant) continue;
                for (int side = 0; side < 2; side++)
                {
                    if (deadline.IsPast) return (lo, hi, new LpRefinementWork(solved, unfinished, tightened, iterations, null));
                    double sign = side == 0 ? 1 : -1;     // side 0: min of the form; side 1: min of its negation (−max)
                    var (ok, safe, its) = lp.Minimise(forms[j], sign, deadline);
                    iterations += its;
                    if (!ok) { unfinished++; continue; }
                    solved++;
                    double b = sign * safe;
                    double widened = b - sign * tolerance * (1 + Math.Abs(b));
                    if (side == 0 && widened > lo[j] && widened <= hi[j]) { lo[j] = widened; tightened++; }
                    if (side == 1 && widened < hi[j] && widened >= lo[j]) { hi[j] = widened; tightened++; }
                }
            }
        }
        catch (Exception e) when (e is NonFiniteEncodingException or InvalidOperationException)
        {
            return (lo, hi, new LpRefinementWork(solved, unfinished, tightened, iterations, e.Message));
        }
        return (lo, hi, new LpRefinementWork(solved, unfinished, tightened, iterations, null));
    }

    /// <summary>The bounds given for <paramref name="node"/>, or unbounded ones of its size when none are given.</summary>
    static (double[] Lower, double[] Upper) Given(ComputationGraph graph, int node, IntermediateBounds? bounds)
    {
        if (bounds is not null && bounds.TryGet(node, out var l, out var u)) return (l.ToArray(), u.ToArray());
        long n = graph.Nodes[node].Size;
        return (Enumerable.Repeat(double.NegativeInfinity, (int)n).ToArray(), Enumerable.Repeat(double.PositiveInfinity, (int)n).ToArray());
    }
}
