using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Reciprocal <c>1/y</c>: decreasing on each side of 0, convex on y &gt; 0 and concave on y &lt; 0. IBP is
/// <c>[1/u, 1/l]</c> on either side; CROWN takes the midpoint tangent and the chord (slope <c>−1/(l·u)</c>), below and
/// above on y &gt; 0, the other way round on y &lt; 0.
/// <para>
/// A divisor interval that contains or touches 0 is refused with an <see cref="OperatorDomainException"/> naming the
/// node, the element and its bounds: 1/y is unbounded there, and an interval of (−∞, ∞) would only turn every later
/// bound into NaN. So is a divisor so close to 0 that 1/y overflows the dtype. The verifier reports that message as
/// the reason of an <c>unknown</c> verdict.
/// </para>
/// </summary>
public sealed class ReciprocalRule : CurvedMonotoneRule<ReciprocalOp>
{
    protected override Tensor F(Tensor x) => x.reciprocal();
    protected override Tensor DF(Tensor x) => -(x * x).reciprocal();
    protected override bool Increasing => false;
    protected override Tensor Convex(Tensor l, Tensor u) => l.gt(0);

    protected override void CheckDomain(Node node, Tensor l, Tensor u) =>
        OperatorDomainException.ThrowWhere(node, l.le(0).logical_and(u.ge(0)).logical_or(l.isnan()).logical_or(u.isnan()), l, u,
            "the divisor's interval contains 0, where 1/y is unbounded; Certify does not bound a division across 0 (bound the divisor away from 0, or split the input region)");
}
