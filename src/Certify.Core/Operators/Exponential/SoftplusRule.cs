using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Softplus: increasing and convex (midpoint tangent below, chord above); its derivative is the sigmoid.</summary>
public sealed class SoftplusRule : CurvedMonotoneRule<SoftplusOp>
{
    protected override Tensor F(Tensor x) => SoftplusOp.Of(x);
    protected override Tensor DF(Tensor x) => sigmoid(x);
    protected override bool Increasing => true;
    protected override Tensor Convex(Tensor l, Tensor u) => ones_like(l, dtype: ScalarType.Bool);
}
