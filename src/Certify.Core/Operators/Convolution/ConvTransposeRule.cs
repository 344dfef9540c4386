using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Transposed convolution. IBP in centre/radius form (<see cref="ConvolutionIbp"/>). CROWN: its adjoint is the ordinary convolution with the same
/// weight, stride, padding and dilation (which maps the output size back to the input size exactly).
/// </summary>
public sealed class ConvTransposeRule : AffineRule<ConvTransposeOp>
{
    protected override bool WeightsAreEntries => true;

    protected override Interval Ibp(ConvTransposeOp op, Node node, IReadOnlyList<Interval> inputs) =>
        ConvolutionIbp.CentreRadius(inputs[0], op.Weight, op.Bias, op.Apply);

    protected override Tensor Adjoint(ConvTransposeOp op, BackwardStep step, Tensor a, int input)
    {
        long batch = a.shape[0], rows = a.shape[1];
        var inShape = step.InputNodes[0].Shape;
        var flat = a.reshape(new[] { batch * rows }.Concat(step.Node.Shape).ToArray());
        var x = op.Strides.Length switch
        {
            1 => nn.functional.conv2d(flat.unsqueeze(-2), op.Weight.unsqueeze(-2), null, new[] { 1, op.Strides[0] }, new[] { 0, op.Pads[0] },
                    new[] { 1, op.Dilations[0] }, op.Groups).squeeze(-2),
            2 => nn.functional.conv2d(flat, op.Weight, null, op.Strides, op.Pads, op.Dilations, op.Groups),
            _ => throw new NotSupportedException($"node '{step.Node.Name}' (ConvTranspose): {op.Strides.Length} spatial dimensions are not supported")
        };
        return x.reshape(WithRows(a, inShape));
    }

    protected override Tensor? Offset(ConvTransposeOp op, BackwardStep step, Tensor a)
    {
        if (op.Bias is null) return null;
        var perChannel = a.reshape(a.shape[0], a.shape[1], a.shape[2], -1).sum(-1); // [B, S, Cout]
        return matmul(perChannel, op.Bias);
    }
}
