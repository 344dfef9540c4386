using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// MaxPool, AveragePool and GlobalAveragePool (a mean over the spatial axes: ReduceOp). (Part of the ONNX reader,
// kept with MaxPoolOp and AvgPoolOp.)
internal sealed partial class OnnxGraphReader
{
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

    internal void MaxPool(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        if (_node.Output.Count > 1 && _node.Output[1] != "") throw Fail("uses the Indices output, which is not supported");
        var (kernel, strides, pads, dilations, ceil) = PoolAttributes(x);
        if (!Symmetric(pads)) throw Fail($"has asymmetric pads [{string.Join(",", pads)}], which are not supported");
        int id = Add(new MaxPoolOp(kernel, strides, pads[..kernel.Length], dilations, ceil), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }

    internal void AveragePool(OnnxValue?[] inputs)
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

    internal void GlobalAveragePool(OnnxValue?[] inputs)
    {
        var x = ChannelInput(inputs, 3);
        var axes = Enumerable.Range(1, x.Rank - 2).Select(i => (long)i).ToArray();
        int id = Add(new ReduceOp(ReduceKind.Mean, axes, true), x.Id);
        Set(0, new VarValue(id, ComputationGraph.ShapeWithBatch(1, ShapeOf(id)), true));
    }
}
