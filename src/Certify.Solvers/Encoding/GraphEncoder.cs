using Certify.Exact;
using Certify.Graph;
using Certify.Operators;
using TorchSharp;

namespace Certify.Solvers.Encoding;

/// <summary>
/// The encoding would hold a NaN or infinite coefficient, constant or bound (a non-finite weight, or interval bounds
/// that overflow, e.g. on a box with bounds near 1e308). Solvers must never see such numbers (SCIP segfaults or claims
/// infeasibility on them), so the back-ends answer <see cref="ExactStatus.Unknown"/> with this message, never infeasible.
/// </summary>
public sealed class NonFiniteEncodingException(string message) : Exception(message);

/// <summary>
/// Writes a graph restricted to an input box as a <see cref="PiecewiseLinearModel"/>, node by node, with the exact
/// encoding each operator declares (<see cref="OperatorDefinition.ExactEncoder"/>, in its family folder; the encoder
/// sees the node through <see cref="IExactEncodingContext"/>, which this class implements over the model being built).
/// Affine ops become exact linear definitions (see <see cref="AffineProbe"/>), index-only ops and elementwise scalings
/// are substituted without new variables, ReLU (and LeakyRelu and Clip, rewritten through ReLU) become
/// <see cref="ReluConstraint"/>s unless stable, MaxPool windows become <see cref="MaxConstraint"/>s. Ops without an
/// encoding (Sigmoid, Tanh, Mul of two variables, Softmax, …) raise <see cref="EncodingNotSupportedException"/> with
/// their definition's <see cref="OperatorDefinition.NotExactReason"/>.
/// <para>
/// Intermediate bounds: where <see cref="IntermediateBounds"/> are given they are intersected with the encoder's own
/// bounds. The encoder's own bounds are the fallback: plain interval arithmetic through each node's linear expression
/// over the bounds of the variables it refers to (<see cref="LinExpr.Interval"/>), computed layer by layer as the
/// nodes are encoded. They are sound but loose; CROWN bounds from outside make the big-M constants much smaller.
/// </para>
/// </summary>
public sealed class GraphEncoder
{
    readonly ComputationGraph _graph;
    readonly PiecewiseLinearModel _model = new();
    readonly LinExpr[][] _forms;
    readonly double[][] _lo, _hi;
    readonly IntermediateBounds? _external;

    GraphEncoder(ComputationGraph graph, IntermediateBounds? external)
    {
        _graph = graph;
        _external = external;
        _forms = new LinExpr[graph.Nodes.Count][];
        _lo = new double[graph.Nodes.Count][];
        _hi = new double[graph.Nodes.Count][];
    }

    /// <summary>Per-node interval bounds the encoder used (flat per node), after intersection with outside bounds.</summary>
    public sealed record Result(PiecewiseLinearModel Model, double[][] NodeLower, double[][] NodeUpper)
    {
        /// <summary>
        /// Each node's outputs as linear expressions over the model's variables (flat per node): what an optimisation of an
        /// intermediate value takes as its objective (the LP refinement of intermediate bounds, <c>LpNeuronBounds</c>).
        /// </summary>
        public LinExpr[][] NodeForms { get; init; } = Array.Empty<LinExpr[]>();
    }

    /// <summary>Encodes <paramref name="graph"/> on the box [<paramref name="lower"/>, <paramref name="upper"/>] (flat input).</summary>
    /// <exception cref="EncodingNotSupportedException">for an op without a piecewise-linear encoding or an unbounded box.</exception>
    /// <exception cref="NonFiniteEncodingException">when a coefficient, constant or bound of the result would be NaN or
    /// infinite; checked on the whole model before it is returned, so no back-end ever receives one.</exception>
    public static Result Encode(ComputationGraph graph, double[] lower, double[] upper, IntermediateBounds? bounds = null)
    {
        if (lower.Length != graph.InputSize || upper.Length != graph.InputSize)
            throw new ArgumentException($"input box has {lower.Length} values but the network has {graph.InputSize} inputs");
        var g64 = graph.Nodes.Skip(1).Any(n => n.Op.Parameters.Any(p => p.dtype != torch.ScalarType.Float64)) ? graph.To(torch.ScalarType.Float64) : graph;
        var enc = new GraphEncoder(g64, bounds);
        enc.EncodeAll(lower, upper);
        // Before anything reads the model (EmptyReason included: a comparison with an infinite bound can fake emptiness).
        if ((enc.NonFiniteBound() ?? enc._model.NonFiniteReason()) is { } why)
            throw new NonFiniteEncodingException($"not encodable with finite numbers: {why}");
        return new Result(enc._model, enc._lo, enc._hi) { NodeForms = enc._forms };
    }

