using Certify.Bounds;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// The interval rule shared by every convolution of this family (<see cref="ConvRule"/>, <see cref="ConvTransposeRule"/>):
/// centre/radius form, <c>y = conv(c, W) + b ± conv(r, |W|)</c>. Exact for one convolution over a box (each output
/// is one affine function of independent inputs). One home, so that the two rules cannot drift apart.
/// </summary>
internal static class ConvolutionIbp
{
    /// <summary>
    /// The box of <c>apply(x, W, b)</c> over the box <paramref name="x"/>; <paramref name="apply"/> is the op's own forward
    /// map with a given weight and bias (so that strides, pads, dilations, groups and output padding are the op's).
    /// </summary>
    public static Interval CentreRadius(Interval x, Tensor weight, Tensor? bias, Func<Tensor, Tensor, Tensor?, Tensor> apply)
    {
        var c = apply(x.Center(), weight, bias);
        var r = apply(x.Radius(), weight.abs(), null);
        return new Interval(c - r, c + r);
    }
}
