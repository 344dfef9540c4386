using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Expand, Tile, Resize and Upsample on the data path. All are fixed linear maps of their input, written with existing
// affine ops: copies as Gather (Expand and Tile repeat indices; Resize's nearest mode picks one index per output),
// interpolation (Resize linear and cubic) as a Linear on the resized axis, moved last by a Transpose when needed. So
// they need no bound rule of their own: IBP, CROWN and the MILP encoding of those ops are exact.
internal sealed partial class OnnxGraphReader
{
    /// <summary>Refuses an output shape over the node size limit before any op is built (building runs the op on zeros).</summary>
    void CheckResult(long[] shape, string what)
    {
        if (ShapeLimits.Problem(shape, ShapeLimits.MaxNodeElements) is { } tooBig) throw Fail($"{what} {tooBig}");
    }

    /// <summary>ONNX Expand: bidirectional broadcasting of the variable to a constant shape.</summary>
    internal void Expand(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var target = OnnxTensors.Longs(Const(inputs, 1, "shape") ?? throw Fail("has no shape"));
        var shape = Broadcast(x.Shape, target) ?? throw Fail($"cannot expand {Op.ShapeText(x.Shape)} to {Op.ShapeText(target)}");
        CheckResult(shape, "expands to");
        if (shape.Length > x.Rank) x = ReshapeTo(x, Enumerable.Repeat(1L, shape.Length - x.Rank).Concat(x.Shape).ToArray());
        if (x.Batched && shape[0] != 1) x = Unbatch(x);
        Set(0, ExpandTo(x, shape));
    }

    /// <summary>ONNX Tile: each axis repeated <c>repeats[a]</c> times, as a Gather of the indices 0..n−1 repeated.</summary>
    internal void Tile(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var repeats = OnnxTensors.Longs(Const(inputs, 1, "repeats") ?? throw Fail("has no repeats"));
        if (repeats.Length != x.Rank) throw Fail($"has {repeats.Length} repeats for a tensor of rank {x.Rank}");
        if (repeats.Any(r => r < 1)) throw Fail("repeats an axis fewer than once; empty tensors are not supported");
        long[] shape;
        try { shape = x.Shape.Select((d, i) => checked(d * repeats[i])).ToArray(); }
        catch (OverflowException) { throw Fail("has repeats whose product overflows a 64-bit integer"); }
        CheckResult(shape, "tiles to");
        for (int a = 0; a < x.Rank; a++)
        {
            if (repeats[a] == 1) continue;
            long n = x.Shape[a];
            var idx = new long[n * repeats[a]];
            for (long k = 0; k < idx.Length; k++) idx[k] = k % n;
            var sa = SampleAxes(ref x, new long[] { a })[0];
            var s = (long[])x.Shape.Clone(); s[a] = idx.Length;
            x = x with { Id = Add(new GatherOp((int)sa, idx, false), OutName() + $":tile{a}", x.Id), Shape = s };
        }
        Set(0, x);
    }

    /// <summary>ONNX Upsample (opsets 7 to 9): Resize with asymmetric coordinates and ONNX Runtime's "simple" nearest rounding.</summary>
    internal void Upsample(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var scales = Opset >= 9 ? OnnxTensors.Doubles(Const(inputs, 1, "scales") ?? throw Fail("has no scales"))
                                : OnnxAttributes.Floats(_node, "scales") ?? throw Fail("has no scales");
        var mode = (OnnxAttributes.String(_node, "mode") ?? "nearest").ToLowerInvariant();
        Resample(x, scales.Select(s => (float)s).ToArray(), null, mode == "bilinear" ? "linear" : mode, "asymmetric", "simple", -0.75, false);
    }

