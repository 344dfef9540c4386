using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Cosine as <c>sin(x + π/2)</c> (computed as cos): the exact range, relaxation and branching of <see cref="Sine"/>.</summary>
public sealed class CosRule : ElementwiseRule<CosOp>
{
    const double Shift = Math.PI / 2;

    static Tensor DF(Tensor x) => -sin(x);

    protected override Interval Ibp(CosOp op, Node node, IReadOnlyList<Interval> inputs) => Sine.Bounds(inputs[0].Lower, inputs[0].Upper, Shift);

    protected override Relaxation Relaxation(CosOp op, Tensor l, Tensor u) => Sine.Relaxation(l, u, cos, DF, Shift);

    /// <summary>As for sine: the weights of the lines against the constants.</summary>
    protected override int ParameterCount(CosOp op) => 2;

    protected override Tensor[] InitialParameters(CosOp op, Tensor l, Tensor u) => Sine.InitialParameters(l, u, cos, DF, Shift);

    protected override Relaxation ParameterisedRelaxation(CosOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) =>
        Sine.Parameterised(l, u, cos, DF, Shift, theta[0], theta[1]);

    protected override bool Branchable(CosOp op) => true;

    protected override Tensor? CurvatureBound(CosOp op, Tensor l, Tensor u) => Sine.Curvature(l, u, Shift);

    protected override Tensor? PreferredPoints(CosOp op, Tensor l, Tensor u) => Sine.PreferredPoints(l, u, Shift);
}
