namespace Certify.Operators;

/// <summary>ONNX Resize's interpolation modes.</summary>
public enum ResizeMode { Nearest, Linear, Cubic }

/// <summary>
/// The 1-D maps of ONNX Resize (and Upsample) along one axis, following ONNX Runtime's arithmetic: each output index
/// x is mapped to an input coordinate by the coordinate transformation (computed in float32, as ONNX Runtime does, so
/// that ties of nearest rounding fall the same way), then either to one input index (nearest) or to a weighted sum of
/// neighbours (linear: the two nearest, coordinate clamped to the axis; cubic: four, with edge padding or, with
/// exclude_outside, renormalised inside). Every mode is a fixed linear map of the input, so the importer expresses it
/// with Gather (nearest) or Linear (interpolation) ops: exact, affine, bounded exactly by their rules and encoded
/// exactly for MILP.
/// </summary>
public static class ResizeAxis
{
    /// <summary>Input coordinate of output index <paramref name="x"/>; null for a mode Certify does not support.</summary>
    public static float? Original(string mode, long x, float scale, long outLen, long inLen) => mode switch
    {
        "half_pixel" => (x + 0.5f) / scale - 0.5f,
        "half_pixel_symmetric" => HalfPixelSymmetric(x, scale, outLen, inLen),
        "pytorch_half_pixel" => outLen > 1 ? (x + 0.5f) / scale - 0.5f : 0f,
        "align_corners" => outLen == 1 ? 0f : x * (float)(inLen - 1) / (outLen - 1),
        "asymmetric" => x / scale,
        "tf_half_pixel_for_nn" => (x + 0.5f) / scale,
        _ => null,
    };

    static float HalfPixelSymmetric(long x, float scale, long outLen, long inLen)
    {
        float adjustment = outLen / (scale * inLen);
        float center = inLen / 2f;
        float offset = center * (1 - adjustment);
        return offset + (x + 0.5f) / scale - 0.5f;
    }

    /// <summary>The input index nearest output index x chooses (ONNX's nearest_mode, or "simple" for opsets before 11), clamped to the axis.</summary>
    public static long Nearest(float original, string nearestMode, bool downsampling, long inLen)
    {
        double r = nearestMode switch
        {
            "round_prefer_floor" => original == Math.Floor(original) + 0.5 ? Math.Floor(original) : Math.Round(original, MidpointRounding.AwayFromZero),
            "round_prefer_ceil" => original == Math.Floor(original) + 0.5 ? Math.Ceiling(original) : Math.Round(original, MidpointRounding.AwayFromZero),
            "floor" => Math.Floor(original),
            "ceil" => Math.Ceiling(original),
            "simple" => downsampling ? Math.Ceiling(original) : (long)original,
            _ => throw new ArgumentException($"nearest_mode '{nearestMode}'"),
        };
        return Math.Clamp((long)r, 0, inLen - 1);
    }

    /// <summary>The interpolation matrix <c>[outLen, inLen]</c> (row x: the weights of output x), for linear or cubic mode.</summary>
    public static double[,] Weights(ResizeMode mode, string transform, float scale, long outLen, long inLen, double cubicA, bool excludeOutside)
    {
        var w = new double[outLen, inLen];
        for (long x = 0; x < outLen; x++)
        {
            float o = Original(transform, x, scale, outLen, inLen) ?? throw new ArgumentException($"coordinate_transformation_mode '{transform}'");
            if (mode == ResizeMode.Linear)
            {
                float c = Math.Clamp(o, 0, inLen - 1);
                long i1 = Math.Min((long)c, inLen - 1), i2 = Math.Min(i1 + 1, inLen - 1);
                float d1 = Math.Abs(c - i1), d2 = Math.Abs(c - i2);
                if (i1 == i2) d1 = d2 = 0.5f;
                w[x, i1] += d2; w[x, i2] += d1;
                continue;
            }
            double f = Math.Floor(o), t = o - f;
            var coef = new[]
            {
                ((cubicA * (t + 1) - 5 * cubicA) * (t + 1) + 8 * cubicA) * (t + 1) - 4 * cubicA,
                ((cubicA + 2) * t - (cubicA + 3)) * t * t + 1,
                ((cubicA + 2) * (1 - t) - (cubicA + 3)) * (1 - t) * (1 - t) + 1,
                ((cubicA * (2 - t) - 5 * cubicA) * (2 - t) + 8 * cubicA) * (2 - t) - 4 * cubicA,
            };
            double kept = 0;
            for (int k = 0; k < 4; k++)
            {
                long i = (long)f - 1 + k;
                if (excludeOutside && (i < 0 || i >= inLen)) { coef[k] = 0; continue; }
                kept += coef[k];
            }
            for (int k = 0; k < 4; k++)
            {
                long i = Math.Clamp((long)f - 1 + k, 0, inLen - 1);
                w[x, i] += excludeOutside ? coef[k] / kept : coef[k];
            }
        }
        return w;
    }
}
