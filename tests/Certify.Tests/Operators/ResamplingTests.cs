using Certify.Operators;
using Certify.Import;
using Certify.Import.Onnx.Proto;
using Certify.Tests.Import;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Tests.Operators;

/// <summary>Expand, Tile, Resize and Upsample: ONNX Runtime agreement over their modes, soundness of the affine maps, export.</summary>
public class ResamplingTests
{
    static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    static AttributeProto Floats(string name, params float[] v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats }; a.Floats.AddRange(v); return a; }
    static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    [Theory]
    [InlineData(new long[] { 1, 3 }, new long[] { 4, 3 }, new long[] { 4, 3 })]
    [InlineData(new long[] { 1, 3, 1 }, new long[] { 1, 1, 4 }, new long[] { 1, 3, 4 })]
    [InlineData(new long[] { 1, 3 }, new long[] { 2, 1, 3 }, new long[] { 2, 1, 3 })]
    public void Expand_agrees_with_onnx_runtime(long[] input, long[] shape, long[] output)
    {
        var bytes = new OnnxTestModel(input).InitInts("s", shape, shape.Length).Node("Expand", "e", new[] { "x", "s" }, "y").Bytes("y", output);
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.Equal(output.Aggregate(1L, (a, b) => a * b), g.OutputSize);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
    }

    [Theory]
    [InlineData(new long[] { 1, 2, 3 }, new long[] { 1, 2, 3 })]
    [InlineData(new long[] { 1, 2, 3 }, new long[] { 3, 1, 2 })]
    public void Tile_agrees_with_onnx_runtime(long[] input, long[] repeats)
    {
        var output = input.Select((d, i) => d * repeats[i]).ToArray();
        var bytes = new OnnxTestModel(input).InitInts("r", repeats, repeats.Length).Node("Tile", "t", new[] { "x", "r" }, "y").Bytes("y", output);
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
    }

    [Fact]
    public void Expand_to_a_huge_shape_is_refused_before_anything_is_allocated()
    {
        var bytes = new OnnxTestModel(new long[] { 1, 3 }).InitInts("s", new long[] { 1L << 30, 3 }, 2).Node("Expand", "big", new[] { "x", "s" }, "y").Bytes("y", new long[] { 1L << 30, 3 });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "big.onnx"));
        Assert.Contains("node 'big' (op Expand)", e.Message);
    }

    /// <summary>A Resize (opset 13 unless given) of x [1, 2, 4, 5] by scales or to sizes, with attributes.</summary>
    static byte[] ResizeModel(float[]? scales, long[]? sizes, long[] output, long opset = 13, params AttributeProto[] attrs)
    {
        var m = new OnnxTestModel(new long[] { 1, 2, 4, 5 }, opset: opset);
        string[] ins;
        if (opset < 11) { m.Init("sc", scales!, scales!.Length); ins = new[] { "x", "sc" }; }
        else if (scales is not null) { m.Init("sc", scales, scales.Length); ins = new[] { "x", "", "sc" }; }
        else { m.InitInts("sz", sizes!, sizes!.Length); ins = new[] { "x", "", "", "sz" }; }
        return m.Node("Resize", "rs", ins, "y", attrs).Bytes("y", output);
    }

    public static TheoryData<string, string> NearestModes()
    {
        var d = new TheoryData<string, string>();
        foreach (var t in new[] { "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn" })
            foreach (var n in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" })
                d.Add(t, n);
        return d;
    }

    [Theory]
    [MemberData(nameof(NearestModes))]
    public void Resize_nearest_agrees_with_onnx_runtime_up_and_down(string transform, string nearest)
    {
        var attrs = new[] { Str("mode", "nearest"), Str("coordinate_transformation_mode", transform), Str("nearest_mode", nearest) };
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(new[] { 1f, 1f, 3f, 1.5f }, null, new long[] { 1, 2, 12, 7 }, 13, attrs), -1, 1, 1e-6, 3);
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(null, new long[] { 1, 2, 3, 2 }, new long[] { 1, 2, 3, 2 }, 13, attrs), -1, 1, 1e-6, 3);
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(null, new long[] { 1, 2, 7, 9 }, new long[] { 1, 2, 7, 9 }, 13, attrs), -1, 1, 1e-6, 3);
    }

    public static TheoryData<string, string> InterpolatingModes()
    {
        var d = new TheoryData<string, string>();
        foreach (var mode in new[] { "linear", "cubic" })
            foreach (var t in new[] { "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel" })
                d.Add(mode, t);
        return d;
    }

    [Theory]
    [MemberData(nameof(InterpolatingModes))]
    public void Resize_linear_and_cubic_agree_with_onnx_runtime_up_and_down(string mode, string transform)
    {
        var attrs = new[] { Str("mode", mode), Str("coordinate_transformation_mode", transform) };
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(new[] { 1f, 1f, 2f, 1.6f }, null, new long[] { 1, 2, 8, 8 }, 13, attrs), -1, 1, 1e-5, 3);
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(null, new long[] { 1, 2, 3, 3 }, new long[] { 1, 2, 3, 3 }, 13, attrs), -1, 1, 1e-5, 3);
    }

    [Theory]
    [InlineData(false, -0.75f)]
    [InlineData(true, -0.5f)]
    public void Resize_cubic_options_agree_with_onnx_runtime(bool excludeOutside, float a)
    {
        var attrs = new[] { Str("mode", "cubic"), OnnxTestModel.Int("exclude_outside", excludeOutside ? 1 : 0), Float("cubic_coeff_a", a) };
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(new[] { 1f, 1f, 2.5f, 1.2f }, null, new long[] { 1, 2, 10, 6 }, 13, attrs), -1, 1, 1e-5, 3);
    }

    [Fact]
    public void Resize_half_pixel_symmetric_of_opset_19_agrees_with_onnx_runtime()
    {
        var attrs = new[] { Str("mode", "linear"), Str("coordinate_transformation_mode", "half_pixel_symmetric") };
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(new[] { 1f, 1f, 1.5f, 2.2f }, null, new long[] { 1, 2, 6, 11 }, 19, attrs), -1, 1, 1e-5, 3);
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void Resize_of_opset_10_and_upsample_agree_with_onnx_runtime(string mode)
    {
        OperatorChecks.AssertAgreesWithOrt(ResizeModel(new[] { 1f, 1f, 3f, 2f }, null, new long[] { 1, 2, 12, 10 }, 10, Str("mode", mode)), -1, 1, 1e-5, 3);
        var up9 = new OnnxTestModel(new long[] { 1, 2, 4, 5 }, opset: 9).Init("sc", new[] { 1f, 1f, 3f, 2f }, 4)
            .Node("Upsample", "up", new[] { "x", "sc" }, "y", Str("mode", mode)).Bytes("y", new long[] { 1, 2, 12, 10 });
        OperatorChecks.AssertAgreesWithOrt(up9, -1, 1, 1e-5, 3);
        var up7 = new OnnxTestModel(new long[] { 1, 2, 4, 5 }, opset: 7)
            .Node("Upsample", "up", new[] { "x" }, "y", Str("mode", mode), Floats("scales", 1, 1, 2, 3)).Bytes("y", new long[] { 1, 2, 8, 15 });
        OperatorChecks.AssertAgreesWithOrt(up7, -1, 1, 1e-5, 3);
    }

    [Theory]
    [InlineData("nearest", ScalarType.Float64)]
    [InlineData("linear", ScalarType.Float64)]
    [InlineData("cubic", ScalarType.Float64)]
    [InlineData("linear", ScalarType.Float32)]
    [InlineData("cubic", ScalarType.Float32)]
    public void Resized_bounds_contain_every_sampled_point_and_export_round_trips(string mode, ScalarType dtype)
    {
        var bytes = ResizeModel(new[] { 1f, 1f, 1.5f, 1.4f }, null, new long[] { 1, 2, 6, 7 }, 13, Str("mode", mode));
        var g = OperatorChecks.AssertAgreesWithOrt(bytes, -1, 1);
        Assert.All(g.Nodes.Skip(1), n => Assert.True(n.Op.IsAffine, $"{n} is not affine"));
        var (l, u) = OperatorChecks.Boxes(g.InputSize, 4, 3, -1, 1, 0.5);
        OperatorChecks.AssertSound(g.To(ScalarType.Float64), l, u, dtype, 4, samples: 200, forward: false);
        OperatorChecks.AssertExportRoundTrip(g, -1, 1);
    }

    [Fact]
    public void Unsupported_resize_forms_are_refused_by_name()
    {
        var crop = ResizeModel(new[] { 1f, 1f, 2f, 2f }, null, new long[] { 1, 2, 8, 10 }, 13, Str("coordinate_transformation_mode", "tf_crop_and_resize"));
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(crop, "r.onnx"));
        Assert.Contains("node 'rs' (op Resize)", e.Message);
        Assert.Contains("tf_crop_and_resize", e.Message);
        var aa = ResizeModel(new[] { 1f, 1f, 0.5f, 0.6f }, null, new long[] { 1, 2, 2, 3 }, 18, Str("mode", "linear"), OnnxTestModel.Int("antialias", 1));
        Assert.Contains("antialias", Assert.Throws<ImportException>(() => OnnxImporter.Import(aa, "r.onnx")).Message);
    }
}
