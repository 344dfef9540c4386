using Certify.Operators;

namespace Certify.Import.Onnx;

// GELU (opset 20). Atan and Erf are plain elementwise ops (see the translator table).
internal sealed partial class OnnxGraphReader
{
    /// <summary>ONNX Gelu: the exact (erf) form only; the tanh approximation is a different function and is refused.</summary>
    internal void Gelu(OnnxValue?[] inputs)
    {
        var approximate = OnnxAttributes.String(_node, "approximate") ?? "none";
        if (approximate != "none")
            throw Fail($"uses approximate='{approximate}'; Certify supports the exact GELU (approximate='none') only");
        Unary(inputs, new GeluOp());
    }
}
