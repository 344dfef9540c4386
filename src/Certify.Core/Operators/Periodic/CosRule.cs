using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Cosine as <c>sin(x + π/2)</c>: the same exact range and chord ± (u−l)²/8 relaxation as <see cref="SinRule"/>.</summary>
public sealed class CosRule : ElementwiseRule<CosOp>
{
    protected override Interval Ibp(CosOp op, Node node, IReadOnlyList<Interval> inputs) =>
        SinRule.SineBounds(inputs[0].Lower + Math.PI / 2, inputs[0].Upper + Math.PI / 2);

    protected override Relaxation Relaxation(CosOp op, Tensor l, Tensor u) => SinRule.SineRelaxation(l, u, cos, Math.PI / 2);

    /// <summary>As for sine: the weights of the shifted chord in the lower and upper lines.</summary>
    protected override int ParameterCount(CosOp op) => 2;

    protected override Tensor[] InitialParameters(CosOp op, Tensor l, Tensor u) => SinRule.SineInitialParameters(l, u, cos, Math.PI / 2);

    protected override Relaxation ParameterisedRelaxation(CosOp op, Tensor l, Tensor u, IReadOnlyList<Tensor> theta) =>
        SinRule.SineRelaxation(l, u, cos, Math.PI / 2, theta[0], theta[1]);
}
