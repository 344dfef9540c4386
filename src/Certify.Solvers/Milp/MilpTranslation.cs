using Certify.Exact;
using Certify.Solvers.Encoding;
using Google.OrTools.LinearSolver;
using Certify.Spec;

namespace Certify.Solvers.Milp;

/// <summary>
/// Writes a <see cref="PiecewiseLinearModel"/> into an OR-Tools linear solver. Unstable ReLUs use the big-M form with
/// the neuron's bounds <c>[l, u]</c> and one binary z (z = 1: active):
/// <c>y ≥ 0, y ≥ x, y ≤ x − l·(1 − z), y ≤ u·z</c>; max groups use one binary per element with <c>Σ z = 1</c>,
/// <c>y ≥ xₖ</c> and <c>y ≤ xₖ + (U − lₖ)(1 − zₖ)</c> where U is the largest upper bound. With
/// <c>relax</c> every binary becomes continuous in [0, 1], which gives the LP (triangle) relaxation.
/// </summary>
internal sealed class MilpTranslation : IDisposable
{
    public Solver Solver { get; }
    public Variable[] Vars { get; }
    readonly PiecewiseLinearModel _model;

    /// <summary>
    /// Writes <paramref name="model"/> into a new solver. Building a large model takes seconds (a ResNet has tens of
    /// thousands of neurons): past <paramref name="deadline"/> it stops with a <see cref="TimeoutException"/>.
    /// </summary>
    public MilpTranslation(PiecewiseLinearModel model, string solverId, bool relax, Deadline deadline = default)
    {
        _model = model;
        Solver = Solver.CreateSolver(solverId) ?? throw new InvalidOperationException($"OR-Tools solver '{solverId}' is not available");
        Vars = new Variable[model.VariableCount];
        for (int v = 0; v < Vars.Length; v++) Vars[v] = Solver.MakeNumVar(Finite(model.Lower[v], "a variable bound"), Finite(model.Upper[v], "a variable bound"), "v" + v);

        int written = 0;
        void Check()
        {
            if ((++written & 255) == 0 && deadline.IsPast) throw new TimeoutException("the deadline passed while the solver model was being built");
        }
        foreach (var (v, e) in model.Definitions)
        {
            Check();
            // v − Σ cᵢxᵢ = const
            var ct = Row(e.Constant, e.Constant);
            Coef(ct, Vars[v], 1);
            AddTerms(ct, e, -1);
        }
        foreach (var (e, lo, hi) in model.Ranges)
        {
            Check();
            var ct = Row(lo - e.Constant, hi - e.Constant);
            AddTerms(ct, e, 1);
        }
        foreach (var r in model.Relus)
        {
            Check();
            var z = relax ? Solver.MakeNumVar(0, 1, "") : Solver.MakeBoolVar("");
            var y = Vars[r.Var];
            // y − x ≥ 0
            var c1 = Row(r.Input.Constant, double.PositiveInfinity);
            Coef(c1, y, 1); AddTerms(c1, r.Input, -1);
            // y − x − l·z ≤ −l  (y ≤ x − l(1 − z))
            var c2 = Row(double.NegativeInfinity, r.Input.Constant - r.Lower);
            Coef(c2, y, 1); AddTerms(c2, r.Input, -1); Coef(c2, z, -r.Lower);
            // y − u·z ≤ 0
            var c3 = Row(double.NegativeInfinity, 0);
            Coef(c3, y, 1); Coef(c3, z, -r.Upper);
        }
        foreach (var m in model.Maxes)
        {
            Check();
            var y = Vars[m.Var];
            double top = m.Uppers.Max();
            var one = Row(1, 1);
            for (int k = 0; k < m.Inputs.Length; k++)
            {
                var x = m.Inputs[k];
                var z = relax ? Solver.MakeNumVar(0, 1, "") : Solver.MakeBoolVar("");
                Coef(one, z, 1);
                var ge = Row(x.Constant, double.PositiveInfinity);
                Coef(ge, y, 1); AddTerms(ge, x, -1);
                double big = top - m.Lowers[k];
                var le = Row(double.NegativeInfinity, x.Constant + big);
                Coef(le, y, 1); AddTerms(le, x, -1); Coef(le, z, big);
            }
        }
    }

    static void AddTerms(Constraint ct, LinExpr e, double sign, Variable[] vars)
    {
        for (int k = 0; k < e.Vars.Length; k++) Coef(ct, vars[e.Vars[k]], sign * e.Coefs[k]);
    }

