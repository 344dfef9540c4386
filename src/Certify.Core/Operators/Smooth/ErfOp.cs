using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>The error function <c>erf(x) = 2/√π ∫₀ˣ e^{−t²} dt</c>, elementwise (ONNX Erf; GELU's building block).</summary>
public sealed class ErfOp : Op
{
    public override string Kind => "Erf";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => erf(inputs[0]);
}
