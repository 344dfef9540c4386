using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Graph.Ops;

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
    public static Tensor Apply2d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] outputPadding, long[] dilations, long groups)
    {
        if (!NeedsDetour(x)) return nn.functional.conv_transpose2d(x, weight, bias, strides, pads, outputPadding, dilations, groups);
        var y = nn.functional.conv_transpose2d(x.to_type(ScalarType.Float64), weight.to_type(ScalarType.Float64),
            bias?.to_type(ScalarType.Float64), strides, pads, outputPadding, dilations, groups);
        return y.to_type(x.dtype);
    }

    /// <summary>3-d transposed convolution, as <c>nn.functional.conv_transpose3d</c>, computed safely for float32 on the CPU.</summary>
    public static Tensor Apply3d(Tensor x, Tensor weight, Tensor? bias, long[] strides, long[] pads, long[] outputPadding, long[] dilations, long groups)
    {
        if (!NeedsDetour(x)) return nn.functional.conv_transpose3d(x, weight, bias, strides, pads, outputPadding, dilations, groups);
        var y = nn.functional.conv_transpose3d(x.to_type(ScalarType.Float64), weight.to_type(ScalarType.Float64),
            bias?.to_type(ScalarType.Float64), strides, pads, outputPadding, dilations, groups);
        return y.to_type(x.dtype);
    }

    static bool NeedsDetour(Tensor x) => x.dtype != ScalarType.Float64 && x.device_type == DeviceType.CPU;
}
