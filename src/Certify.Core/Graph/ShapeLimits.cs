namespace Certify.Graph;

/// <summary>
/// Size limits on tensors, checked before anything is allocated. An ONNX file of 77 bytes can declare an input of 2^31
/// elements, and 245 bytes can fold a <c>ConstantOfShape</c> of 8 GiB: without a limit the importer tried to allocate
/// 16 GiB (or 8.8 TB, escaping as libtorch's allocation error), and dimensions whose product wraps around a 64-bit
/// integer were accepted with an input size of -4 (found by <c>certify fuzz</c>, benchmarks/reliability/fuzz.md).
/// The limits are far above what any verifier handles (an ImageNet image is 150,528 elements; the largest activation
/// of VGG-16 is 3.2 million) and far below what exhausts memory.
/// </summary>
public static class ShapeLimits
{
    /// <summary>Most elements one sample of a graph tensor (input, activation) may have: 2^26 (512 MiB in float64).</summary>
    public const long MaxNodeElements = 1L << 26;

    /// <summary>Most elements one constant computed at import time may have: 2^28 (2 GiB in float64).</summary>
    public const long MaxConstantElements = 1L << 28;

    /// <summary>The number of elements of <paramref name="shape"/>, or null when a dimension is negative or the product overflows.</summary>
    public static long? Elements(long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) return null;
            try { n = checked(n * d); }
            catch (OverflowException) { return null; }
        }
        return n;
    }

    /// <summary>
    /// Why <paramref name="shape"/> cannot be a tensor of at most <paramref name="max"/> elements, or null when it can. An
    /// empty dimension counts as 1 here: libtorch computes an empty tensor's strides from its other dimensions, and an
    /// initializer of shape [.., 0, .., 2^28, 2^28, 2^28, ..] with no elements overflowed them ("Stride calculation
    /// overflowed", found by fuzzing). No real network has an empty tensor that large.
    /// </summary>
    public static string? Problem(long[] shape, long max)
    {
        var text = "[" + string.Join(", ", shape) + "]";
        if (shape.Any(d => d < 0)) return $"shape {text} has a negative dimension";
        bool empty = shape.Contains(0);
        return Elements(shape.Select(d => Math.Max(d, 1)).ToArray()) is { } n && n <= max ? null
            : $"shape {text} has more than {max:N0} elements{(empty ? " (counting its empty dimensions as 1)" : "")} (the most Certify allocates for one tensor)";
    }
}
