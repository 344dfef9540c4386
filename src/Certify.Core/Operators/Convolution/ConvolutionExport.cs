using Certify.Graph;
using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>ONNX export of the convolutions, with every attribute explicit.</summary>
internal static class ConvolutionExport
{
    public static void Conv(Op op, IOnnxExportContext o)
    {
        var c = (ConvOp)op;
        var x = o.Inputs[0];
        o.AddNode("Conv", o.Node.Name, c.Bias is null ? new[] { x, o.Initializer(c.Weight) } : new[] { x, o.Initializer(c.Weight), o.Initializer(c.Bias) }, o.Output,
            Ints("kernel_shape", c.Weight.shape[2..]), Ints("strides", c.Strides), Ints("pads", c.Pads), Ints("dilations", c.Dilations), Int("group", c.Groups));
    }

    public static void ConvTranspose(Op op, IOnnxExportContext o)
    {
        var c = (ConvTransposeOp)op;
        var x = o.Inputs[0];
        o.AddNode("ConvTranspose", o.Node.Name, c.Bias is null ? new[] { x, o.Initializer(c.Weight) } : new[] { x, o.Initializer(c.Weight), o.Initializer(c.Bias) }, o.Output,
            Ints("kernel_shape", c.Weight.shape[2..]), Ints("strides", c.Strides), Ints("pads", c.Pads.Concat(c.Pads)),
            Ints("output_padding", c.OutputPadding), Ints("dilations", c.Dilations), Int("group", c.Groups));
    }
}
