using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>ln(1 + e^x)</c>, elementwise (ONNX Softplus), computed as <c>max(x, 0) + ln(1 + e^{−|x|})</c>: the same function
/// without overflow for large x, and exactly convex (libtorch's softplus switches to x above 20, a jump of 2e-9 that
/// would break the convexity the relaxation relies on).
/// </summary>
public sealed class SoftplusOp : Op
{
    public override string Kind => "Softplus";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => Of(inputs[0]);

    /// <summary>The function itself, shared with its rule.</summary>
    public static Tensor Of(Tensor x) => x.clamp_min(0) + log1p(exp(-x.abs()));
}
