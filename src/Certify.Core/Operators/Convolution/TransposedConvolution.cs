using Certify.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// The one place Certify calls libtorch's transposed convolution (the ConvTranspose op and the adjoint of Conv in CROWN).
/// <para>
/// libtorch 2.10's CPU kernel for float32 <c>conv_transpose2d</c> returns wrong values for batches of more than one
/// sample on this project's machines (AVX-512 EPYC; errors of order 10 on unit-scale data, with one or two threads),
/// while float64 and batch 1 are right. CROWN's Conv adjoint runs on batches of coefficient rows, so float32 bounds
/// through a Conv were unsound (found by the planted soundness benchmark: unsat on instances with a counterexample).
/// Float32 CPU tensors are therefore transposed-convolved in float64 and cast back; a test compares this against float64
/// so that a fixed libtorch can be noticed and the detour dropped.
/// </para>
/// </summary>
public static class TransposedConvolution
{
    /// <summary>2-d transposed convolution, as <c>nn.functional.conv_transpose2d</c>, computed safely for float32 on the CPU.</summary>
    public static Tensor Apply2d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] outputPadding, long[] dilations, long groups) =>
        Detour(x, weight, bias, (input, w, b) => nn.functional.conv_transpose2d(input, w, b, strides, pads, outputPadding, dilations, groups));

    /// <summary>3-d transposed convolution, as <c>nn.functional.conv_transpose3d</c>, computed safely for float32 on the CPU.</summary>
    public static Tensor Apply3d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] outputPadding, long[] dilations, long groups) =>
        Detour(x, weight, bias, (input, w, b) => nn.functional.conv_transpose3d(input, w, b, strides, pads, outputPadding, dilations, groups));

    /// <summary>Runs <paramref name="kernel"/> as it is, or in float64 and cast back where the float32 CPU kernel is wrong.</summary>
    static Tensor Detour(Tensor x, Tensor weight, Tensor? bias, Func<Tensor, Tensor, Tensor?, Tensor> kernel)
    {
        if (!NeedsDetour(x)) return kernel(x, weight, bias);
        var f64 = ScalarType.Float64;
        return kernel(x.to_type(f64), weight.to_type(f64), bias?.to_type(f64)).to_type(x.dtype);
    }

    static bool NeedsDetour(Tensor x) => x.dtype != ScalarType.Float64 && x.device_type == DeviceType.CPU;
}
