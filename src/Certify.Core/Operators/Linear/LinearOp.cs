using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>y = x · Wᵀ + b</c> on the last dimension (ONNX Gemm, and MatMul with a constant right operand, plus a following
/// constant Add folded in). <see cref="Weight"/> is <c>[out, in]</c>, <see cref="Bias"/> is <c>[out]</c> or null.
/// </summary>
public sealed class LinearOp(Tensor weight, Tensor? bias) : Op
{
    /// <summary><c>[out, in]</c>.</summary>
    public Tensor Weight { get; } = weight;
    /// <summary><c>[out]</c> or null.</summary>
    public Tensor? Bias { get; } = bias;
    public long OutFeatures => Weight.shape[0];
    public long InFeatures => Weight.shape[1];
    public override string Kind => "Linear";
    public override bool IsAffine => true;
    public override bool MixesInputs => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => nn.functional.linear(inputs[0], Weight, Bias);
    public override IEnumerable<Tensor> Parameters => Bias is null ? new[] { Weight } : new[] { Weight, Bias };
    public override string ParameterName(int k) => k == 0 ? "weight" : "bias";
    public override Op MapParameters(Func<Tensor, Tensor> map) => new LinearOp(map(Weight), Bias is null ? null : map(Bias));
    public override string Describe() => $"{InFeatures}->{OutFeatures}";
}
