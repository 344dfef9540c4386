using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Elementwise max of two variables: see <see cref="PairMaxLines"/>.</summary>
public sealed class MaxRule : PairExtremumRule<MaxOp>
{
    protected override PairMaxLines Lines(Tensor la, Tensor ua, Tensor lb, Tensor ub) => PairMaxLines.ForMax(la, ua, lb, ub);
    protected override Tensor Pick(Tensor a, Tensor b) => maximum(a, b);
}
