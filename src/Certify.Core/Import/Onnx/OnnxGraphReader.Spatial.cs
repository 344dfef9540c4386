using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Helpers of the operators over [N, C, *spatial] tensors (Conv, ConvTranspose, BatchNormalization, MaxPool,
// AveragePool, GlobalAveragePool, whose translations live in their families' folders): the channel layout of the data
// input and ONNX's padding rules.
internal sealed partial class OnnxGraphReader
{
    /// <summary>The data input as <c>[1, C, *spatial]</c> with the batch as ONNX axis 0.</summary>
    internal VarValue ChannelInput(OnnxValue?[] inputs, int minRank)
    {
        var x = Var(inputs, 0);
        if (x.Rank < minRank) throw Fail($"needs an input of rank {minRank} or more ([N, C, ...]), got {Op.ShapeText(x.Shape)}");
        if (x.Batched) return x;
        if (x.Shape[0] != 1) throw Fail($"has an input {Op.ShapeText(x.Shape)} whose batch dimension is not 1");
        return Reinterpret(x, x.Shape, true);
    }

    /// <summary>Explicit pads (begins then ends) for the kernel, resolving auto_pad.</summary>
    internal long[] SpatialPads(long[] inSpatial, long[] kernel, long[] strides, long[] dilations)
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
}
