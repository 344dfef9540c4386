using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Average pooling: a linear map with nonnegative weights, so IBP pools the lower and upper bounds. CROWN uses the exact
/// adjoint, obtained as the vector-Jacobian product of the pooling (it is linear, so the product does not depend on the
/// point), which covers every padding, count-include-pad and ceil-mode combination with one code path.
/// </summary>
public sealed class AvgPoolRule : AffineRule<AvgPoolOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(AvgPoolOp op, Node node, IReadOnlyList<Interval> inputs) =>
        Monotone(inputs[0], t => op.Forward(new[] { t }));

    protected override Tensor Adjoint(AvgPoolOp op, BackwardStep step, Tensor a, int input) =>
        LinearAdjoint.Vjp(x => op.Forward(new[] { x }), a, step.InputNodes[0].Shape, step.Node.Shape);
}

/// <summary>Adjoint of a linear, bias-free per-sample map through autograd.</summary>
static class LinearAdjoint
{
    /// <summary><c>Mᵀ·A</c> for <c>f(x) = M·x</c>: A <c>[B, S, *out]</c> → <c>[B, S, *in]</c>, differentiable in A.</summary>
    public static Tensor Vjp(Func<Tensor, Tensor> f, Tensor a, long[] inShape, long[] outShape)
    {
        long rows = a.shape[0] * a.shape[1];
        using var _ = enable_grad();
        using var x = zeros(new[] { rows }.Concat(inShape).ToArray(), a.dtype, a.device, requires_grad: true);
        using var y = f(x);
        var g = a.reshape(new[] { rows }.Concat(outShape).ToArray());
        var grads = autograd.grad(new[] { y }, new[] { x }, new[] { g }, retain_graph: false, create_graph: a.requires_grad);
        return grads[0].reshape(new[] { a.shape[0], a.shape[1] }.Concat(inShape).ToArray());
    }
}
