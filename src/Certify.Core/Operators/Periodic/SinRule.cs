using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Sine. IBP is exact: the bounds are the endpoint values unless a maximum (π/2 + 2kπ) or minimum (−π/2 + 2kπ) lies in
/// the box. CROWN: tangent and chord where sine is convex or concave on the box, the chord ± <c>M·w²/8</c> where it
/// changes curvature, or the interval constants where those are tighter; alpha-CROWN mixes lines and constants; branch and
/// bound splits it, preferring inflection points. All of it lives in <see cref="Sine"/>, shared with <see cref="CosRule"/>.
/// </summary>
public sealed class SinRule : ElementwiseRule<SinOp>
{
    static Tensor DF(Tensor x) => cos(x);

    protected override Interval Ibp(SinOp op, Node node, IReadOnlyList<Interval> inputs) => Sine.Bounds(inputs[0].Lower, inputs[0].Upper);

    protected override Relaxation Relaxation(SinOp op, Tensor l, Tensor u) => Sine.Relaxation(l, u, sin, DF, 0);

    /// <summary>Two parameters per neuron: the weight of the line against the constant in the lower (θ₀) and upper (θ₁) bound.</summary>
    protected override int ParameterCount(SinOp op) => 2;

    protected override Tensor[] InitialParameters(SinOp op, Tensor l, Tensor u) => Sine.InitialParameters(l, u, sin, DF, 0);

    protected override Relaxation ParameterisedRelaxation(SinOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) =>
        Sine.Parameterised(l, u, sin, DF, 0, theta[0], theta[1]);

    protected override bool Branchable(SinOp op) => true;

    protected override Tensor? CurvatureBound(SinOp op, Tensor l, Tensor u) => Sine.Curvature(l, u, 0);

    protected override Tensor? PreferredPoints(SinOp op, Tensor l, Tensor u) => Sine.PreferredPoints(l, u, 0);
}
