using Certify.Exact;
using Certify.Graph;
using Certify.Solvers.Encoding;
using Google.OrTools.LinearSolver;

namespace Certify.Solvers.Milp;

/// <summary>Result of an optimisation over the region: the value reached, the solver's proven bound and the input.</summary>
/// <param name="Status">Optimal, time-out (value/bound may still be set), infeasible region, unknown or not supported.</param>
/// <param name="Value">Objective of the best solution found (NaN without one).</param>
/// <param name="Bound">The solver's proven bound on the objective (for maximisation an upper bound; NaN without one).</param>
/// <param name="X">Input of the best solution, or null.</param>
/// <param name="Detail">Solver status text.</param>
public sealed record OptimumResult(OptimumStatus Status, double Value, double Bound, double[]? X, string Detail);

/// <summary>How an optimisation ended.</summary>
public enum OptimumStatus { Optimal, Timeout, Infeasible, Unknown, NotSupported }

/// <summary>
/// Exact verification by mixed-integer linear programming with SCIP through Google OR-Tools. The graph on the box is
/// written by <see cref="GraphEncoder"/> (interval-arithmetic intermediate bounds unless better ones are supplied) and
/// translated with big-M ReLU and max-pool encodings (<see cref="MilpTranslation"/>). Each unsafe disjunct is one
/// feasibility MILP: all infeasible proves the box safe; a feasible one yields a candidate input.
/// </summary>
public sealed class MilpBackend : IExactBackend
{
    /// <summary>OR-Tools solver id; "SCIP" by default.</summary>
    public string SolverId { get; init; } = "SCIP";

    public string Name => $"MILP ({SolverId})";

    /// <summary>
    /// Largest big-M constant (neuron bound magnitude) accepted. Beyond it the solver's 1e-6 integrality and
    /// feasibility tolerances can move a ReLU output by more than the property's slack, so the query is refused as
    /// unknown rather than risk a wrong infeasibility claim; tighter intermediate bounds (CROWN) bring it down.
    /// </summary>
    public double MaxBigM { get; init; } = 1e6;

    /// <summary>
    /// Encoding speed assumed when deciding whether a query can start (<see cref="EncodingWork"/> units per second). The
    /// encoder cannot be interrupted, so a query whose estimated encoding time exceeds the time left is not started:
    /// cifar_wide_kw (oval21, 2.5e7 units) took 4.8 s to encode on a loaded 2-core machine, mnist_relu_9_200 (eran,
    /// 1.7e6) 2.4 s; the default is set low (conservative) so that big networks are not started with seconds left.
    /// </summary>
    public double EncodingWorkPerSecond { get; init; } = 2e6;

    /// <summary>
    /// A size estimate of the encoding work: the sum over affine nodes of input size × output size (the encoder probes
    /// each affine op with one unit vector per input and reads every output), plus the square of each ReLU layer's
    /// size, plus a constant for the fixed cost (a float64 copy of the graph, first-call compilation of the encoder).
    /// </summary>
    public static double EncodingWork(ComputationGraph graph) => 1e6 +
        graph.Nodes.Skip(1).Sum(n => n.Op.IsAffine && n.Op.Arity == 1 ? (double)graph.Nodes[n.Inputs[0]].Size * n.Size
            : n.Op is Certify.Operators.ReluOp ? (double)n.Size * n.Size : 0);

    /// <summary>The encoding time <see cref="EncodingWorkPerSecond"/> predicts for <paramref name="graph"/>.</summary>
    public TimeSpan EstimatedEncodingTime(ComputationGraph graph) =>
        TimeSpan.FromSeconds(Math.Min(1e9, EncodingWork(graph) / Math.Max(1e-9, EncodingWorkPerSecond)));

    /// <inheritdoc/>
    /// <remarks>The estimated encoding time (<see cref="EstimatedEncodingTime"/>): the query is not started with less left.</remarks>
    public TimeSpan SetupTime(ComputationGraph graph) => EstimatedEncodingTime(graph);

    /// <summary>Why the model's big-M constants are too large, or null when they are fine.</summary>
    internal static string? BigMTrouble(PiecewiseLinearModel model, double maxBigM)
    {
        double worst = 0;
        foreach (var r in model.Relus) worst = Math.Max(worst, Math.Max(-r.Lower, r.Upper));
        foreach (var m in model.Maxes) worst = Math.Max(worst, m.Uppers.Max() - m.Lowers.Min());
        // Written so that a NaN (which GraphEncoder already refuses) would count as trouble too.
        return !(worst <= maxBigM) ? $"big-M constants up to {worst:G3} exceed {maxBigM:G3}; numerically unsafe without tighter intermediate bounds" : null;
    }

