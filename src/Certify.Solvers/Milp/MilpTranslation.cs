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
        for (int v = 0; v < Vars.Length; v++) Vars[v] = Solver.MakeNumVar(model.Lower[v], model.Upper[v], "v" + v);

        int written = 0;
        void Check()
        {
            if ((++written & 255) == 0 && deadline.IsPast) throw new TimeoutException("the deadline passed while the solver model was being built");
        }
        foreach (var (v, e) in model.Definitions)
        {
            Check();
            // v − Σ cᵢxᵢ = const
            var ct = Solver.MakeConstraint(e.Constant, e.Constant);
            ct.SetCoefficient(Vars[v], 1);
            AddTerms(ct, e, -1);
        }
        foreach (var (e, lo, hi) in model.Ranges)
        {
            Check();
            var ct = Solver.MakeConstraint(lo - e.Constant, hi - e.Constant);
            AddTerms(ct, e, 1);
        }
        foreach (var r in model.Relus)
        {
            Check();
            var z = relax ? Solver.MakeNumVar(0, 1, "") : Solver.MakeBoolVar("");
            var y = Vars[r.Var];
            // y − x ≥ 0
            var c1 = Solver.MakeConstraint(r.Input.Constant, double.PositiveInfinity);
            c1.SetCoefficient(y, 1); AddTerms(c1, r.Input, -1);
            // y − x − l·z ≤ −l  (y ≤ x − l(1 − z))
            var c2 = Solver.MakeConstraint(double.NegativeInfinity, r.Input.Constant - r.Lower);
            c2.SetCoefficient(y, 1); AddTerms(c2, r.Input, -1); c2.SetCoefficient(z, -r.Lower);
            // y − u·z ≤ 0
            var c3 = Solver.MakeConstraint(double.NegativeInfinity, 0);
            c3.SetCoefficient(y, 1); c3.SetCoefficient(z, -r.Upper);
        }
        foreach (var m in model.Maxes)
        {
            Check();
            var y = Vars[m.Var];
            double top = m.Uppers.Max();
            var one = Solver.MakeConstraint(1, 1);
            for (int k = 0; k < m.Inputs.Length; k++)
            {
                var x = m.Inputs[k];
                var z = relax ? Solver.MakeNumVar(0, 1, "") : Solver.MakeBoolVar("");
                one.SetCoefficient(z, 1);
                var ge = Solver.MakeConstraint(x.Constant, double.PositiveInfinity);
                ge.SetCoefficient(y, 1); AddTerms(ge, x, -1);
                double big = top - m.Lowers[k];
                var le = Solver.MakeConstraint(double.NegativeInfinity, x.Constant + big);
                le.SetCoefficient(y, 1); AddTerms(le, x, -1); le.SetCoefficient(z, big);
            }
        }
    }

    static void AddTerms(Constraint ct, LinExpr e, double sign, Variable[] vars)
    {
        for (int k = 0; k < e.Vars.Length; k++) ct.SetCoefficient(vars[e.Vars[k]], sign * e.Coefs[k]);
    }

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
            var ct = Solver.MakeConstraint(double.NegativeInfinity, row.D - margin - e.Constant);
            AddTerms(ct, e, 1);
        }
    }

    /// <summary>Sets the objective to <c>Σ c_k y_k</c> (its constant goes to the offset).</summary>
    public void SetObjective(double[] c, bool maximize)
    {
        var e = OutputCombination(c);
        var obj = Solver.Objective();
        for (int k = 0; k < e.Vars.Length; k++) obj.SetCoefficient(Vars[e.Vars[k]], e.Coefs[k]);
        obj.SetOffset(e.Constant);
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
