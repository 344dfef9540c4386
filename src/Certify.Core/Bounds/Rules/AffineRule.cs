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

    /// <summary><c>[B, S, *shape]</c> for the given per-sample shape.</summary>
    protected static long[] WithRows(Tensor a, IReadOnlyList<long> shape)
    {
        var s = new long[shape.Count + 2];
        s[0] = a.shape[0]; s[1] = a.shape[1];
        for (int i = 0; i < shape.Count; i++) s[i + 2] = shape[i];
        return s;
    }
}
