using Certify.Exact;
using Certify.Solvers.Encoding;
using Google.OrTools.LinearSolver;

namespace Certify.Solvers.Milp;

/// <summary>
/// The LP relaxation of the part of a <see cref="PiecewiseLinearModel"/> that some objectives depend on (their cone of
/// influence: the variables they name, the definitions of those variables, and so on back to the inputs), in one
/// OR-Tools LP solver that is re-solved per objective (GLOP keeps its basis when only the objective changes, so each
/// neuron after the first starts from the previous optimum). Dropping the rest of the model is a relaxation (later
/// layers and their side constraints cannot restrict earlier values more than the cone's own constraints do for the
/// real network), so any bound of the cone holds for the whole model. Rows are kept beside the solver so that each
/// optimum's safe bound can be recomputed from the duals (<see cref="LpNeuronBounds"/>).
/// <para>
/// Each unstable ReLU is its triangle: <c>y ≥ 0</c> (its variable's lower bound), <c>y ≥ x</c> and
/// <c>y ≤ u·(x − l)/(u − l)</c>, the projection of the big-M encoding's LP relaxation without its binary. A max group keeps
/// only <c>y ≥ xₖ</c> and the variable's bounds (a weaker but valid relaxation; MaxPool networks are not the target).
/// </para>
/// </summary>
internal sealed class ConeProgram : IDisposable
{
    /// <summary>One row <c>Lo ≤ Σ Coefs·x[Vars] ≤ Hi</c> over local variable indices, with its solver constraint.</summary>
    sealed record Row(int[] Vars, double[] Coefs, double Lo, double Hi, Constraint Constraint);

    readonly Solver _solver;
    readonly Dictionary<int, int> _local = new();       // model variable → local index
    readonly List<Variable> _vars = new();
    readonly List<double> _xl = new(), _xu = new();
    readonly List<Row> _rows = new();
    readonly int[] _columnTerms;                         // rows naming each local variable (for the error bound)

    public ConeProgram(PiecewiseLinearModel model, IEnumerable<LinExpr> objectives, string solverId, long iterationLimit)
    {
        _solver = Solver.CreateSolver(solverId) ?? throw new InvalidOperationException($"OR-Tools solver '{solverId}' is not available");
        if (iterationLimit > 0) _solver.SetSolverSpecificParametersAsString($"max_number_of_iterations: {iterationLimit}");
        var defined = new Dictionary<int, List<Action>>();
        void Definer(int v, Action a) { if (!defined.TryGetValue(v, out var l)) defined[v] = l = new(); l.Add(a); }
        foreach (var (v, e) in model.Definitions)
            Definer(v, () => AddRow(e.Scale(-1), e.Constant, e.Constant, v, 1));   // v − Σ c·x = const
        foreach (var r in model.Relus)
            Definer(r.Var, () => AddRelu(r));
        foreach (var m in model.Maxes)
            Definer(m.Var, () => { foreach (var x in m.Inputs) AddRow(x.Scale(-1), x.Constant, double.PositiveInfinity, m.Var, 1); });
        var sources = new Dictionary<int, List<int>>();
        void Reads(int k, IEnumerable<int> src) { if (!sources.TryGetValue(k, out var l)) sources[k] = l = new(); l.AddRange(src); }
        foreach (var (d, e) in model.Definitions) Reads(d, e.Vars);
        foreach (var r in model.Relus) Reads(r.Var, r.Input.Vars);
        foreach (var m in model.Maxes) Reads(m.Var, m.Inputs.SelectMany(x => x.Vars));
        // The cone: breadth first from the objectives' variables through every definition met.
        var queue = new Queue<int>();
        void Visit(int v) { if (_local.ContainsKey(v)) return; _local[v] = _vars.Count; _vars.Add(_solver.MakeNumVar(Finite(model.Lower[v]), Finite(model.Upper[v]), "")); _xl.Add(model.Lower[v]); _xu.Add(model.Upper[v]); queue.Enqueue(v); }
        foreach (var o in objectives) foreach (var v in o.Vars) Visit(v);
        var pending = new List<Action>();
        while (queue.Count > 0)
        {
            int v = queue.Dequeue();
            if (!defined.TryGetValue(v, out var acts)) continue;
            foreach (var a in acts) pending.Add(a);
            if (sources.TryGetValue(v, out var src)) foreach (var s in src) Visit(s);
        }
        foreach (var a in pending) a();
        // Side constraints (bounds given from outside on expressions) whose variables all lie in the cone.
        foreach (var (e, lo, hi) in model.Ranges)
            if (e.Vars.All(_local.ContainsKey)) AddRow(e, lo - e.Constant, hi - e.Constant, -1, 0);
        _columnTerms = new int[_vars.Count];
        foreach (var row in _rows) foreach (var v in row.Vars) _columnTerms[v]++;
    }

