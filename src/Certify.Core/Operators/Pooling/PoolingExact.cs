using Certify.Exact;

namespace Certify.Operators;

/// <summary>
/// Exact encoding of max pooling (1-d and 2-d): one <see cref="IExactEncodingContext.Max"/> per window over the input
/// elements inside the padded window (padding counts as −∞, so padded positions are simply absent). Average pooling
/// is affine and uses <see cref="ExactEncoding.Affine"/>.
/// </summary>
internal static class PoolingExact
{
    public static LinExpr[] MaxPool(IExactEncodingContext node)
    {
        var mp = (MaxPoolOp)node.Node.Op;
        var inShape = node.InputShape(0);
        bool oneD = mp.Kernel.Length == 1;
        if (mp.Kernel.Length > 2) throw node.NotSupported($"{mp.Kernel.Length} spatial dimensions");
        var outShape = node.Node.Shape;
        long C = inShape[0], H = oneD ? 1 : inShape[1], W = inShape[^1];
        long OH = oneD ? 1 : outShape[1], OW = outShape[^1];
        long kh = oneD ? 1 : mp.Kernel[0], kw = mp.Kernel[^1];
        long sh = oneD ? 1 : mp.Strides[0], sw = mp.Strides[^1];
        long ph = oneD ? 0 : mp.Pads[0], pw = mp.Pads[oneD ? 0 : 1];
        long dh = oneD ? 1 : mp.Dilations[0], dw = mp.Dilations[^1];
        var outp = new LinExpr[node.Node.Size];
        for (long c = 0; c < C; c++)
            for (long oh = 0; oh < OH; oh++)
                for (long ow = 0; ow < OW; ow++)
                {
                    var window = new List<long>();
                    for (long a = 0; a < kh; a++)
                        for (long b = 0; b < kw; b++)
                        {
                            long ih = oh * sh - ph + a * dh, iw = ow * sw - pw + b * dw;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) window.Add((c * H + ih) * W + iw);
                        }
                    long j = (c * OH + oh) * OW + ow;
                    outp[j] = node.Max(0, window.Select(i => (int)i).ToArray(), node.ElementName((int)j));
                }
        return outp;
    }
}
