using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Max and Min (variadic, elementwise, with broadcasting) and ReduceMax / ReduceMin on the data path.
internal sealed partial class OnnxGraphReader
{
    /// <summary>
    /// ONNX Max/Min of any number of operands: the constants are combined first (folded), then the variables pairwise
    /// (<see cref="MaxOp"/>/<see cref="MinOp"/>, both operands expanded to the broadcast shape), and a constant operand
    /// last, as <c>max(x, c) = c + relu(x − c)</c> or <c>min(x, c) = c − relu(c − x)</c>: ReLU's exact relaxations and
    /// MILP encoding, for a constant of any broadcastable shape.
    /// </summary>
    internal void Extremum(OnnxValue?[] inputs, bool max)
    {
        var present = inputs.Where(v => v is not null).ToList();
        if (present.Count == 0) throw Fail("has no input");
        var vars = present.OfType<VarValue>().ToList();
        var consts = present.OfType<ConstValue>().Select(c => c.Value.to_type(ScalarType.Float64)).ToList();
        VarValue acc = vars[0];
        for (int i = 1; i < vars.Count; i++)
        {
            var (a, b) = SameShape(acc, vars[i]);
            acc = a with { Id = Add(max ? new MaxOp() : new MinOp(), i == vars.Count - 1 && consts.Count == 0 ? OutName() : OutName() + $":{i}", a.Id, b.Id) };
        }
        if (consts.Count > 0)
        {
            var c = consts.Aggregate((p, q) => max ? p.maximum(q) : p.minimum(q));
            // max(x, c) = relu(x − c) + c;  min(x, c) = −relu(−x + c) + c.
            var shifted = max ? AffineNamed(acc, null, -c, OutName() + ":shifted") : AffineNamed(acc, tensor(-1.0, ScalarType.Float64), c, OutName() + ":shifted");
            var relu = shifted with { Id = Add(new ReluOp(), OutName() + ":relu", shifted.Id) };
            acc = max ? AffineConst(relu, null, c) : AffineConst(relu, tensor(-1.0, ScalarType.Float64), c);
        }
        Set(0, acc);
    }

    /// <summary>
    /// <c>x * scale + shift</c> like <see cref="AffineConst"/>, as a node named <paramref name="name"/> (AffineConst names
    /// its node after the ONNX output, and two graph nodes of one name would export to an invalid ONNX file).
    /// </summary>
    VarValue AffineNamed(VarValue x, Tensor? scale, Tensor? shift, string name)
    {
        var shape = x.Shape;
        foreach (var c in new[] { scale, shift })
            if (c is not null) shape = Broadcast(shape, c.shape) ?? throw Fail($"operand shapes {Certify.Graph.Op.ShapeText(x.Shape)} and {Certify.Graph.Op.ShapeText(c.shape)} do not broadcast");
        if (shape.Length > x.Rank) x = ReshapeTo(x, Enumerable.Repeat(1L, shape.Length - x.Rank).Concat(x.Shape).ToArray());
        if (!shape.SequenceEqual(x.Shape))
        {
            if (x.Batched && shape[0] != 1) x = Unbatch(x);
            x = ExpandTo(x, shape);
        }
        Tensor? ForSample(Tensor? c)
        {
            if (c is null) return null;
            var t = c.reshape(Enumerable.Repeat(1L, x.Rank - (int)c.dim()).Concat(c.shape).ToArray());
            if (x.Batched) t = t.squeeze(0);
            while (t.dim() > 0 && t.shape[0] == 1) t = t.squeeze(0);
            return t.contiguous();
        }
        return x with { Id = Add(new AffineOp(ForSample(scale), ForSample(shift)), name, x.Id) };
    }

    /// <summary>Both operands expanded to their broadcast shape, in one batch layout.</summary>
    (VarValue, VarValue) SameShape(VarValue a, VarValue b)
    {
        var shape = Broadcast(a.Shape, b.Shape) ?? throw Fail($"operand shapes {Certify.Graph.Op.ShapeText(a.Shape)} and {Certify.Graph.Op.ShapeText(b.Shape)} do not broadcast");
        VarValue Lift(VarValue v) => v.Rank < shape.Length ? ReshapeTo(v, Enumerable.Repeat(1L, shape.Length - v.Rank).Concat(v.Shape).ToArray()) : v;
        var la = ExpandTo(Lift(a), shape);
        var lb = Reinterpret(ExpandTo(Lift(b), shape), shape, la.Batched);
        return (la, lb);
    }

    /// <summary>ONNX ReduceMax / ReduceMin (axes as attribute before opset 18, as input from 18).</summary>
    internal void ReduceExtremum(OnnxValue?[] inputs, bool max)
    {
        var x = Var(inputs, 0);
        var axes = Opset >= 18 ? (Const(inputs, 1, "axes") is { } a ? OnnxTensors.Longs(a) : null) : OnnxAttributes.Ints(_node, "axes");
        bool keep = OnnxAttributes.Int(_node, "keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (OnnxAttributes.Int(_node, "noop_with_empty_axes", 0) != 0) { Set(0, x); return; }
            axes = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        }
        var norm = axes.Select(a => NormAxis(a, x.Rank)).Distinct().OrderBy(a => a).ToArray();
        var outShape = keep ? x.Shape.Select((d, i) => norm.Contains(i) ? 1 : d).ToArray() : x.Shape.Where((_, i) => !norm.Contains(i)).ToArray();
        var sampleAxes = SampleAxes(ref x, norm);
        Certify.Graph.Op op = max ? new ReduceMaxOp(sampleAxes, keep) : new ReduceMinOp(sampleAxes, keep);
        var y = new VarValue(Add(op, x.Id), outShape, x.Batched);
        if (y.Batched && y.Rank == 0) y = y with { Batched = false };
        if (outShape.Length == 0) y = new VarValue(Add(new ReshapeOp(new long[] { 1 }), OutName() + ":as1", y.Id), new long[] { 1 }, false);
        Set(0, y);
    }
}
