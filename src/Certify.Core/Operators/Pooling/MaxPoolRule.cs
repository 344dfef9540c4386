using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Max pooling: nondecreasing in every input, so IBP pools the lower and upper bounds.
/// <para>
/// CROWN: the output of a window is at least any convex combination <c>Σ λ_k·x_k</c> of its inputs (it is at least each
/// of them), and at most the largest upper bound of the window, a constant; when one input's lower bound reaches every
/// other input's upper bound, the output is that input exactly (both lines). CROWN's lower line is the input with the
/// largest lower bound; alpha-CROWN optimises the weights λ, parameterised as <c>λ = θ/Σθ</c> over the window's real
/// (not padded) inputs with θ ∈ [0, 1] per window element (uniform where every θ is 0), <c>[B, S, K, *shape]</c> for a
/// window of K elements. Padding counts as −∞ and never enters a line.
/// </para>
/// </summary>
public sealed class MaxPoolRule : BoundRule<MaxPoolOp>, IOptimisableRule
{
    public override bool NeedsInputBounds => true;

    protected override Interval Ibp(MaxPoolOp op, Node node, IReadOnlyList<Interval> inputs) => Monotone(inputs[0], t => op.Forward(new[] { t }));

    public long[]? ParameterShape(Node node) => new[] { WindowSize((MaxPoolOp)node.Op) }.Concat(node.Shape).ToArray();

    /// <summary>CROWN's choice: one-hot on the window input with the largest lower bound.</summary>
    public Tensor InitialParameters(Node node, IReadOnlyList<Interval> inputs)
    {
        var op = (MaxPoolOp)node.Op;
        var w = Windows.Of(op, InputShape(inputs[0]), node.Shape, inputs[0].Lower.device);
        var (l, _) = w.Gather(inputs[0]);                                                  // [B, C, P, K]
        var best = l.argmax(-1, keepdim: true);
        var oneHot = zeros_like(l).scatter(-1, best, ones_like(l));
        return oneHot.permute(0, 3, 1, 2).reshape(ComputationGraph.ShapeWithBatch(l.shape[0], ParameterShape(node)!));
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        var op = (MaxPoolOp)step.Node.Op;
        var input = step.Inputs[0];
        var w = Windows.Of(op, InputShape(input), step.Node.Shape, input.Lower.device);
        var (l, u) = w.Gather(input);                                                      // [B, C, P, K], padding at −inf
        long batch = l.shape[0], channels = l.shape[1], positions = l.shape[2], k = l.shape[3];
        var best = l.argmax(-1, keepdim: true);                                            // [B, C, P, 1]
        var oneHot = zeros_like(l).scatter(-1, best, ones_like(l));
        var bestL = l.gather(-1, best);
        var othersU = where(oneHot.gt(0), full_like(u, double.NegativeInfinity), u).amax(new[] { -1L }, keepdim: true);
        var dominated = bestL.ge(othersU).unsqueeze(1);                                    // [B, 1, C, P, 1]: output = the best input
        var top = u.amax(new[] { -1L }, keepdim: true).unsqueeze(1);                         // [B, 1, C, P, 1]
        var exact = oneHot.unsqueeze(1) * dominated.to_type(l.dtype);                     // upper line's input weights
        var upperConst = where(dominated, zeros_like(top), top).squeeze(-1);               // [B, 1, C, P]
        var valid = w.Valid.to_type(l.dtype);                                              // [P, K]

        // Lower line weights λ per row: [B, S, C, P, K] (or [B, 1, ...] for CROWN's one-hot).
        Tensor Lambda(Tensor? theta)
        {
            if (theta is null) return oneHot.unsqueeze(1);
            long rows = theta.shape[1];
            var t = theta.clamp(0, 1).reshape(batch, rows, k, channels, positions).permute(0, 1, 3, 4, 2) * valid;
            var sum = t.sum(-1, keepdim: true);
            var uniform = valid / valid.sum(-1, keepdim: true);
            return where(sum.gt(0), t / where(sum.gt(0), sum, ones_like(sum)), uniform);
        }

        // One pass: coefficients ≥ 0 take the line on the pass's side (lower pass: the lower line), the others the other line.
        (Tensor A, Tensor Bias) Through(Tensor a, Tensor lambda, bool lowerPass)
        {
            long rows = a.shape[1];
            var flat = a.reshape(batch, rows, channels, positions, 1);
            var pos = flat.clamp_min(0); var neg = flat.clamp_max(0);
            var (onLower, onUpper) = lowerPass ? (pos, neg) : (neg, pos);
            var weights = onLower * lambda + onUpper * exact;                                // [B, S, C, P, K]
            var bias = Relax.Dot(onUpper.squeeze(-1), upperConst);
            var target = zeros(new[] { batch, rows, channels, w.InputPositions }, dtype: a.dtype, device: a.device);
            var index = w.Index.reshape(1, 1, 1, positions * k).expand(batch, rows, channels, positions * k);
            var back = target.scatter_add(3, index, weights.reshape(batch, rows, channels, positions * k));
            return (back.reshape(ComputationGraph.ShapeWithBatch(batch, new[] { rows }.Concat(step.InputNodes[0].Shape).ToArray())), bias);
        }

        var r = new BackwardResult(1);
        if (step.LowerA is { } la) (r.LowerA[0], r.LowerBias) = Through(la, Lambda(step.AlphaLowerPass), true);
        if (step.UpperA is { } ua) (r.UpperA[0], r.UpperBias) = Through(ua, Lambda(step.AlphaUpperPass), false);
        return r;
    }

