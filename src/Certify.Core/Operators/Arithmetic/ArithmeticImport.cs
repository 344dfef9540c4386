using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

internal enum BinaryKind { Add, Sub, Mul, Div }

// Add, Sub, Mul, Div (to Affine with a constant operand, to Add or Mul of two variables), Pow, ReduceSum and ReduceMean.
// (Part of the ONNX reader, kept with the ops it produces: AddOp, MulOp, PowOp, ReduceOp.)
internal sealed partial class OnnxGraphReader
{
    internal void Binary(OnnxValue?[] inputs, BinaryKind kind)
    {
        if (inputs.Length < 2 || inputs[0] is null || inputs[1] is null) throw Fail("needs two inputs");
        if (inputs[0] is VarValue a && inputs[1] is VarValue b) { Set(0, BinaryVariables(a, b, kind)); return; }
        bool varFirst = inputs[0] is VarValue;
        var x = (VarValue)(varFirst ? inputs[0]! : inputs[1]!);
        var c = ((ConstValue)(varFirst ? inputs[1]! : inputs[0]!)).Value.to_type(ScalarType.Float64);
        Set(0, kind switch
        {
            BinaryKind.Add => AffineConst(x, null, c),
            BinaryKind.Sub => varFirst ? AffineConst(x, null, -c) : AffineConst(x, tensor(-1.0, ScalarType.Float64), c),
            BinaryKind.Mul => AffineConst(x, c, null),
            BinaryKind.Div => varFirst ? AffineConst(x, 1.0 / c, null)
                : throw Fail("divides a constant by the data path (c / x), which is not supported; only x / c is"),
            _ => throw new InvalidOperationException()
        });
    }

    /// <summary>Add/Sub/Mul of two variable tensors of the same shape (after dropping leading 1s).</summary>
    VarValue BinaryVariables(VarValue a, VarValue b, BinaryKind kind)
    {
        var shape = Broadcast(a.Shape, b.Shape) ?? throw Fail($"operand shapes {Op.ShapeText(a.Shape)} and {Op.ShapeText(b.Shape)} do not broadcast");
        VarValue Lift(VarValue v) => v.Rank < shape.Length ? ReshapeTo(v, Enumerable.Repeat(1L, shape.Length - v.Rank).Concat(v.Shape).ToArray()) : v;
        var la = ExpandTo(Lift(a), shape);
        var lb = Reinterpret(ExpandTo(Lift(b), shape), shape, la.Batched);
        switch (kind)
        {
            case BinaryKind.Add: return la with { Id = Add(new AddOp(), la.Id, lb.Id) };
            case BinaryKind.Sub:
                int neg = Add(new AffineOp(tensor(-1.0, ScalarType.Float64), null), OutName() + ":negated", lb.Id);
                return la with { Id = Add(new AddOp(), la.Id, neg) };
            case BinaryKind.Mul: return la with { Id = Add(new MulOp(), la.Id, lb.Id) };
            default: throw Fail("divides by the data path (x / y of two variables), which is not supported");
        }
    }

    internal void Pow(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var e = Const(inputs, 1, "exponent") ?? throw Fail("has no exponent");
        var values = OnnxTensors.Doubles(e).Distinct().ToArray();
        if (values.Length != 1) throw Fail("has an exponent that varies across elements; Certify supports one constant exponent");
        if (!(Broadcast(x.Shape, e.shape) ?? Array.Empty<long>()).SequenceEqual(x.Shape))
            throw Fail($"broadcasts the data path {Op.ShapeText(x.Shape)} with an exponent of shape {Op.ShapeText(e.shape)}");
        Set(0, values[0] == 1 ? x : x with { Id = Add(new PowOp(values[0]), x.Id) });
    }

    internal void Reduce(OnnxValue?[] inputs, ReduceKind kind) =>
        Reduction(inputs, kind == ReduceKind.Sum ? Opset >= 13 : Opset >= 18, (axes, keep) => new ReduceOp(kind, axes, keep));

    /// <summary>
    /// An ONNX reduction (ReduceSum/Mean/Max/Min): axes as input (<paramref name="axesAsInput"/>, by opset) or attribute,
    /// keepdims, noop_with_empty_axes; <paramref name="make"/> builds the op over the sample axes.
    /// </summary>
    void Reduction(OnnxValue?[] inputs, bool axesAsInput, Func<long[], bool, Op> make)
    {
        var x = Var(inputs, 0);
        var axes = axesAsInput ? (Const(inputs, 1, "axes") is { } a ? OnnxTensors.Longs(a) : null) : OnnxAttributes.Ints(_node, "axes");
        bool keep = OnnxAttributes.Int(_node, "keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (OnnxAttributes.Int(_node, "noop_with_empty_axes", 0) != 0) { Set(0, x); return; }
            axes = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        }
        var norm = axes.Select(a => NormAxis(a, x.Rank)).Distinct().OrderBy(a => a).ToArray();
        var outShape = keep ? x.Shape.Select((d, i) => norm.Contains(i) ? 1 : d).ToArray() : x.Shape.Where((_, i) => !norm.Contains(i)).ToArray();
        var sampleAxes = SampleAxes(ref x, norm);
        var y = new VarValue(Add(make(sampleAxes, keep), x.Id), outShape, x.Batched);
        if (y.Batched && y.Rank == 0) y = y with { Batched = false };
        // A full reduction without keepdims leaves a 0-d ONNX tensor; give it one element per sample.
        if (outShape.Length == 0) y = new VarValue(Add(new ReshapeOp(new long[] { 1 }), OutName() + ":as1", y.Id), new long[] { 1 }, false);
        Set(0, y);
    }
}
