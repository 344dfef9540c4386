using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Tanh: monotone IBP; the S-shaped tangent/chord relaxation of <see cref="SShapedRule{TOp}"/>.</summary>
public sealed class TanhRule : SShapedRule<TanhOp>
{
    protected override Tensor F(Tensor x) => tanh(x);
    protected override Tensor DF(Tensor x) { var t = tanh(x); return 1 - t * t; }

    /// <summary>max |tanh''| = 4/(3√3) ≈ 0.76980, at tanh = ±1/√3 (rounded up).</summary>
    protected override double? SecondDerivativeBound => 0.7699;
}
