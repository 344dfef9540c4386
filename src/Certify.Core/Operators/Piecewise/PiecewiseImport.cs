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
    internal void ReduceExtremum(OnnxValue?[] inputs, bool max) =>
        Reduction(inputs, Opset >= 18, (axes, keep) => max ? new ReduceMaxOp(axes, keep) : new ReduceMinOp(axes, keep));
}
