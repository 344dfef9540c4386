using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Atan: increasing, convex on x ≤ 0 and concave on x ≥ 0 (<c>atan'' = −2x/(1+x²)²</c>), the shape of Sigmoid and
/// Tanh, so it takes their tangent/chord relaxation (<see cref="SShapedRule{TOp}"/>); forward mode applies those lines.
/// </summary>
public sealed class AtanRule : SShapedRule<AtanOp>
{
    protected override Tensor F(Tensor x) => atan(x);
    protected override Tensor DF(Tensor x) => (1 + x * x).reciprocal();

    /// <summary>max |atan''| = 3√3/8 ≈ 0.64952, at x = ±1/√3 (rounded up).</summary>
    protected override double? SecondDerivativeBound => 0.6496;
}
