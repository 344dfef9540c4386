using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sqrt: increasing and concave on x ≥ 0 (chord below, midpoint tangent above; at l = 0 the chord is
/// <c>x/√u</c>). An input whose lower bound is negative is refused (<see cref="OperatorDomainException"/>).
/// </summary>
public sealed class SqrtRule : CurvedMonotoneRule<SqrtOp>
{
    protected override Tensor F(Tensor x) => sqrt(x);
    protected override Tensor DF(Tensor x) => 0.5 * sqrt(x).reciprocal();
    protected override bool Increasing => true;
    protected override Tensor Convex(Tensor l, Tensor u) => zeros_like(l, dtype: ScalarType.Bool);

    protected override void CheckDomain(Node node, Tensor l, Tensor u) =>
        OperatorDomainException.ThrowWhere(node, l.lt(0).logical_or(l.isnan()), l, u,
            "the square root needs a nonnegative input (it is undefined below 0), so Certify does not bound it on this box");
}