    // Every number handed to OR-Tools passes one of these three: a NaN or infinite coefficient (or big-M constant, or a
    // right-hand side that overflowed) makes SCIP crash or claim infeasibility, so it is refused before the solver sees it
    // (the back-ends answer unknown). GraphEncoder already refuses such models; this covers the unsafe rows and the
    // arithmetic done here (x.Constant + big, row.D − margin − constant).

    static void Coef(Constraint ct, Variable v, double c) => ct.SetCoefficient(v, Finite(c, "a coefficient"));

    static void Coef(Objective o, Variable v, double c) => o.SetCoefficient(v, Finite(c, "an objective coefficient"));

    /// <summary>A constraint <c>lo ≤ · ≤ hi</c>; one side may be infinite (one-sided), neither may be NaN or infinite the wrong way.</summary>
    Constraint Row(double lo, double hi)
    {
        if (double.IsNaN(lo) || double.IsNaN(hi) || double.IsPositiveInfinity(lo) || double.IsNegativeInfinity(hi))
            throw new NonFiniteEncodingException($"MILP translation: a constraint's bounds [{lo}, {hi}] are not finite");
        return Solver.MakeConstraint(lo, hi);
    }

    static double Finite(double v, string what) =>
        double.IsFinite(v) ? v : throw new NonFiniteEncodingException($"MILP translation: {what} is {v}");

    void AddTerms(Constraint ct, LinExpr e, double sign) => AddTerms(ct, e, sign, Vars);

    /// <summary>The output combination <c>Σ c_k · y_k</c> as one expression over the model's variables.</summary>
    public LinExpr OutputCombination(double[] c)
    {
        if (c.Length != _model.Output.Length) throw new ArgumentException($"{c.Length} output coefficients for {_model.Output.Length} outputs");
        return LinExpr.Combine(_model.Output, c, 0);
    }

    /// <summary>Adds every row of <paramref name="conj"/> as <c>C·y ≤ D − margin</c>.</summary>
    public void AddUnsafeRows(Conjunction conj, double margin)
    {
        foreach (var row in conj.Rows)
        {
            var e = OutputCombination(row.C);
            var ct = Row(double.NegativeInfinity, row.D - margin - e.Constant);
            AddTerms(ct, e, 1);
        }
    }

    /// <summary>Sets the objective to <c>Σ c_k y_k</c> (its constant goes to the offset).</summary>
    public void SetObjective(double[] c, bool maximize)
    {
        var e = OutputCombination(c);
        var obj = Solver.Objective();
        for (int k = 0; k < e.Vars.Length; k++) Coef(obj, Vars[e.Vars[k]], e.Coefs[k]);
        obj.SetOffset(Finite(e.Constant, "the objective offset"));
        if (maximize) obj.SetMaximization(); else obj.SetMinimization();
    }

    /// <summary>
    /// Solves until <paramref name="deadline"/>: the solver's own limit is the time remaining now (not when the caller
    /// started, so model building is not counted twice), and a timer interrupts it at the deadline in case the solver
    /// overruns its limit (SCIP checks it only between its own steps); a cancellation interrupts it as well.
    /// Already past the deadline, it does not start and returns NOT_SOLVED.
    /// </summary>
    public Solver.ResultStatus Solve(Deadline deadline)
    {
        if (deadline.IsPast) return Solver.ResultStatus.NOT_SOLVED;
        Solver.SetTimeLimit(deadline.RemainingMilliseconds());
        var gate = new object();
        bool solving = true;
        void Interrupt() { lock (gate) if (solving) Solver.InterruptSolve(); }   // never on a solver that has returned (and may be disposed)
        using var reg = deadline.Cancellation.Register(Interrupt);
        using var timer = deadline.HasTimeLimit
            ? new Timer(_ => Interrupt(), null, deadline.RemainingMilliseconds() + InterruptGraceMilliseconds, Timeout.Infinite)
            : null;
        try { return Solver.Solve(); }
        finally { lock (gate) solving = false; }
    }

    /// <summary>How long after the deadline the timer interrupts a solver that has not stopped by its own limit.</summary>
    const long InterruptGraceMilliseconds = 250;

    /// <summary>The input part of the current solution.</summary>
    public double[] InputSolution() => _model.InputVars.Select(v => Vars[v].SolutionValue()).ToArray();

    public void Dispose() => Solver.Dispose();
}
