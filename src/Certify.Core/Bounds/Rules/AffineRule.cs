using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// Base of the rules of affine ops (<c>y = M·x + c</c>): CROWN is exact, the coefficients of the input are the adjoint
/// <c>Mᵀ·A</c> and the constant is <c>A·c</c>. Both passes use the same map.
/// </summary>
public abstract class AffineRule<TOp> : BoundRule<TOp> where TOp : Op
{
    /// <summary>Coefficients of input <paramref name="input"/> from the output's: <c>[B, S, *out]</c> → <c>[B, S, *in]</c>.</summary>
    protected abstract Tensor Adjoint(TOp op, BackwardStep step, Tensor a, int input);

    /// <summary>The constant term <c>A·c</c> as <c>[B, S]</c>, or null when the op has no offset.</summary>
    protected virtual Tensor? Offset(TOp op, BackwardStep step, Tensor a) => null;

    /// <summary>Both passes apply the same linear maps (<see cref="Adjoint"/>, <see cref="Offset"/>) to their coefficients.</summary>
    public override bool MirroredPasses => true;

    /// <inheritdoc cref="MirroredPasses"/>
    public override bool LinearBackward => true;

    public override BackwardResult Backward(BackwardStep step)
    {
        var op = (TOp)step.Node.Op;
        int n = step.InputNodes.Count;
        var r = new BackwardResult(n);
        if (step.LowerA is { } la)
        {
            for (int k = 0; k < n; k++) r.LowerA[k] = Adjoint(op, step, la, k);
            r.LowerBias = Offset(op, step, la);
        }
        if (step.UpperA is { } ua)
        {
            if (ReferenceEquals(ua, step.LowerA))
            {
                // Both passes carry the same coefficients (e.g. the identity that starts an intermediate pass): map once.
                for (int k = 0; k < n; k++) r.UpperA[k] = r.LowerA[k];
                r.UpperBias = r.LowerBias;
            }
            else
            {
                for (int k = 0; k < n; k++) r.UpperA[k] = Adjoint(op, step, ua, k);
                r.UpperBias = Offset(op, step, ua);
            }
        }
        return r;
    }

    /// <summary>
    /// True when the op's linear part has no negative entry (moving, selecting, padding, summing or averaging elements):
    /// forward mode then maps lower and upper bounds through the op itself (<see cref="Forward"/>). Ops with weights of
    /// both signs (Linear, Conv) override <see cref="Forward"/> instead.
    /// </summary>
    protected virtual bool PositiveMap => false;

    /// <summary>
    /// For a <see cref="PositiveMap"/> op <c>y = M·x + c</c> with M ≥ 0: lower bounds map to lower bounds. Coefficients
    /// <c>[B, *in, d]</c> go through the linear part <c>M·W = op(W) − op(0)</c> with the d input columns as a batch,
    /// constants through the op itself (which adds c). Other ops: the base rule's interval constants.
    /// </summary>
    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        if (PositiveMap)
        {
            var zero = Zero(node.Op, inputs);
            return new LinearBounds(Linear(node.Op, zero, inputs, x => x.LowerW), node.Op.Forward(inputs.Select(x => x.LowerB).ToArray()),
                                    Linear(node.Op, zero, inputs, x => x.UpperW), node.Op.Forward(inputs.Select(x => x.UpperB).ToArray()));
        }
        if (!WeightsAreEntries || inputs.Count != 1) return base.Forward(node, inputs, inputBounds);
        // y = M·x + c with M = M⁺ + M⁻, each the op with its parameters clamped (their offsets cancel: only the linear
        // parts are used, and c is added once): lower = M⁺·L + M⁻·U + c, upper = M⁺·U + M⁻·L + c.
        var pos = node.Op.MapParameters(t => t.clamp_min(0));
        var neg = node.Op.MapParameters(t => t.clamp_max(0));
        var x = inputs[0];
        var c = Zero(node.Op, inputs);
        var (zPos, zNeg) = (Zero(pos, inputs), Zero(neg, inputs));     // each op's offset, computed once
        return new LinearBounds(
            Linear(pos, zPos, inputs, v => v.LowerW) + Linear(neg, zNeg, inputs, v => v.UpperW),
            pos.Forward(new[] { x.LowerB }) - zPos + neg.Forward(new[] { x.UpperB }) - zNeg + c,
            Linear(pos, zPos, inputs, v => v.UpperW) + Linear(neg, zNeg, inputs, v => v.LowerW),
            pos.Forward(new[] { x.UpperB }) - zPos + neg.Forward(new[] { x.LowerB }) - zNeg + c);
    }

    /// <summary>
    /// True when every entry of the op's linear part is one element of its parameters (Conv, ConvTranspose: each pair of
    /// input and output elements meets at one kernel tap at most), so the op with its parameters clamped to ≥ 0 (≤ 0) is
    /// the positive (negative) part of its linear map.
    /// </summary>
    protected virtual bool WeightsAreEntries => false;

    /// <summary>The op's output at zero input, <c>[1, *out]</c>: its offset c.</summary>
    static Tensor Zero(Op op, IReadOnlyList<LinearBounds> inputs) =>
        op.Forward(inputs.Select(x => zeros(new[] { 1L }.Concat(x.LowerB.shape.Skip(1)).ToArray(), x.LowerB.dtype, x.LowerB.device)).ToArray());

    /// <summary>
    /// The op's linear part applied to forward coefficients <c>[B, *in, d]</c> (chosen by <paramref name="pick"/> from each
    /// input): the d input columns become a batch, <c>op(W) − op(0)</c> with op(0) given as <paramref name="zero"/>, and the result is <c>[B, *out, d]</c>.
    /// </summary>
    static Tensor Linear(Op op, Tensor zero, IReadOnlyList<LinearBounds> inputs, Func<LinearBounds, Tensor> pick)
    {
        long batch = inputs[0].LowerB.shape[0], d = inputs[0].LowerW.shape[^1];
        Tensor Columns(Tensor w) => w.movedim(new[] { -1L }, new[] { 1L }).reshape(new[] { batch * d }.Concat(w.shape.Skip(1).SkipLast(1)).ToArray());
        var y = op.Forward(inputs.Select(x => Columns(pick(x))).ToArray()) - zero;     // [B·d, *out]
        return y.reshape(new[] { batch, d }.Concat(y.shape.Skip(1)).ToArray()).movedim(new[] { 1L }, new[] { -1L });      // [B, *out, d]
    }

    /// <summary><c>[B, S, *shape]</c> for the given per-sample shape.</summary>
    protected static long[] WithRows(Tensor a, IReadOnlyList<long> shape)
    {
        var s = new long[shape.Count + 2];
        s[0] = a.shape[0]; s[1] = a.shape[1];
        for (int i = 0; i < shape.Count; i++) s[i + 2] = shape[i];
        return s;
    }
}
