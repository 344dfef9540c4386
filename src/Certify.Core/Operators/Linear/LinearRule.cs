using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// <c>y = x·Wᵀ + b</c> on the last axis. IBP in centre/radius form (<c>W·c + b ± |W|·r</c>, exact for one layer);
/// CROWN: <c>A_in = A·W</c>, constant <c>A·b</c>.
/// </summary>
public sealed class LinearRule : AffineRule<LinearOp>
{
    protected override Interval Ibp(LinearOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        var c = nn.functional.linear(x.Center(), op.Weight, op.Bias);
        var r = nn.functional.linear(x.Radius(), op.Weight.abs());
        return new Interval(c - r, c + r);
    }

    protected override Tensor Adjoint(LinearOp op, BackwardStep step, Tensor a, int input) => matmul(a, op.Weight); // [B,S,...,out]·[out,in]

    /// <summary>Lower line: <c>W⁺·L + W⁻·U + b</c>; upper line: <c>W⁺·U + W⁻·L + b</c> (coefficients <c>[B, ..., in, d]</c>).</summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var op = (LinearOp)node.Op;
        var x = inputs[0];
        var wp = op.Weight.clamp_min(0); var wn = op.Weight.clamp_max(0);                // [out, in]
        // As [B, ..., d, in]·Wᵀ: one GEMM over all sub-problems and columns. W·X with X [B, ..., in, d] would broadcast
        // W into a batched product of tiny matrices, about 3x slower (it dominated input-split look-ahead on ACAS Xu).
        // The results are made contiguous again: later ops on the transposed layout (concretisation) run 5-10x slower.
        var xl = x.LowerW.transpose(-1, -2); var xu = x.UpperW.transpose(-1, -2);        // [B, ..., d, in]
        var lw = (nn.functional.linear(xl, wp) + nn.functional.linear(xu, wn)).transpose(-1, -2).contiguous();   // [B, ..., out, d]
        var uw = (nn.functional.linear(xu, wp) + nn.functional.linear(xl, wn)).transpose(-1, -2).contiguous();
        var lb = nn.functional.linear(x.LowerB, wp, op.Bias) + nn.functional.linear(x.UpperB, wn);
        var ub = nn.functional.linear(x.UpperB, wp, op.Bias) + nn.functional.linear(x.LowerB, wn);
        return new LinearBounds(lw, lb, uw, ub);
    }

    protected override Tensor? Offset(LinearOp op, BackwardStep step, Tensor a)
    {
        if (op.Bias is null) return null;
        var t = matmul(a, op.Bias); // [B, S, ...]
        return t.dim() == 2 ? t : t.reshape(a.shape[0], a.shape[1], -1).sum(-1);
    }
}
