using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Log: increasing and concave on x &gt; 0 (chord below, midpoint tangent above). An input whose lower bound is 0 or
/// below is refused (<see cref="OperatorDomainException"/>): the logarithm is −∞ at 0 and undefined below.
/// </summary>
public sealed class LogRule : CurvedMonotoneRule<LogOp>
{
    protected override Tensor F(Tensor x) => log(x);
    protected override Tensor DF(Tensor x) => x.reciprocal();
    protected override bool Increasing => true;
    protected override Tensor Convex(Tensor l, Tensor u) => zeros_like(l, dtype: ScalarType.Bool);

    protected override void CheckDomain(Node node, Tensor l, Tensor u) =>
        OperatorDomainException.ThrowWhere(node, l.le(0).logical_or(l.isnan()), l, u,
            "the logarithm needs an input bounded away from 0 (it is −∞ at 0 and undefined below), so Certify does not bound it on this box");
}