    /// <inheritdoc/>
    public ExactOutcome FindViolation(ComputationGraph graph, ExactQuery query, Deadline deadline)
    {
        if (deadline.IsPast) return ExactOutcome.Timeout($"{Name}: time limit reached before the model was encoded");
        // Encoding checks no deadline (it is one uninterruptible call): do not start it when it would not end in time.
        if (deadline.HasTimeLimit && EstimatedEncodingTime(graph) is var needed && deadline.Remaining < needed)
            return ExactOutcome.Timeout($"{Name}: encoding this network takes about {needed.TotalSeconds:F1} s; {deadline.Remaining.TotalSeconds:F1} s left");
        PiecewiseLinearModel model;
        try { model = GraphEncoder.Encode(graph, query.Lower, query.Upper, query.Bounds).Model; }
        catch (EncodingNotSupportedException e) { return ExactOutcome.NotSupported(e.Message); }
        catch (NonFiniteEncodingException e) { return ExactOutcome.Unknown($"{Name}: {e.Message}"); }
        if (model.EmptyReason is not null) return ExactOutcome.Infeasible($"the region is empty: {model.EmptyReason}");
        if (BigMTrouble(model, MaxBigM) is { } trouble) return ExactOutcome.Unknown($"{Name}: {trouble}");

        var disjuncts = query.Unsafe.Disjuncts;
        for (int k = 0; k < disjuncts.Count; k++)
        {
            if (deadline.IsPast) return ExactOutcome.Timeout($"{Name}: time limit reached before disjunct {k + 1} of {disjuncts.Count}");
            try
            {
                using var milp = new MilpTranslation(model, SolverId, relax: false, deadline);
                milp.AddUnsafeRows(disjuncts[k], query.RequiredMargin);
                var status = milp.Solve(deadline);
                switch (status)
                {
                    case Solver.ResultStatus.INFEASIBLE: continue;
                    case Solver.ResultStatus.OPTIMAL or Solver.ResultStatus.FEASIBLE:
                        return new ExactOutcome(ExactStatus.Candidate, milp.InputSolution(), k, $"{Name}: feasible assignment for disjunct {k + 1}");
                    case Solver.ResultStatus.NOT_SOLVED or Solver.ResultStatus.ABNORMAL when deadline.IsPast:
                        return ExactOutcome.Timeout($"{Name}: time limit reached on disjunct {k + 1} of {disjuncts.Count}");
                    default:
                        return ExactOutcome.Unknown($"{Name}: solver returned {status} on disjunct {k + 1}");
                }
            }
            catch (NonFiniteEncodingException e)
            {
                return ExactOutcome.Unknown($"{Name}: disjunct {k + 1}: {e.Message}");
            }
            catch (TimeoutException)
            {
                return ExactOutcome.Timeout($"{Name}: time limit reached while building the model of disjunct {k + 1} of {disjuncts.Count}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return ExactOutcome.Unknown($"{Name}: solver failure on disjunct {k + 1}: {e.Message}");
            }
        }
        return ExactOutcome.Infeasible($"{Name}: all {disjuncts.Count} unsafe disjunct(s) infeasible ({model})");
    }

    /// <summary>
    /// Maximises (or minimises) <c>Σ c_k y_k</c> over the box: the exact optimum when it finishes in time, otherwise the
    /// best value found and the solver's proven bound.
    /// </summary>
    public OptimumResult Optimize(ComputationGraph graph, double[] lower, double[] upper, double[] c, bool maximize,
                                  TimeSpan timeLimit, IntermediateBounds? bounds = null, CancellationToken cancel = default) =>
        OptimizeModel(graph, lower, upper, c, maximize, Deadline.After(timeLimit, cancel), bounds, SolverId, relax: false);

    internal static OptimumResult OptimizeModel(ComputationGraph graph, double[] lower, double[] upper, double[] c, bool maximize,
                                                Deadline deadline, IntermediateBounds? bounds, string solverId, bool relax)
    {
        PiecewiseLinearModel model;
        try { model = GraphEncoder.Encode(graph, lower, upper, bounds).Model; }
        catch (EncodingNotSupportedException e) { return new OptimumResult(OptimumStatus.NotSupported, double.NaN, double.NaN, null, e.Message); }
        catch (NonFiniteEncodingException e) { return new OptimumResult(OptimumStatus.Unknown, double.NaN, double.NaN, null, e.Message); }
        if (model.EmptyReason is not null) return new OptimumResult(OptimumStatus.Infeasible, double.NaN, double.NaN, null, model.EmptyReason);
        try
        {
            using var milp = new MilpTranslation(model, solverId, relax, deadline);
            milp.SetObjective(c, maximize);
            var status = milp.Solve(deadline);
            var obj = milp.Solver.Objective();
            return status switch
            {
                Solver.ResultStatus.OPTIMAL => new OptimumResult(OptimumStatus.Optimal, obj.Value(), relax ? obj.Value() : obj.BestBound(), milp.InputSolution(), "optimal"),
                Solver.ResultStatus.FEASIBLE => new OptimumResult(OptimumStatus.Timeout, obj.Value(), obj.BestBound(), milp.InputSolution(), "stopped with a feasible solution"),
                Solver.ResultStatus.INFEASIBLE => new OptimumResult(OptimumStatus.Infeasible, double.NaN, double.NaN, null, "infeasible"),
                Solver.ResultStatus.NOT_SOLVED => new OptimumResult(OptimumStatus.Timeout, double.NaN, double.NaN, null, "stopped without a solution"),
                _ => new OptimumResult(OptimumStatus.Unknown, double.NaN, double.NaN, null, status.ToString()),
            };
        }
        catch (TimeoutException)
        {
            return new OptimumResult(OptimumStatus.Timeout, double.NaN, double.NaN, null, "stopped while building the model");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new OptimumResult(OptimumStatus.Unknown, double.NaN, double.NaN, null, "solver failure: " + e.Message);
        }
    }
}
