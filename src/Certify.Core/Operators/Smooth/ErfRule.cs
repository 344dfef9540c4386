using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Erf: increasing, convex on x ≤ 0 and concave on x ≥ 0 (<c>erf'' = −4x/√π·e^{−x²}</c>), so it takes the S-shaped
/// tangent/chord relaxation of <see cref="SShapedRule{TOp}"/>; forward mode applies those lines.
/// </summary>
public sealed class ErfRule : SShapedRule<ErfOp>
{
    static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    protected override Tensor F(Tensor x) => erf(x);
    protected override Tensor DF(Tensor x) => TwoOverSqrtPi * exp(-(x * x));

    /// <summary>max |erf''| = 4/√(2πe) ≈ 0.96788, at x = ±1/√2 (rounded up).</summary>
    protected override double? SecondDerivativeBound => 0.9679;
}