    /// <summary>ONNX Resize (opset 10 with asymmetric coordinates; 11+ with every attribute except tf_crop_and_resize and antialiasing).</summary>
    internal void Resize(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        var mode = OnnxAttributes.String(_node, "mode") ?? "nearest";
        if (Opset < 11)
        {
            var s10 = OnnxTensors.Doubles(Const(inputs, 1, "scales") ?? throw Fail("has no scales")).Select(v => (float)v).ToArray();
            Resample(x, s10, null, mode, "asymmetric", "simple", -0.75, false);
            return;
        }
        var transform = OnnxAttributes.String(_node, "coordinate_transformation_mode") ?? "half_pixel";
        if (transform == "tf_crop_and_resize") throw Fail("uses coordinate_transformation_mode 'tf_crop_and_resize', which is not supported");
        if (OnnxAttributes.Int(_node, "antialias", 0) != 0 && mode != "nearest") throw Fail("uses antialias=1, which is not supported");
        var policy = OnnxAttributes.String(_node, "keep_aspect_ratio_policy") ?? "stretch";
        if (policy != "stretch") throw Fail($"uses keep_aspect_ratio_policy '{policy}'; Certify supports 'stretch' only");
        var scalesT = Const(inputs, 2, "scales");
        var sizesT = Const(inputs, 3, "sizes");
        var axes = OnnxAttributes.Ints(_node, "axes")?.Select(a => NormAxis(a, x.Rank)).ToArray() ?? Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        float[] scales = Enumerable.Repeat(1f, x.Rank).ToArray();
        long[]? sizes = null;
        if (sizesT is not null && sizesT.numel() > 0)
        {
            var given = OnnxTensors.Longs(sizesT);
            if (given.Length != axes.Length) throw Fail($"has {given.Length} sizes for {axes.Length} axes");
            sizes = (long[])x.Shape.Clone();
            for (int i = 0; i < axes.Length; i++) sizes[axes[i]] = given[i];
            for (int a = 0; a < x.Rank; a++) scales[a] = (float)sizes[a] / x.Shape[a];
        }
        else if (scalesT is not null && scalesT.numel() > 0)
        {
            var given = OnnxTensors.Doubles(scalesT);
            if (given.Length != axes.Length) throw Fail($"has {given.Length} scales for {axes.Length} axes");
            for (int i = 0; i < axes.Length; i++) scales[axes[i]] = (float)given[i];
        }
        else throw Fail("has neither scales nor sizes");
        Resample(x, scales, sizes, mode, transform, OnnxAttributes.String(_node, "nearest_mode") ?? "round_prefer_floor",
            OnnxAttributes.Float(_node, "cubic_coeff_a", -0.75), OnnxAttributes.Int(_node, "exclude_outside", 0) != 0);
    }

    static float FloatProduct(long d, float s) { float f = d; return f * s; }

    /// <summary>Resizes every axis whose size or scale changes, one axis at a time (the modes are separable).</summary>
    void Resample(VarValue x, float[] scales, long[]? sizes, string mode, string transform, string nearestMode, double cubicA, bool excludeOutside)
    {
        if (scales.Length != x.Rank) throw Fail($"has {scales.Length} scales for a tensor of rank {x.Rank}");
        if (scales.Any(s => !(s > 0) || float.IsInfinity(s))) throw Fail("has a scale that is not a positive finite number");
        var kind = mode switch
        {
            "nearest" => ResizeMode.Nearest, "linear" => ResizeMode.Linear, "cubic" => ResizeMode.Cubic,
            _ => throw Fail($"uses mode '{mode}'; Certify supports nearest, linear and cubic"),
        };
        if (ResizeAxis.Original(transform, 0, 1, 1, 1) is null) throw Fail($"uses coordinate_transformation_mode '{transform}', which is not supported");
        // The product in float32, as ONNX Runtime computes it (5 × 1.4f is 7 there, 6.99999… in float64).
        var outShape = sizes ?? x.Shape.Select((d, a) => (long)Math.Floor(FloatProduct(d, scales[a]))).ToArray();
        if (outShape.Any(d => d < 1)) throw Fail($"resizes {Op.ShapeText(x.Shape)} to {Op.ShapeText(outShape)}; empty tensors are not supported");
        CheckResult(outShape, "resizes to");
        for (int a = 0; a < x.Rank; a++)
        {
            long inLen = x.Shape[a], outLen = outShape[a];
            if (inLen == outLen && scales[a] == 1) continue;
            var sa = (int)SampleAxes(ref x, new long[] { a })[0];
            var s = (long[])x.Shape.Clone(); s[a] = outLen;
            string name = OutName() + $":axis{a}";
            if (kind == ResizeMode.Nearest)
            {
                var idx = new long[outLen];
                for (long o = 0; o < outLen; o++)
                    idx[o] = ResizeAxis.Nearest(ResizeAxis.Original(transform, o, scales[a], outLen, inLen)!.Value, nearestMode, scales[a] < 1, inLen);
                x = x with { Id = Add(new GatherOp(sa, idx, false), name, x.Id), Shape = s };
                continue;
            }
            var w = tensor(ResizeAxis.Weights(kind, transform, scales[a], outLen, inLen, cubicA, excludeOutside), ScalarType.Float64);
            int rank = x.Sample.Length;
            if (sa == rank - 1) { x = x with { Id = Add(new LinearOp(w, null), name, x.Id), Shape = s }; continue; }
            var swap = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            (swap[sa], swap[rank - 1]) = (swap[rank - 1], swap[sa]);
            int t1 = Add(new TransposeOp(swap), name + ":last", x.Id);
            int lin = Add(new LinearOp(w, null), name + ":interpolated", t1);
            x = x with { Id = Add(new TransposeOp(swap), name, lin), Shape = s };
        }
        Set(0, x);
    }
}
