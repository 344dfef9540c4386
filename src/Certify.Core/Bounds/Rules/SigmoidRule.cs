using Certify.Graph.Ops;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>Sigmoid: monotone IBP; the S-shaped tangent/chord relaxation of <see cref="SShapedRule{TOp}"/>.</summary>
public sealed class SigmoidRule : SShapedRule<SigmoidOp>
{
    protected override Tensor F(Tensor x) => sigmoid(x);
    protected override Tensor DF(Tensor x) { var s = sigmoid(x); return s * (1 - s); }
}
