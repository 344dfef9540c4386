using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Convolution (1-d, 2-d, 3-d). IBP in centre/radius form (<c>conv(c, W) + b ± conv(r, |W|)</c>, <see cref="ConvolutionIbp"/>). CROWN: the adjoint of
/// a convolution is the transposed convolution with the same weight (<see cref="TransposedConvolution"/>, which works around a
/// float32 libtorch bug), so <c>A_in = conv_transpose(A, W)</c> with the
/// output padding that restores the input size; the constant is <c>Σ_c bias_c · Σ_spatial A</c>.
/// </summary>
public sealed class ConvRule : AffineRule<ConvOp>, IPatchesRule
{
    /// <summary>A 2-d convolution without groups or dilation is a plain window map (<see cref="ConvPatches"/>); others keep the dense pass.</summary>
    public PatchWindow? Window(Node node)
    {
        var op = (ConvOp)node.Op;
        if (op.SpatialDims != 2 || op.Groups != 1 || op.Dilations.Any(d => d != 1)) return null;
        return new PatchWindow(op.Weight, op.Bias, op.Strides, op.Pads.Take(2).ToArray());
    }

    /// <summary>The adjoint on a batch of output windows: the transposed convolution with the op's stride and no padding.</summary>
    public Tensor TransposePatches(Node node, Tensor patches)
    {
        var op = (ConvOp)node.Op;
        return TransposedConvolution.Apply2d(patches, op.Weight, null, op.Strides, new long[] { 0, 0 }, new long[] { 0, 0 }, new long[] { 1, 1 }, 1);
    }

    protected override bool WeightsAreEntries => true;

    protected override Interval Ibp(ConvOp op, Node node, IReadOnlyList<Interval> inputs) =>
        ConvolutionIbp.CentreRadius(inputs[0], op.Weight, op.Bias, op.Apply);

    protected override Tensor Adjoint(ConvOp op, BackwardStep step, Tensor a, int input)
    {
        long batch = a.shape[0], rows = a.shape[1];
        var inShape = step.InputNodes[0].Shape;            // [Cin, *spatialIn]
        var outShape = step.Node.Shape;                     // [Cout, *spatialOut]
        int sd = op.SpatialDims;
        var kernel = op.Weight.shape.Skip(2).ToArray();
        // The forward op pads explicitly when pads are asymmetric; transpose over the padded size and crop afterwards.
        var padBegin = new long[sd];
        var padEnd = new long[sd];
        var convPad = new long[sd];
        for (int i = 0; i < sd; i++)
        {
            if (op.SymmetricPads) convPad[i] = op.Pads[i];
            else { padBegin[i] = op.Pads[i]; padEnd[i] = op.Pads[i + sd]; }
        }
        var outPad = new long[sd];
        for (int i = 0; i < sd; i++)
        {
            long inSize = inShape[i + 1] + padBegin[i] + padEnd[i];
            long produced = (outShape[i + 1] - 1) * op.Strides[i] - 2 * convPad[i] + op.Dilations[i] * (kernel[i] - 1) + 1;
            outPad[i] = inSize - produced;
        }
        var flat = a.reshape(new[] { batch * rows }.Concat(outShape).ToArray());  // [B·S, Cout, *spatialOut]
        Tensor x = sd switch
        {
            1 => TransposedConvolution.Apply2d(flat.unsqueeze(-2), op.Weight.unsqueeze(-2), null, new[] { 1, op.Strides[0] },
                    new[] { 0, convPad[0] }, new[] { 0, outPad[0] }, new[] { 1, op.Dilations[0] }, op.Groups).squeeze(-2),
            2 => TransposedConvolution.Apply2d(flat, op.Weight, null, op.Strides, convPad, outPad, op.Dilations, op.Groups),
            3 => TransposedConvolution.Apply3d(flat, op.Weight, null, op.Strides, convPad, outPad, op.Dilations, op.Groups),
            _ => throw new NotSupportedException($"node '{step.Node.Name}' (Conv): {sd} spatial dimensions are not supported")
        };
        for (int i = 0; i < sd; i++)
            if (padBegin[i] != 0 || padEnd[i] != 0) x = x.narrow(i + 2, padBegin[i], inShape[i + 1]);
        return x.reshape(WithRows(a, inShape));
    }

    protected override Tensor? Offset(ConvOp op, BackwardStep step, Tensor a)
    {
        if (op.Bias is null) return null;
        var perChannel = a.reshape(a.shape[0], a.shape[1], a.shape[2], -1).sum(-1); // [B, S, Cout]
        return matmul(perChannel, op.Bias);
    }
}