    void EncodeAll(double[] lower, double[] upper)
    {
        var input = new LinExpr[lower.Length];
        var ins = new int[lower.Length];
        for (int i = 0; i < lower.Length; i++)
        {
            if (!double.IsFinite(lower[i]) || !double.IsFinite(upper[i]))
                throw new EncodingNotSupportedException($"input {i} has an unbounded range [{lower[i]}, {upper[i]}]; exact back-ends need a bounded box");
            if (lower[i] > upper[i]) _model.MarkEmpty($"input {i}: lower bound {lower[i]} exceeds upper bound {upper[i]}");
            ins[i] = _model.AddVariable(lower[i], Math.Max(lower[i], upper[i]), $"x{i}");
            input[i] = LinExpr.Var(ins[i]);
        }
        _model.InputVars = ins;
        SetNode(0, input);
        foreach (var node in _graph.Nodes.Skip(1))
            SetNode(node.Id, EncodeNode(node));
        _model.Output = _forms[_graph.OutputId];
    }

    /// <summary>The first node bound (after intersection with outside bounds) that is NaN or infinite, or null.</summary>
    string? NonFiniteBound()
    {
        for (int id = 0; id < _lo.Length; id++)
            for (int j = 0; j < _lo[id].Length; j++)
                if (!double.IsFinite(_lo[id][j]) || !double.IsFinite(_hi[id][j]))
                    return $"node '{_graph.Nodes[id].Name}'[{j}] has bounds [{_lo[id][j]}, {_hi[id][j]}]";
        return null;
    }

    /// <summary>
    /// The node's expressions from its definition's encoder. An op without a definition (built in code, never
    /// registered) is still encoded when it is affine with one input, as before the registry.
    /// </summary>
    LinExpr[] EncodeNode(Node node)
    {
        var encode = EncoderFor(node, out var why) ?? throw Unsupported(node, why!);
        return encode(new NodeContext(this, node));
    }

    /// <summary>The encoder of the node's operator, or null with the reason it has none.</summary>
    static ExactEncoder? EncoderFor(Node node, out string? why)
    {
        var definition = OperatorRegistry.For(node.Op);
        var encode = definition is null ? (node.Op.IsAffine && node.Op.Arity == 1 ? ExactEncoding.Affine : null) : definition.ExactEncoder;
        why = encode is null ? definition?.NotExactReason ?? NotPiecewiseLinear() : null;
        return encode;
    }

    /// <summary>
    /// Whether the graph can be encoded at all, decided from its operators alone, before any bound is computed: null
    /// when every operator has an exact encoding, otherwise the encoder's message for the first node that has none. The
    /// verifier asks this first: a sigmoid network used to spend about 7 s on CROWN bounds for the big-M constants of a
    /// model the encoder then refused at its first Sigmoid node. (An encoder may still refuse a node for its parameters,
    /// e.g. an Add whose operands broadcast; that is known only when it runs, and costs nothing.)
    /// </summary>
    public static string? FirstUnencodable(ComputationGraph graph)
    {
        foreach (var node in graph.Nodes.Skip(1))
            if (EncoderFor(node, out var why) is null) return Unsupported(node, why!).Message;
        return null;
    }

