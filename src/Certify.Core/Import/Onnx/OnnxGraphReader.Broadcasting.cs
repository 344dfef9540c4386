using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Numpy broadcasting of ONNX shapes (shared with constant folding) and of variables (by exact copies).
internal sealed partial class OnnxGraphReader
{
    /// <summary>ONNX (numpy) broadcasting of two shapes, or null when they do not broadcast.</summary>
    internal static long[]? Broadcast(long[] a, long[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new long[r];
        for (int i = 0; i < r; i++)
        {
            long x = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1, y = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (x != y && x != 1 && y != 1) return null;
            s[i] = Math.Max(x, y);
        }
        return s;
    }

    /// <summary>
    /// Broadcasts <paramref name="x"/> up to <paramref name="shape"/> (same rank; each enlarged axis has size 1 in x) by
    /// gathering index 0 repeatedly along each enlarged axis: an exact copy.
    /// </summary>
    VarValue ExpandTo(VarValue x, long[] shape)
    {
        for (int a = 0; a < shape.Length; a++)
        {
            if (x.Shape[a] == shape[a]) continue;
            if (x.Shape[a] != 1) throw Fail($"cannot broadcast {Op.ShapeText(x.Shape)} to {Op.ShapeText(shape)}");
            var sa = SampleAxes(ref x, new long[] { a })[0];
            int id = Add(new GatherOp((int)sa, new long[shape[a]], false), OutName() + $":expand{a}", x.Id);
            var s = (long[])x.Shape.Clone(); s[a] = shape[a];
            x = x with { Id = id, Shape = s };
        }
        return x;
    }
}
