using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Relu, LeakyRelu, Sign and Clip. (Part of the ONNX reader, kept with the ops it produces.)
internal sealed partial class OnnxGraphReader
{
    internal void LeakyRelu(OnnxValue?[] inputs) => Unary(inputs, new LeakyReluOp(OnnxAttributes.Float(_node, "alpha", 0.01f)));

    internal void Clip(OnnxValue?[] inputs)
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
}
