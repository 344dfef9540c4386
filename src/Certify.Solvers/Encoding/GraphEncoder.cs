using Certify.Graph;
using Certify.Operators;
using TorchSharp;

namespace Certify.Solvers.Encoding;

/// <summary>An op or configuration that the exact back-ends cannot encode; the message names the node and the op.</summary>
public sealed class EncodingNotSupportedException(string message) : Exception(message);

/// <summary>
/// The encoding would hold a NaN or infinite coefficient, constant or bound (a non-finite weight, or interval bounds
/// that overflow, e.g. on a box with bounds near 1e308). Solvers must never see such numbers (SCIP segfaults or claims
/// infeasibility on them), so the back-ends answer <see cref="ExactStatus.Unknown"/> with this message, never infeasible.
/// </summary>
public sealed class NonFiniteEncodingException(string message) : Exception(message);

/// <summary>
/// Writes a graph restricted to an input box as a <see cref="PiecewiseLinearModel"/>. Affine ops become exact linear
/// definitions (see <see cref="AffineProbe"/>), index-only ops and elementwise scalings are substituted without new
/// variables, ReLU (and LeakyRelu and Clip, rewritten through ReLU) become <see cref="ReluConstraint"/>s unless stable,
/// MaxPool windows become <see cref="MaxConstraint"/>s. Nonlinear ops without a piecewise-linear form (Sigmoid, Tanh,
/// Mul of two variables, Softmax, …) raise <see cref="EncodingNotSupportedException"/>.
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
    public sealed record Result(PiecewiseLinearModel Model, double[][] NodeLower, double[][] NodeUpper);

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
        return new Result(enc._model, enc._lo, enc._hi);
    }

    void EncodeAll(double[] lower, double[] upper)
    {
        var input = new LinExpr[lower.Length];
        var ins = new int[lower.Length];
        for (int i = 0; i < lower.Length; i++)
        {
            if (!double.IsFinite(lower[i]) || !double.IsFinite(upper[i]))
                throw new EncodingNotSupportedException($"input {i} has an unbounded range [{lower[i]}, {upper[i]}]; exact back-ends need a bounded box");
            if (lower[i] > upper[i]) _model.EmptyReason ??= $"input {i}: lower bound {lower[i]} exceeds upper bound {upper[i]}";
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

    LinExpr[] EncodeNode(Node node)
    {
        var op = node.Op;
        switch (op)
        {
            case AddOp:
            {
                var a = _forms[node.Inputs[0]]; var b = _forms[node.Inputs[1]];
                if (a.Length != node.Size || b.Length != node.Size)
                    throw Unsupported(node, $"operands of sizes {a.Length} and {b.Length} broadcast; only equal shapes are encoded");
                return a.Select((e, j) => e + b[j]).ToArray();
            }
            case ConcatOp c: return Concat(node, c.Axis);
            case ReluOp: return Elementwise(node, (x, l, u, name) => Relu(x, l, u, name));
            case LeakyReluOp lr:
                // leaky(x) = α·x + (1 − α)·relu(x), for any α.
                return Elementwise(node, (x, l, u, name) =>
                    LinExpr.Combine(new[] { x, Relu(x, l, u, name) }, new[] { lr.Alpha, 1 - lr.Alpha }, 0));
            case ClipOp cl: return Elementwise(node, (x, l, u, name) => Clip(x, l, u, cl.Min, cl.Max, name));
            case MaxPoolOp mp: return MaxPool(node, mp);
            case InputOp: throw Unsupported(node, "a second input node");
            default:
                if (op.IsAffine && op.Arity == 1) return Affine(node);
                throw Unsupported(node, "it is not piecewise linear; the exact back-ends encode Linear, Conv, ConvTranspose, Affine, Add, " +
                                        "Reshape, Transpose, Slice, Gather, Concat, Pad, AvgPool, Reduce, Relu, LeakyRelu, Clip and MaxPool");
        }
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
                _model.EmptyReason ??= $"node '{_graph.Nodes[id].Name}'[{j}]: bounds are contradictory ({lo[j]} > {hi[j]})";
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

    LinExpr[] Concat(Node node, int axis)
    {
        if (axis < 0) axis += node.Shape.Length;
        long outer = node.Shape.Take(axis).Aggregate(1L, (a, b) => a * b);
        long inner = node.Shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var outp = new LinExpr[node.Size];
        long offset = 0, total = node.Shape[axis];
        foreach (var k in node.Inputs)
        {
            long len = _graph.Nodes[k].Shape[axis];
            var src = _forms[k];
            for (long o = 0; o < outer; o++)
                for (long a = 0; a < len; a++)
                    for (long i = 0; i < inner; i++)
                        outp[(o * total + offset + a) * inner + i] = src[(o * len + a) * inner + i];
            offset += len;
        }
        return outp;
    }

    LinExpr[] Elementwise(Node node, Func<LinExpr, double, double, string, LinExpr> f)
    {
        int p = node.Inputs[0];
        var src = _forms[p];
        return src.Select((x, j) => f(x, _lo[p][j], _hi[p][j], $"{node.Name}[{j}]")).ToArray();
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

    /// <summary><c>clip(x, lo, hi) = lo + relu(x − lo) − relu(x − hi)</c> (one ReLU per finite limit).</summary>
    LinExpr Clip(LinExpr x, double l, double u, double min, double max, string name)
    {
        bool hasMin = !double.IsNegativeInfinity(min), hasMax = !double.IsPositiveInfinity(max);
        if (hasMin && hasMax && min > max) throw new EncodingNotSupportedException($"'{name}': Clip with min {min} > max {max}");
        var y = x;
        if (hasMin) y = Relu(x.Scale(1, -min), l - min, u - min, name + ".lo").Scale(1, min);
        if (hasMax)
        {
            var over = Relu(x.Scale(1, -max), l - max, u - max, name + ".hi");
            y = y - over;
        }
        return y;
    }

    LinExpr[] MaxPool(Node node, MaxPoolOp mp)
    {
        int p = node.Inputs[0];
        var inShape = _graph.Nodes[p].Shape;
        bool oneD = mp.Kernel.Length == 1;
        if (mp.Kernel.Length > 2) throw Unsupported(node, $"{mp.Kernel.Length} spatial dimensions");
        long C = inShape[0], H = oneD ? 1 : inShape[1], W = inShape[^1];
        long OH = oneD ? 1 : node.Shape[1], OW = node.Shape[^1];
        long kh = oneD ? 1 : mp.Kernel[0], kw = mp.Kernel[^1];
        long sh = oneD ? 1 : mp.Strides[0], sw = mp.Strides[^1];
        long ph = oneD ? 0 : mp.Pads[0], pw = mp.Pads[oneD ? 0 : 1];
        long dh = oneD ? 1 : mp.Dilations[0], dw = mp.Dilations[^1];
        var src = _forms[p];
        var outp = new LinExpr[node.Size];
        for (long c = 0; c < C; c++)
            for (long oh = 0; oh < OH; oh++)
                for (long ow = 0; ow < OW; ow++)
                {
                    var window = new List<long>();
                    for (long a = 0; a < kh; a++)
                        for (long b = 0; b < kw; b++)
                        {
                            long ih = oh * sh - ph + a * dh, iw = ow * sw - pw + b * dw;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) window.Add((c * H + ih) * W + iw);
                        }
                    long j = (c * OH + oh) * OW + ow;
                    outp[j] = Max(window.Select(i => (int)i).ToArray(), p, $"{node.Name}[{j}]");
                }
        return outp;
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
}
