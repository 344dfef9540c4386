using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Base of the rules of elementwise functions that are monotone and, on each input box, either convex or concave
/// (Exp, Log, Sqrt, Softplus, Reciprocal on one side of 0).
/// <list type="bullet">
/// <item>IBP: the function of the endpoints, exact (in the order the monotonicity gives).</item>
/// <item>CROWN: where f is convex on <c>[l, u]</c>, the tangent at the midpoint below and the chord above; where it is
/// concave, the chord below and the tangent above. Both lines are widened outward by
/// <see cref="ElementwiseLines.Margin"/> against rounding. A box too narrow for a chord gets the interval constants.</item>
/// <item>Forward mode: the same lines applied to the input's linear bounds.</item>
/// <item>Branching: every neuron wider than a relative 10⁻³ may be split, at the point that minimises the two children's
/// relaxation areas (<see cref="ElementwiseRule{TOp}.MinimumAreaPoint"/>: for a convex f with the chord above and the
/// midpoint tangent below the area of a child is <c>(b − a)·((f(a) + f(b))/2 − f(m))</c>, and the best split is near the
/// middle for Exp on a narrow box, but well right of it on a wide one, where the curvature is); the relaxation's error is
/// the exact gap of the convex side and a tight upper bound of the concave one (<see cref="LineGaps.OneCurvature"/>). A
/// child stays inside the domain (it is a sub-interval), so splitting never leaves it.</item>
/// </list>
/// A box outside the function's domain is refused with an <see cref="OperatorDomainException"/> naming the node and
/// the element (see <see cref="CheckDomain"/>), and so is an output bound that overflows the dtype.
/// </summary>
public abstract class CurvedMonotoneRule<TOp> : ElementwiseRule<TOp> where TOp : Op
{
    /// <summary>The function (the op's own forward, so that bounds and forward round alike).</summary>
    protected abstract Tensor F(Tensor x);

    /// <summary>Its derivative.</summary>
    protected abstract Tensor DF(Tensor x);

    /// <summary>True when f is nondecreasing on every box of its domain, false when nonincreasing.</summary>
    protected abstract bool Increasing { get; }

    /// <summary>Per element, true where f is convex on <c>[l, u]</c> (else it is concave there).</summary>
    protected abstract Tensor Convex(Tensor l, Tensor u);

    /// <summary>Throws <see cref="OperatorDomainException"/> when some box leaves the domain; the default accepts every box.</summary>
    protected virtual void CheckDomain(Node node, Tensor l, Tensor u) { }

    public override bool ExactImageOfInput => true;

    protected override Interval Ibp(TOp op, Node node, IReadOnlyList<Interval> inputs)
    {
        var x = inputs[0];
        CheckDomain(node, x.Lower, x.Upper);
        var box = Range(x.Lower, x.Upper);
        OperatorDomainException.RequireFinite(node, x, box);
        return box;
    }

    Interval Range(Tensor l, Tensor u)
    {
        var a = F(l); var b = F(u);
        return Increasing ? new Interval(a, b) : new Interval(b, a);
    }

    public override BackwardResult Backward(BackwardStep step)
    {
        CheckDomain(step.Node, step.Inputs[0].Lower, step.Inputs[0].Upper);
        return base.Backward(step);
    }

    public override LinearBounds? Forward(Node node, IReadOnlyList<LinearBounds> inputs, IReadOnlyList<Interval> inputBounds)
    {
        var x = inputBounds[0];
        CheckDomain(node, x.Lower, x.Upper);
        return base.Forward(node, inputs, inputBounds);
    }

    protected override Relaxation Relaxation(TOp op, Tensor l, Tensor u)
    {
        var box = Range(l, u);
        var fl = F(l); var fu = F(u);
        var narrow = ElementwiseLines.Narrow(l, u);
        var safeWidth = where(narrow, ones_like(l), u - l);
        var chordK = (fu - fl) / safeWidth;
        var chordB = fl - chordK * l;
        // The midpoint of a narrow box is replaced by l so that the tangent stays defined (its lines are not used).
        var m = where(narrow, l, (l + u) / 2);
        var tanK = DF(m);
        var tanB = F(m) - tanK * m;
        var convex = Convex(l, u);
        var lK = where(convex, tanK, chordK); var lB = where(convex, tanB, chordB);
        var uK = where(convex, chordK, tanK); var uB = where(convex, chordB, tanB);
        var zero = zeros_like(l);
        lK = where(narrow, zero, lK); lB = where(narrow, box.Lower, lB);
        uK = where(narrow, zero, uK); uB = where(narrow, box.Upper, uB);
        return ElementwiseLines.Widened(lK, lB, uK, uB, l, u, box);
    }

    protected override bool Branchable(TOp op) => true;

    protected override (Tensor Lower, Tensor Upper) RelaxationError(TOp op, Tensor l, Tensor u)
    {
        using var noGrad = no_grad();
        var lo = l.detach(); var hi = u.detach();
        return LineGaps.OneCurvature(F, DF, Convex(lo, hi), Relaxation(op, lo, hi), lo, hi);
    }
}
