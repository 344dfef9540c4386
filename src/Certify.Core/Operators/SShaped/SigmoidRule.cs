using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Sigmoid: monotone IBP; the S-shaped tangent/chord relaxation of <see cref="SShapedRule{TOp}"/>.</summary>
public sealed class SigmoidRule : SShapedRule<SigmoidOp>
{
    protected override Tensor F(Tensor x) => sigmoid(x);
    protected override Tensor DF(Tensor x) { var s = sigmoid(x); return s * (1 - s); }

    /// <summary>max |σ''| = 1/(6√3) ≈ 0.09623, at σ = ½ ± 1/(2√3) (rounded up).</summary>
    protected override double? SecondDerivativeBound => 0.0963;
}
