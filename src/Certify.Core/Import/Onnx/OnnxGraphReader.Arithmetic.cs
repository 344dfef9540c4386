using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

internal enum BinaryKind { Add, Sub, Mul, Div }

// Arithmetic: Add/Sub/Mul/Div/Neg (to Affine, Add or Mul), Gemm and MatMul (to Linear), Clip, Pow, Softmax, Reduce*.
internal sealed partial class OnnxGraphReader
{
    /// <summary>ONNX (numpy) broadcasting of two shapes, or null when they do not broadcast.</summary>
    internal static long[]? Broadcast(long[] a, long[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new long[r];
        for (int i = 0; i < r; i++)
        {
            long x = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1, y = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (x != y && x != 1 && y != 1) return null;
            s[i] = Math.Max(x, y);
        }
        return s;
    }

    void Binary(OnnxValue?[] inputs, BinaryKind kind)
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

    /// <summary>
    /// <c>x * scale + shift</c> with constants in ONNX broadcasting form, as an <see cref="AffineOp"/> whose tensors
    /// broadcast against one sample. Broadcasting that would enlarge <paramref name="x"/> is an error.
    /// </summary>
    VarValue AffineConst(VarValue x, Tensor? scale, Tensor? shift)
    {
        var shape = x.Shape;
        foreach (var c in new[] { scale, shift })
            if (c is not null) shape = Broadcast(shape, c.shape) ?? throw Fail($"operand shapes {Op.ShapeText(x.Shape)} and {Op.ShapeText(c.shape)} do not broadcast");
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
        return x with { Id = Add(new AffineOp(ForSample(scale), ForSample(shift)), x.Id) };
    }

    /// <summary>
    /// Broadcasts <paramref name="x"/> up to <paramref name="shape"/> (same rank; each enlarged axis has size 1 in x) by
    /// gathering index 0 repeatedly along each enlarged axis: an exact copy.
    /// </summary>
    VarValue ExpandTo(VarValue x, long[] shape)
    {
        for (int a = 0; a < shape.Length; a++)
        {
            if (x.Shape[a] == shape[a]) continue;
            if (x.Shape[a] != 1) throw Fail($"cannot broadcast {Op.ShapeText(x.Shape)} to {Op.ShapeText(shape)}");
            var sa = SampleAxes(ref x, new long[] { a })[0];
            int id = Add(new GatherOp((int)sa, new long[shape[a]], false), OutName() + $":expand{a}", x.Id);
            var s = (long[])x.Shape.Clone(); s[a] = shape[a];
            x = x with { Id = id, Shape = s };
        }
        return x;
    }

    void Gemm(OnnxValue?[] inputs)
    {
        if (inputs.Length < 2 || inputs[0] is null || inputs[1] is null) throw Fail("needs two inputs");
        double alpha = OnnxAttributes.Float(_node, "alpha", 1), beta = OnnxAttributes.Float(_node, "beta", 1);
        bool transA = OnnxAttributes.Int(_node, "transA", 0) != 0, transB = OnnxAttributes.Int(_node, "transB", 0) != 0;
        var c = Const(inputs, 2, "C");
        VarValue y;
        if (inputs[0] is VarValue a && inputs[1] is ConstValue bc)
        {
            if (a.Rank != 2 || bc.Value.dim() != 2) throw Fail("needs 2-d operands");
            if (transA) a = new VarValue(Add(new TransposeOp(new long[] { 1, 0 }), OutName() + ":At", Unbatch(a).Id), new[] { a.Shape[1], a.Shape[0] }, false);
            var w = (transB ? bc.Value : bc.Value.t()).to_type(ScalarType.Float64) * alpha;   // [N, K]
            Tensor? bias = null;
            if (c is not null && (c.numel() == 1 || (c.numel() == w.shape[0] && c.shape[^1] == w.shape[0])))
            {
                bias = (c.to_type(ScalarType.Float64) * beta).reshape(-1).expand(w.shape[0]).contiguous();
                c = null;
            }
            y = LinearOnLastAxis(a, w.contiguous(), bias);
        }
        else if (inputs[0] is ConstValue ac && inputs[1] is VarValue b)
        {
            if (ac.Value.dim() != 2 || b.Rank != 2) throw Fail("needs 2-d operands");
            var left = (transA ? ac.Value.t() : ac.Value).to_type(ScalarType.Float64) * alpha;   // [M, K]
            if (transB) b = new VarValue(Add(new TransposeOp(new long[] { 1, 0 }), OutName() + ":Bt", Unbatch(b).Id), new[] { b.Shape[1], b.Shape[0] }, false);
            y = ConstantTimesVariable(left.contiguous(), b);
        }
        else throw Fail("multiplies two tensors that both depend on the network input; Certify needs one constant operand");
        if (c is not null && c.numel() > 0) y = AffineConst(y, null, c.to_type(ScalarType.Float64) * beta);
        Set(0, y);
    }

    void MatMul(OnnxValue?[] inputs)
    {
        if (inputs.Length < 2 || inputs[0] is null || inputs[1] is null) throw Fail("needs two inputs");
        if (inputs[0] is VarValue a && inputs[1] is ConstValue bc)
        {
            var b = SqueezeLeadingOnes(bc.Value.to_type(ScalarType.Float64), 2);
            if (b.dim() == 1)
            {
                // x [..., K] @ b [K] -> [...]: a one-row Linear, then drop the last axis.
                var lin = LinearOnLastAxis(a, b.reshape(1, -1), null);
                Set(0, ReshapeTo(lin, a.Shape[..^1].Length == 0 ? new long[] { 1 } : a.Shape[..^1]));
                return;
            }
            Set(0, LinearOnLastAxis(a, b.t().contiguous(), null));
        }
        else if (inputs[0] is ConstValue ac && inputs[1] is VarValue b)
        {
            var left = SqueezeLeadingOnes(ac.Value.to_type(ScalarType.Float64), 2);
            if (left.dim() == 1)
            {
                var y = ConstantTimesVariable(left.reshape(1, -1), b);
                Set(0, ReshapeTo(y, b.Rank == 1 ? new long[] { 1 } : b.Shape[..^2].Append(b.Shape[^1]).ToArray()));
                return;
            }
            Set(0, ConstantTimesVariable(left, b));
        }
        else Set(0, MatMulVariables((VarValue)inputs[0]!, (VarValue)inputs[1]!));
    }

    /// <summary>
    /// <c>x @ y</c> of two variables as elementwise products and a sum: x [.., M, K, 1] and y [.., 1, K, N] are expanded
    /// to [.., M, K, N], multiplied (Mul) and summed over K (ReduceSum). Exact up to summation order.
    /// </summary>
    VarValue MatMulVariables(VarValue x, VarValue y)
    {
        bool xVec = x.Rank == 1, yVec = y.Rank == 1;
        if (xVec) x = ReshapeTo(x, new[] { 1L, x.Shape[0] });
        if (yVec) y = ReshapeTo(y, new[] { y.Shape[0], 1L });
        var lead = Broadcast(x.Shape[..^2], y.Shape[..^2]) ?? throw Fail($"has operand shapes {Op.ShapeText(x.Shape)} and {Op.ShapeText(y.Shape)} that do not broadcast");
        long m = x.Shape[^2], k = x.Shape[^1], n = y.Shape[^1];
        if (y.Shape[^2] != k) throw Fail($"multiplies shapes {Op.ShapeText(x.Shape)} and {Op.ShapeText(y.Shape)}");
        var full = lead.Concat(new[] { m, k, n }).ToArray();
        var xe = ReshapeTo(x, Enumerable.Repeat(1L, lead.Length - (x.Rank - 2)).Concat(x.Shape).Append(1L).ToArray());
        var ye = ReshapeTo(y, Enumerable.Repeat(1L, lead.Length - (y.Rank - 2)).Concat(y.Shape[..^2]).Concat(new[] { 1L, k, n }).ToArray());
        xe = ExpandTo(xe, full);
        ye = Reinterpret(ExpandTo(ye, full), full, xe.Batched);
        var prod = xe with { Id = Add(new MulOp(), OutName() + ":products", xe.Id, ye.Id) };
        long axis = full.Length - 2;
        var sampleAxis = SampleAxes(ref prod, new[] { axis })[0];
        var outShape = lead.Concat(new[] { m, n }).ToArray();
        var result = new VarValue(Add(new ReduceOp(ReduceKind.Sum, new[] { sampleAxis }, false), OutName(), prod.Id), outShape, prod.Batched);
        if (xVec || yVec)
            result = ReshapeTo(result, lead.Concat(xVec ? Array.Empty<long>() : new[] { m }).Concat(yVec ? Array.Empty<long>() : new[] { n }).DefaultIfEmpty(1).ToArray());
        return result;
    }

    /// <summary>Drops leading unit dimensions of a constant until it has at most <paramref name="rank"/> dimensions.</summary>
    Tensor SqueezeLeadingOnes(Tensor t, int rank)
    {
        while (t.dim() > rank && t.shape[0] == 1) t = t.squeeze(0);
        if (t.dim() > rank) throw Fail($"multiplies by a constant of shape {Op.ShapeText(t.shape)}; Certify supports 1-d and 2-d constant factors (batched matrix products are not supported)");
        return t;
    }

    /// <summary><c>x @ wᵀ + bias</c> on the last ONNX axis of <paramref name="x"/>; <paramref name="w"/> is <c>[N, K]</c>.</summary>
    VarValue LinearOnLastAxis(VarValue x, Tensor w, Tensor? bias)
    {
        if (x.Shape[^1] != w.shape[1]) throw Fail($"multiplies a tensor of shape {Op.ShapeText(x.Shape)} by a matrix with {w.shape[1]} rows");
        if (x.Batched && x.Rank == 1) x = Unbatch(x);
        var shape = x.Shape[..^1].Append(w.shape[0]).ToArray();
        return new VarValue(Add(new LinearOp(w, bias), x.Id), shape, x.Batched);
    }

    /// <summary><c>left @ x</c> with <paramref name="left"/> <c>[M, K]</c>: a Linear on the transposed last two axes.</summary>
    VarValue ConstantTimesVariable(Tensor left, VarValue x)
    {
        if (x.Rank == 1) return LinearOnLastAxis(x, left, null);
        if (x.Shape[^2] != left.shape[1]) throw Fail($"multiplies a {Op.ShapeText(left.shape)} constant by a tensor of shape {Op.ShapeText(x.Shape)}");
        if (x.Batched && x.Rank == 2) x = Unbatch(x);
        int r = x.Rank - (x.Batched ? 1 : 0);
        var swap = Enumerable.Range(0, r).Select(i => (long)i).ToArray();
        (swap[r - 2], swap[r - 1]) = (swap[r - 1], swap[r - 2]);
        int t1 = Add(new TransposeOp(swap), OutName() + ":transposed", x.Id);
        int lin = Add(new LinearOp(left.contiguous(), null), OutName() + ":linear", t1);
        int t2 = Add(new TransposeOp(swap), t2Name(), lin);
        var shape = (long[])x.Shape.Clone();
        shape[^2] = left.shape[0];
        return new VarValue(t2, shape, x.Batched);
        string t2Name() => OutName();
    }

    void Clip(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        double lo, hi;
        if (Opset < 11)
        {
            lo = OnnxAttributes.Float(_node, "min", double.NegativeInfinity);
            hi = OnnxAttributes.Float(_node, "max", double.PositiveInfinity);
            if (lo <= -3.4e38) lo = double.NegativeInfinity;
            if (hi >= 3.4e38) hi = double.PositiveInfinity;
        }
        else
        {
            lo = Const(inputs, 1, "min") is { } mn ? OnnxTensors.Doubles(mn)[0] : double.NegativeInfinity;
            hi = Const(inputs, 2, "max") is { } mx ? OnnxTensors.Doubles(mx)[0] : double.PositiveInfinity;
        }
        Set(0, x with { Id = Add(new ClipOp(lo, hi), x.Id) });
    }

    void Pow(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var e = Const(inputs, 1, "exponent") ?? throw Fail("has no exponent");
        var values = OnnxTensors.Doubles(e).Distinct().ToArray();
        if (values.Length != 1) throw Fail("has an exponent that varies across elements; Certify supports one constant exponent");
        if (!(Broadcast(x.Shape, e.shape) ?? Array.Empty<long>()).SequenceEqual(x.Shape))
            throw Fail($"broadcasts the data path {Op.ShapeText(x.Shape)} with an exponent of shape {Op.ShapeText(e.shape)}");
        Set(0, values[0] == 1 ? x : x with { Id = Add(new PowOp(values[0]), x.Id) });
    }

    void Softmax(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", Opset >= 13 ? -1 : 1), x.Rank);
        if (Opset >= 13 || axis == x.Rank - 1)
        {
            var sa = SampleAxes(ref x, new[] { axis })[0];
            Set(0, x with { Id = Add(new SoftmaxOp((int)sa), x.Id) });
            return;
        }
        // Before opset 13 the input is coerced to 2-d at `axis`: softmax over all trailing axes together.
        var flat = ReshapeTo(x, x.Shape.Take((int)axis).Append(x.Shape.Skip((int)axis).Aggregate(1L, (p, d) => p * d)).ToArray());
        var sm = flat with { Id = Add(new SoftmaxOp(flat.Sample.Length - 1), OutName() + ":flat", flat.Id) };
        Set(0, ReshapeTo(sm, x.Shape));
    }

    void Reduce(OnnxValue?[] inputs, ReduceKind kind)
    {
        var x = Var(inputs, 0);
        bool axesAsInput = kind == ReduceKind.Sum ? Opset >= 13 : Opset >= 18;
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
        var y = new VarValue(Add(new ReduceOp(kind, sampleAxes, keep), x.Id), outShape, x.Batched);
        if (y.Batched && y.Rank == 0) y = y with { Batched = false };
        // A full reduction without keepdims leaves a 0-d ONNX tensor; give it one element per sample.
        if (outShape.Length == 0) y = new VarValue(Add(new ReshapeOp(new long[] { 1 }), OutName() + ":as1", y.Id), new long[] { 1 }, false);
        Set(0, y);
    }
}