    /// <summary>The default reason, naming the operators that have an exact encoding ("A, B and C").</summary>
    static string NotPiecewiseLinear()
    {
        var names = OperatorRegistry.Definitions.Where(d => d.ExactEncoder is not null).Select(d => d.Name).ToList();
        var list = names.Count <= 1 ? string.Join("", names) : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];
        return $"it is not piecewise linear; the exact back-ends encode {list}";
    }

    static EncodingNotSupportedException Unsupported(Node node, string why) =>
        new($"node '{node.Name}' ({node.Op.Kind}{(node.Origin.Length > 0 ? ", from " + node.Origin : "")}) cannot be encoded exactly: {why}");

    /// <summary>Stores a node's expressions and their bounds (interval bounds intersected with outside bounds).</summary>
    void SetNode(int id, LinExpr[] forms)
    {
        var lo = new double[forms.Length];
        var hi = new double[forms.Length];
        double[]? el = null, eu = null;
        if (_external is not null && _external.TryGet(id, out var gl, out var gu))
        {
            if (gl.Length != forms.Length)
                throw new ArgumentException($"bounds given for node '{_graph.Nodes[id].Name}' have {gl.Length} values, the node has {forms.Length}");
            (el, eu) = (gl, gu);
        }
        for (int j = 0; j < forms.Length; j++)
        {
            (lo[j], hi[j]) = _model.IntervalOf(forms[j]);
            if (el is null) continue;
            double il = lo[j], iu = hi[j];
            lo[j] = Math.Max(il, el[j]);
            hi[j] = Math.Min(iu, eu![j]);
            if (lo[j] > hi[j])
            {
                _model.MarkEmpty($"node '{_graph.Nodes[id].Name}'[{j}]: bounds are contradictory ({lo[j]} > {hi[j]})");
                hi[j] = lo[j];
            }
            if (lo[j] <= il && hi[j] >= iu) continue;
            // Tighter than interval arithmetic: a plain variable takes them as its bounds, any other expression as a side constraint.
            var f = forms[j];
            if (f.TermCount == 1 && f.Coefs[0] == 1 && f.Constant == 0) _model.TightenVariable(f.Vars[0], lo[j], hi[j]);
            else _model.Ranges.Add((f, lo[j] > il ? lo[j] : double.NegativeInfinity, hi[j] < iu ? hi[j] : double.PositiveInfinity));
        }
        _forms[id] = forms;
        _lo[id] = lo;
        _hi[id] = hi;
    }

    /// <summary>A new variable defined as <paramref name="expr"/>, bounded by the expression's interval.</summary>
    LinExpr Define(LinExpr expr, string name)
    {
        var (l, u) = _model.IntervalOf(expr);
        int v = _model.AddVariable(l, u, name);
        _model.Definitions.Add((v, expr));
        return LinExpr.Var(v);
    }

    /// <summary>
    /// <c>max(x, 0)</c> where x ∈ [l, u] (l, u already include outside bounds). Stable neurons need no constraint,
    /// except that a phase implied only by outside bounds (a branch-and-bound split) is imposed as a side constraint.
    /// </summary>
    LinExpr Relu(LinExpr x, double l, double u, string name)
    {
        var (il, iu) = _model.IntervalOf(x);
        if (u <= 0)
        {
            if (iu > 0) _model.Ranges.Add((x, double.NegativeInfinity, 0));
            return LinExpr.Const(0);
        }
        if (l >= 0)
        {
            if (il < 0) _model.Ranges.Add((x, 0, double.PositiveInfinity));
            return x;
        }
        int v = _model.AddVariable(0, u, name);
        _model.Relus.Add(new ReluConstraint(v, x, l, u));
        return LinExpr.Var(v);
    }

    /// <summary>Max over some elements of node <paramref name="p"/>; elements that can never be the max are dropped.</summary>
    LinExpr Max(int[] window, int p, string name)
    {
        double maxLower = window.Max(i => _lo[p][i]);
        var kept = window.Where(i => _hi[p][i] >= maxLower).ToArray();
        if (kept.Length == 1) return _forms[p][kept[0]];
        int v = _model.AddVariable(maxLower, kept.Max(i => _hi[p][i]), name);
        _model.Maxes.Add(new MaxConstraint(v, kept.Select(i => _forms[p][i]).ToArray(), kept.Select(i => _lo[p][i]).ToArray(), kept.Select(i => _hi[p][i]).ToArray()));
        return LinExpr.Var(v);
    }

    /// <summary>
    /// A single-input affine op through <see cref="AffineProbe"/>: an output that is a constant or one scaled copy of an
    /// input expression of at most one term is substituted; any other output becomes a variable defined by its row.
    /// </summary>
    LinExpr[] Affine(Node node)
    {
        var src = _forms[node.Inputs[0]];
        var probe = AffineProbe.Probe(node.Op, _graph.Nodes[node.Inputs[0]].Shape);
        var outp = new LinExpr[probe.Offset.Length];
        for (int j = 0; j < outp.Length; j++)
        {
            var row = probe.Rows[j];
            if (row.Count == 0) outp[j] = LinExpr.Const(probe.Offset[j]);
            else if (row.Count == 1 && src[row[0].Input].TermCount <= 1) outp[j] = src[row[0].Input].Scale(row[0].Coef, probe.Offset[j]);
            else outp[j] = Define(LinExpr.Combine(row.Select(r => src[r.Input]).ToArray(), row.Select(r => r.Coef).ToArray(), probe.Offset[j]), $"{node.Name}[{j}]");
        }
        return outp;
    }

    /// <summary>The <see cref="IExactEncodingContext"/> of one node: its inputs' expressions and bounds, and this encoder's model.</summary>
    sealed class NodeContext(GraphEncoder e, Node node) : IExactEncodingContext
    {
        public Node Node => node;
        public long[] InputShape(int k) => e._graph.Nodes[node.Inputs[k]].Shape;
        public IReadOnlyList<LinExpr> Input(int k) => e._forms[node.Inputs[k]];
        public double InputLower(int k, int j) => e._lo[node.Inputs[k]][j];
        public double InputUpper(int k, int j) => e._hi[node.Inputs[k]][j];
        public (double Lower, double Upper) Interval(LinExpr x) => e._model.IntervalOf(x);
        public LinExpr Define(LinExpr expr, string name) => e.Define(expr, name);
        public LinExpr Relu(LinExpr x, double l, double u, string name) => e.Relu(x, l, u, name);
        public LinExpr Max(int k, int[] window, string name) => e.Max(window, node.Inputs[k], name);
        public LinExpr[] Affine() => e.Affine(node);
        public string ElementName(int j) => $"{node.Name}[{j}]";
        public EncodingNotSupportedException NotSupported(string why) => Unsupported(node, why);
    }
}
