using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Operators over [N, C, *spatial] tensors: Conv, ConvTranspose, BatchNormalization, MaxPool, AveragePool,
// GlobalAveragePool.
internal sealed partial class OnnxGraphReader
{
    /// <summary>The data input as <c>[1, C, *spatial]</c> with the batch as ONNX axis 0.</summary>
    VarValue ChannelInput(OnnxValue?[] inputs, int minRank)
    {
        var x = Var(inputs, 0);
        if (x.Rank < minRank) throw Fail($"needs an input of rank {minRank} or more ([N, C, ...]), got {Op.ShapeText(x.Shape)}");
        if (x.Batched) return x;
        if (x.Shape[0] != 1) throw Fail($"has an input {Op.ShapeText(x.Shape)} whose batch dimension is not 1");
        return Reinterpret(x, x.Shape, true);
    }

    /// <summary>Explicit pads (begins then ends) for the kernel, resolving auto_pad.</summary>
    long[] SpatialPads(long[] inSpatial, long[] kernel, long[] strides, long[] dilations)
    {
        int n = inSpatial.Length;
        var autoPad = OnnxAttributes.String(_node, "auto_pad") ?? "NOTSET";
        switch (autoPad)
        {
            case "NOTSET":
                var pads = OnnxAttributes.Ints(_node, "pads") ?? new long[2 * n];
                if (pads.Length != 2 * n) throw Fail($"has {pads.Length} pads for {n} spatial axes");
                return pads;
            case "VALID": return new long[2 * n];
            case "SAME_UPPER":
            case "SAME_LOWER":
                var result = new long[2 * n];
                for (int i = 0; i < n; i++)
                {
                    long outSize = (inSpatial[i] + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSpatial[i]);
                    long small = total / 2, big = total - small;
                    (result[i], result[n + i]) = autoPad == "SAME_UPPER" ? (small, big) : (big, small);
                }
                return result;
            default: throw Fail($"has auto_pad '{autoPad}'");
        }
    }

    void Conv(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        var w = (Const(inputs, 1, "the weight") ?? throw Fail("has no weight")).to_type(ScalarType.Float64);
        var b = Const(inputs, 2, "the bias")?.to_type(ScalarType.Float64);
        int n = (int)w.dim() - 2;
        if (n < 1 || n > 3 || x.Rank != n + 2) throw Fail($"has weight {Op.ShapeText(w.shape)} for input {Op.ShapeText(x.Shape)}");
        var kernel = w.shape[2..];
        var strides = OnnxAttributes.Ints(_node, "strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = OnnxAttributes.Ints(_node, "dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        long group = OnnxAttributes.Int(_node, "group", 1);
        var pads = SpatialPads(x.Shape[2..], kernel, strides, dilations);
        int id = Add(new ConvOp(w.contiguous(), b?.contiguous(), strides, pads, dilations, group), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }

    void ConvTranspose(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        var w = (Const(inputs, 1, "the weight") ?? throw Fail("has no weight")).to_type(ScalarType.Float64);
        var b = Const(inputs, 2, "the bias")?.to_type(ScalarType.Float64);
        int n = (int)w.dim() - 2;
        if (n < 1 || n > 2 || x.Rank != n + 2) throw Fail($"has weight {Op.ShapeText(w.shape)} for input {Op.ShapeText(x.Shape)}; 1-d and 2-d transposed convolutions are supported");
        if (OnnxAttributes.Has(_node, "output_shape")) throw Fail("sets output_shape; Certify supports explicit pads only");
        if ((OnnxAttributes.String(_node, "auto_pad") ?? "NOTSET") != "NOTSET") throw Fail("uses auto_pad; Certify supports explicit pads only");
        var strides = OnnxAttributes.Ints(_node, "strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = OnnxAttributes.Ints(_node, "dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var outPad = OnnxAttributes.Ints(_node, "output_padding") ?? new long[n];
        var pads = OnnxAttributes.Ints(_node, "pads") ?? new long[2 * n];
        if (Enumerable.Range(0, n).Any(i => pads[i] != pads[n + i])) throw Fail("has asymmetric pads, which are not supported");
        long group = OnnxAttributes.Int(_node, "group", 1);
        int id = Add(new ConvTransposeOp(w.contiguous(), b?.contiguous(), strides, pads[..n], outPad, dilations, group), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }

    void BatchNorm(OnnxValue?[] inputs)
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

    (long[] kernel, long[] strides, long[] pads, long[] dilations, bool ceil) PoolAttributes(VarValue x)
    {
        var kernel = OnnxAttributes.Ints(_node, "kernel_shape") ?? throw Fail("has no kernel_shape");
        int n = kernel.Length;
        if (x.Rank != n + 2) throw Fail($"has a {n}-d kernel for input {Op.ShapeText(x.Shape)}");
        if (n < 1 || n > 2) throw Fail($"pools over {n} spatial axes; 1 and 2 are supported");
        var strides = OnnxAttributes.Ints(_node, "strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = OnnxAttributes.Ints(_node, "dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        bool ceil = OnnxAttributes.Int(_node, "ceil_mode", 0) != 0;
        return (kernel, strides, SpatialPads(x.Shape[2..], kernel, strides, dilations), dilations, ceil);
    }

    static bool Symmetric(long[] pads) => Enumerable.Range(0, pads.Length / 2).All(i => pads[i] == pads[pads.Length / 2 + i]);

    void MaxPool(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        if (_node.Output.Count > 1 && _node.Output[1] != "") throw Fail("uses the Indices output, which is not supported");
        var (kernel, strides, pads, dilations, ceil) = PoolAttributes(x);
        if (!Symmetric(pads)) throw Fail($"has asymmetric pads [{string.Join(",", pads)}], which are not supported");
        int id = Add(new MaxPoolOp(kernel, strides, pads[..kernel.Length], dilations, ceil), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }

    void AveragePool(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        var (kernel, strides, pads, dilations, ceil) = PoolAttributes(x);
        if (dilations.Any(d => d != 1)) throw Fail("uses dilations, which are not supported for average pooling");
        bool countPad = OnnxAttributes.Int(_node, "count_include_pad", 0) != 0;
        int n = kernel.Length, src = x.Id;
        if (!Symmetric(pads))
        {
            // Zero padding counted in the average equals an explicit zero Pad before an unpadded pool.
            if (!countPad) throw Fail($"has asymmetric pads [{string.Join(",", pads)}] without count_include_pad, which is not supported");
            var samplePads = new long[2 * (n + 1)];
            for (int i = 0; i < n; i++) { samplePads[1 + i] = pads[i]; samplePads[n + 2 + i] = pads[n + i]; }
            src = Add(new PadOp(samplePads, 0), OutName() + ":padded", src);
            pads = new long[2 * n];
        }
        int id = Add(new AvgPoolOp(kernel, strides, pads[..n], countPad, ceil), src);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }

    void GlobalAveragePool(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        var axes = Enumerable.Range(1, x.Rank - 2).Select(i => (long)i).ToArray();
        int id = Add(new ReduceOp(ReduceKind.Mean, axes, true), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }
}
