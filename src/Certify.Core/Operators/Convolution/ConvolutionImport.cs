using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Conv and ConvTranspose. (Part of the ONNX reader, kept with ConvOp and ConvTransposeOp.)
internal sealed partial class OnnxGraphReader
{
    internal void Conv(OnnxValue?[] inputs)
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

    internal void ConvTranspose(OnnxValue?[] inputs)
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
}
