using Certify.Exact;
using Certify.Graph;
using Certify.Solvers.Encoding;
using Certify.Spec;
using Google.OrTools.LinearSolver;

namespace Certify.Solvers.Milp;

/// <summary>
/// The LP relaxation of the MILP encoding (binaries relaxed to [0, 1], i.e. the triangle relaxation of each unstable
/// ReLU), solved with GLOP. It contains every real behaviour of the network on the box, so an infeasible disjunct is
/// infeasible for the network too; a feasible LP proves nothing. Usable per branch-and-bound sub-domain: pass the
/// sub-box and the sub-domain's bounds (split neurons as bounds with lower 0 or upper 0).
/// </summary>
public sealed class LpRelaxation
{
    /// <summary>OR-Tools LP solver id; "GLOP" by default.</summary>
    public string SolverId { get; init; } = "GLOP";

    /// <summary>Outcome of <see cref="Check"/> for one sub-domain.</summary>
    public enum LpVerdict { Infeasible, Feasible, Unknown, NotSupported }

    /// <summary>
    /// Decides whether every disjunct of <paramref name="unsafe"/> is infeasible in the relaxation (then the sub-domain
    /// is safe). Returns <see cref="LpVerdict.Feasible"/> with the LP's input point when some disjunct is feasible.
    /// </summary>
    public (LpVerdict Verdict, double[]? X, string Detail) Check(ComputationGraph graph, double[] lower, double[] upper,
        OutputCondition @unsafe, IntermediateBounds? bounds, TimeSpan timeLimit, CancellationToken cancel = default)
    {
        var deadline = Deadline.After(timeLimit, cancel);
        PiecewiseLinearModel model;
        try { model = GraphEncoder.Encode(graph, lower, upper, bounds).Model; }
        catch (EncodingNotSupportedException e) { return (LpVerdict.NotSupported, null, e.Message); }
        catch (NonFiniteEncodingException e) { return (LpVerdict.Unknown, null, e.Message); }
        if (model.EmptyReason is not null) return (LpVerdict.Infeasible, null, "the sub-domain is empty: " + model.EmptyReason);
        for (int k = 0; k < @unsafe.Disjuncts.Count; k++)
        {
            try
            {
                if (deadline.IsPast) return (LpVerdict.Unknown, null, $"time limit reached before disjunct {k + 1}");
                using var lp = new MilpTranslation(model, SolverId, relax: true, deadline);
                lp.AddUnsafeRows(@unsafe.Disjuncts[k], 0);
                var status = lp.Solve(deadline);
                if (status == Solver.ResultStatus.INFEASIBLE) continue;
                if (status is Solver.ResultStatus.OPTIMAL or Solver.ResultStatus.FEASIBLE)
                    return (LpVerdict.Feasible, lp.InputSolution(), $"LP relaxation feasible for disjunct {k + 1}");
                return (LpVerdict.Unknown, null, $"LP solver returned {status} on disjunct {k + 1}");
            }
            catch (TimeoutException)
            {
                return (LpVerdict.Unknown, null, $"time limit reached while building the LP of disjunct {k + 1}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (LpVerdict.Unknown, null, "LP solver failure: " + e.Message);
            }
        }
        return (LpVerdict.Infeasible, null, $"LP relaxation infeasible for all {@unsafe.Disjuncts.Count} disjunct(s)");
    }

    /// <summary>
    /// Minimum (or maximum) of <c>Σ c_k y_k</c> over the relaxation: a bound on the network's true minimum (maximum) on
    /// the box, valid up to the LP solver's tolerances.
    /// </summary>
    public OptimumResult Bound(ComputationGraph graph, double[] lower, double[] upper, double[] c, bool maximize,
                               TimeSpan timeLimit, IntermediateBounds? bounds = null, CancellationToken cancel = default) =>
        MilpBackend.OptimizeModel(graph, lower, upper, c, maximize, Deadline.After(timeLimit, cancel), bounds, SolverId, relax: true);
}