    /// <summary>Adds <c>lo ≤ scale·x[extra] + e ≤ hi</c> (e without its constant; <paramref name="extra"/> −1 for none).</summary>
    void AddRow(LinExpr e, double lo, double hi, int extra, double scale)
    {
        var vars = new List<int>(); var coefs = new List<double>();
        if (extra >= 0) { vars.Add(_local[extra]); coefs.Add(scale); }
        for (int k = 0; k < e.Vars.Length; k++) { vars.Add(_local[e.Vars[k]]); coefs.Add(e.Coefs[k]); }
        if (double.IsNaN(lo) || double.IsNaN(hi) || double.IsPositiveInfinity(lo) || double.IsNegativeInfinity(hi))
            throw new NonFiniteEncodingException($"LP refinement: a row's bounds [{lo}, {hi}] are not finite");
        var ct = _solver.MakeConstraint(lo, hi);
        for (int k = 0; k < vars.Count; k++) ct.SetCoefficient(_vars[vars[k]], Finite(coefs[k]));
        _rows.Add(new Row(vars.ToArray(), coefs.ToArray(), lo, hi, ct));
    }

    /// <summary>The triangle of one unstable ReLU <c>y = max(x, 0)</c>, x ∈ [l, u], l &lt; 0 &lt; u.</summary>
    void AddRelu(ReluConstraint r)
    {
        var x = r.Input;
        // y − x ≥ x.const
        AddRow(x.Scale(-1), x.Constant, double.PositiveInfinity, r.Var, 1);
        // y ≤ s·(x − l), s = u/(u − l):  y − s·x ≤ s·(x.const − l)
        double s = r.Upper / (r.Upper - r.Lower);
        AddRow(x.Scale(-s), double.NegativeInfinity, s * (x.Constant - r.Lower), r.Var, 1);
    }

    static double Finite(double v) => double.IsFinite(v) ? v : throw new NonFiniteEncodingException($"LP refinement: a number is {v}");

    /// <summary>
    /// Minimises <c>sign·objective</c> over the relaxation until <paramref name="deadline"/>; returns whether it reached
    /// optimality, the safe lower bound of <c>sign·objective</c> from the duals, and the simplex iterations used.
    /// </summary>
    public (bool Optimal, double SafeBound, long Iterations) Minimise(LinExpr objective, double sign, Deadline deadline)
    {
        var obj = _solver.Objective();
        obj.Clear();
        var c = new double[_vars.Count];
        for (int k = 0; k < objective.Vars.Length; k++) c[_local[objective.Vars[k]]] += sign * objective.Coefs[k];
        for (int v = 0; v < c.Length; v++) if (c[v] != 0) obj.SetCoefficient(_vars[v], c[v]);
        obj.SetMinimization();
        if (deadline.HasTimeLimit) _solver.SetTimeLimit(deadline.RemainingMilliseconds());
        var status = _solver.Solve();
        long its = _solver.Iterations();
        if (status != Solver.ResultStatus.OPTIMAL) return (false, double.NaN, its);
        double bound = SafeBound(c, sign * objective.Constant);
        return (double.IsFinite(bound), bound, its);
    }

    /// <summary>
    /// Weak duality with the solver's row duals (see <see cref="LpNeuronBounds"/>): a lower bound of
    /// <c>c·x + c0</c> over the rows and variable bounds that holds for any multipliers, minus a bound on the rounding of
    /// its own float64 sums: each sum of N terms is off by at most about N·2⁻⁵³ times the sum of their magnitudes, and
    /// (N + 2)·1.2e-16 is used for every N.
    /// </summary>
    double SafeBound(double[] c, double c0)
    {
        var r = (double[])c.Clone();
        var rMag = c.Select(Math.Abs).ToArray();
        double bound = c0, mag = Math.Abs(c0);
        foreach (var row in _rows)
        {
            double y = row.Constraint.DualValue();
            // A multiplier may only lean on a finite side: lower for y > 0, upper for y < 0.
            if (!double.IsFinite(y) || (y > 0 && !double.IsFinite(row.Lo)) || (y < 0 && !double.IsFinite(row.Hi))) y = 0;
            if (y == 0) continue;
            double t = y > 0 ? y * row.Lo : y * row.Hi;
            bound += t; mag += Math.Abs(t);
            for (int k = 0; k < row.Vars.Length; k++)
            {
                r[row.Vars[k]] -= y * row.Coefs[k];
                rMag[row.Vars[k]] += Math.Abs(y * row.Coefs[k]);
            }
        }
        double n = _rows.Count + _vars.Count + 2;
        double rError = 0;
        for (int v = 0; v < r.Length; v++)
        {
            double t = r[v] > 0 ? r[v] * _xl[v] : r[v] * _xu[v];
            bound += t; mag += Math.Abs(t);
            rError += (_columnTerms[v] + 2) * 1.2e-16 * rMag[v] * Math.Max(Math.Abs(_xl[v]), Math.Abs(_xu[v]));
        }
        return bound - n * 1.2e-16 * mag - rError;
    }

    public void Dispose() => _solver.Dispose();
}
