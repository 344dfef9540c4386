using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>Builds the specification matrix C and offsets d from a VNNLIB region: one row per half-space <c>c·y ≤ d</c>.</summary>
public static class SpecificationMatrix
{
    /// <summary>
    /// The rows of <paramref name="region"/>'s unsafe condition in file order (disjunct by disjunct): C <c>[S, outputSize]</c>
    /// (float64) and, per row, its disjunct index and d.
    /// </summary>
    public static (Tensor C, IReadOnlyList<(int Clause, HalfSpace Row)> Rows) FromRegion(InputRegion region, int outputSize)
    {
        var rows = region.Unsafe.Rows.ToList();
        var data = new double[rows.Count * outputSize];
        for (int s = 0; s < rows.Count; s++)
        {
            var c = rows[s].Row.C;
            if (c.Length != outputSize)
                throw new ArgumentException($"a specification row has {c.Length} coefficients but the network has {outputSize} outputs");
            Array.Copy(c, 0, data, s * outputSize, outputSize);
        }
        return (tensor(data, new long[] { rows.Count, outputSize }, ScalarType.Float64), rows);
    }
}
