using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Exp: increasing and convex everywhere, so IBP maps the endpoints and CROWN takes the midpoint tangent below and the
/// chord above (<see cref="CurvedMonotoneRule{TOp}"/>). An upper bound whose exponential overflows the dtype (above
/// about 88.7 in float32, 709.8 in float64) is refused: no finite bound exists.
/// </summary>
public sealed class ExpRule : CurvedMonotoneRule<ExpOp>
{
    protected override Tensor F(Tensor x) => exp(x);
    protected override Tensor DF(Tensor x) => exp(x);
    protected override bool Increasing => true;
    protected override Tensor Convex(Tensor l, Tensor u) => ones_like(l, dtype: ScalarType.Bool);
}
