using Certify.Graph.Ops;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>Tanh: monotone IBP; the S-shaped tangent/chord relaxation of <see cref="SShapedRule{TOp}"/>.</summary>
public sealed class TanhRule : SShapedRule<TanhOp>
{
    protected override Tensor F(Tensor x) => tanh(x);
    protected override Tensor DF(Tensor x) { var t = tanh(x); return 1 - t * t; }
}
