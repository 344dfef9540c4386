using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Checks the operands of a <c>matmul</c> before libtorch sees them. TorchSharp 0.107's <c>matmul</c> does not raise an
/// error on operands it cannot multiply: the C++ exception escapes and the whole process aborts (exit 134, no message),
/// which the fuzzer found with ONNX files whose constant MatMul or Gemm operands disagree in shape or dtype (checked:
/// shape, dtype and batch mismatches all end in <c>terminate</c>; <c>linear</c>, <c>conv2d</c> and <c>*</c> raise
/// catchable errors). Every matmul over constants taken from a file goes through <see cref="MatMul"/>.
/// </summary>
public static class MatMulCheck
{
    /// <summary><c>a.matmul(b)</c>, or <paramref name="error"/>'s exception naming the problem when libtorch would abort.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, Func<string, Exception> error) =>
        Problem(a, b) is { } why
            ? throw error($"cannot multiply {Shape(a)} ({a.dtype}) by {Shape(b)} ({b.dtype}): {why}")
            : a.matmul(b);

    /// <summary>What torch.matmul would reject, or null (its rules: at least 1-D operands, equal dtypes, matching inner sizes, broadcastable batch dimensions).</summary>
    public static string? Problem(Tensor a, Tensor b)
    {
        long[] x = a.shape, y = b.shape;
        if (x.Length == 0 || y.Length == 0) return "an operand is 0-D";
        if (a.dtype != b.dtype) return "the element types differ";
        long k1 = x[^1], k2 = y.Length == 1 ? y[0] : y[^2];
        if (k1 != k2) return $"inner sizes {k1} and {k2} differ";
        var bx = x.Length > 2 ? x[..^2] : [];
        var by = y.Length > 2 ? y[..^2] : [];
        for (int i = 1; i <= Math.Min(bx.Length, by.Length); i++)
        {
            long p = bx[^i], q = by[^i];
            if (p != q && p != 1 && q != 1) return $"batch sizes {p} and {q} do not broadcast";
        }
        return null;
    }

    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