    static long WindowSize(MaxPoolOp op) => op.Kernel.Aggregate(1L, (a, b) => a * b);

    static long[] InputShape(Interval x) => x.Lower.shape.Skip(1).ToArray();

    /// <summary>
    /// The window of every output position as flat indices into the input's spatial positions: <c>Index [P, K]</c>
    /// (0 where the element is padding) and <c>Valid [P, K]</c>, P output positions, K kernel elements (a 1-d pool is a
    /// 2-d one of height 1). Positions past the input (padding, or the last windows of ceil mode) are not valid.
    /// </summary>
    sealed record Windows(Tensor Index, Tensor Valid, long InputPositions)
    {
        public static Windows Of(MaxPoolOp op, long[] inputShape, long[] outputShape, Device device)
        {
            bool oneD = op.Kernel.Length == 1;
            long[] Two(long[] v, long pad) => oneD ? new[] { pad, v[0] } : v;
            var kernel = Two(op.Kernel, 1); var stride = Two(op.Strides, 1); var pads = Two(op.Pads, 0); var dil = Two(op.Dilations, 1);
            long h = oneD ? 1 : inputShape[1], wIn = oneD ? inputShape[1] : inputShape[2];
            long oh = oneD ? 1 : outputShape[1], ow = oneD ? outputShape[1] : outputShape[2];
            long k = kernel[0] * kernel[1], p = oh * ow;
            var index = new long[p * k];
            var valid = new bool[p * k];
            for (long y = 0; y < oh; y++)
            for (long x = 0; x < ow; x++)
            for (long ky = 0; ky < kernel[0]; ky++)
            for (long kx = 0; kx < kernel[1]; kx++)
            {
                long iy = y * stride[0] - pads[0] + ky * dil[0], ix = x * stride[1] - pads[1] + kx * dil[1];
                long at = (y * ow + x) * k + ky * kernel[1] + kx;
                valid[at] = iy >= 0 && iy < h && ix >= 0 && ix < wIn;
                index[at] = valid[at] ? iy * wIn + ix : 0;
            }
            return new Windows(tensor(index, device: device).reshape(p, k), tensor(valid, device: device).reshape(p, k), h * wIn);
        }

        /// <summary>Lower and upper bounds of every window element, <c>[B, C, P, K]</c>, −∞ on padding.</summary>
        public (Tensor L, Tensor U) Gather(Interval x)
        {
            long batch = x.Lower.shape[0], channels = x.Lower.shape[1];
            long p = Index.shape[0], k = Index.shape[1];
            var flat = Index.reshape(-1);
            Tensor One(Tensor t) => where(Valid, t.reshape(batch, channels, InputPositions).index_select(2, flat).reshape(batch, channels, p, k),
                full(new[] { 1L, 1, p, k }, double.NegativeInfinity, dtype: t.dtype, device: t.device));
            return (One(x.Lower), One(x.Upper));
        }
    }
}
