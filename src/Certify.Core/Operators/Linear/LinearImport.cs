using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Gemm and MatMul (to Linear, with Transposes, or Mul and ReduceSum for a product of two variables), arithmetic with
// constants (to Affine: the Add/Sub/Mul/Div translations, Neg and BatchNormalization use it). (Part of the ONNX reader,
// kept with the ops it produces: LinearOp, AffineOp.)
internal sealed partial class OnnxGraphReader
{
    /// <summary>
    /// <c>x * scale + shift</c> with constants in ONNX broadcasting form, as an <see cref="AffineOp"/> whose tensors
    /// broadcast against one sample. Broadcasting that would enlarge <paramref name="x"/> is an error.
    /// </summary>
    VarValue AffineConst(VarValue x, Tensor? scale, Tensor? shift) => AffineNamed(x, scale, shift, OutName());

    /// <summary>
    /// <see cref="AffineConst"/> as a node named <paramref name="name"/>: an importer that adds several nodes for one ONNX
    /// node names each (two graph nodes of one name would export to an invalid ONNX file).
    /// </summary>
    VarValue AffineNamed(VarValue x, Tensor? scale, Tensor? shift, string name)
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
        return x with { Id = Add(new AffineOp(ForSample(scale), ForSample(shift)), name, x.Id) };
    }

    internal void Gemm(OnnxValue?[] inputs)
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

    internal void MatMul(OnnxValue?[] inputs)
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

    internal void Neg(OnnxValue?[] inputs) => Set(0, AffineConst(Var(inputs, 0), tensor(-1.0, ScalarType.Float64), null));

    internal void BatchNorm(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 2);
        if (OnnxAttributes.Int(_node, "training_mode", 0) != 0 || _node.Output.Skip(1).Any(o => o != ""))
            throw Fail("is in training mode (batch statistics); Certify supports inference-mode batch normalisation only");
        double eps = OnnxAttributes.Float(_node, "epsilon", 1e-5);
        Tensor P(int i, string what) => (Const(inputs, i, what) ?? throw Fail($"has no {what}")).to_type(ScalarType.Float64).reshape(-1);
        var gamma = P(1, "scale"); var beta = P(2, "bias"); var mean = P(3, "mean"); var variance = P(4, "variance");
        long c = x.Shape[1];
        if (new[] { gamma, beta, mean, variance }.Any(t => t.numel() != c)) throw Fail($"has parameters whose size is not the channel count {c}");
        // y = (x - mean) / sqrt(var + eps) * gamma + beta = x * s + (beta - mean * s), per channel.
        var s = gamma / (variance + eps).sqrt();
        var t = beta - mean * s;
        var channelShape = new long[x.Rank]; Array.Fill(channelShape, 1L); channelShape[1] = c;
        Set(0, AffineConst(x, s.reshape(channelShape), t.reshape(channelShape)));
    }
}
