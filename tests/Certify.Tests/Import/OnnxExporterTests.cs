using Certify.Graph;
using Certify.Import;
using Certify.Operators;
using Certify.Runtime;
using static TorchSharp.torch;

namespace Certify.Tests.Import;

public class OnnxExporterTests
{
    static Tensor R(params long[] shape) { manual_seed(3); return randn(shape, ScalarType.Float64) * 0.5; }

    /// <summary>A graph using most ops training produces: conv, pools, pads, affine, reshape, linear, activations, residual, concat, slice, reduce.</summary>
    static ComputationGraph Sample()
    {
        var b = new GraphBuilder(new long[] { 2, 6, 6 });
        int c1 = b.Add(new ConvOp(R(4, 2, 3, 3), R(4), new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, new long[] { 1, 1 }, 1), "conv", "t", 0);
        int a1 = b.Add(new AffineOp(R(4, 1, 1), R(4, 1, 1)), "bn", "t", c1);
        int r1 = b.Add(new ReluOp(), "relu", "t", a1);
        int p1 = b.Add(new PadOp(new long[] { 0, 1, 0, 0, 0, 1 }, 0.25), "pad", "t", r1);
        int mp = b.Add(new MaxPoolOp(new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0 }, new long[] { 1, 1 }, false), "maxpool", "t", p1);
        int ap = b.Add(new AvgPoolOp(new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 1, 1 }, true, false), "avgpool", "t", mp);
        int lr = b.Add(new LeakyReluOp(0.1), "lrelu", "t", ap);
        int res = b.Add(new AddOp(), "residual", "t", lr, ap);
        int tr = b.Add(new TransposeOp(new long[] { 0, 2, 1 }), "transpose", "t", res);
        int sl = b.Add(new SliceOp(1, 0, 3, 2), "slice", "t", tr);
        int cat = b.Add(new ConcatOp(1), "concat", "t", sl, tr);
        int cl = b.Add(new ClipOp(-0.5, double.PositiveInfinity), "clip", "t", cat);
        int fl = b.Add(new ReshapeOp(new long[] { 96 }), "flatten", "t", cl);
        int l1 = b.Add(new LinearOp(R(6, 96), R(6)), "fc1", "t", fl);
        int sg = b.Add(new SigmoidOp(), "sigmoid", "t", l1);
        int th = b.Add(new TanhOp(), "tanh", "t", l1);
        int mul = b.Add(new MulOp(), "mul", "t", sg, th);
        int rs = b.Add(new ReshapeOp(new long[] { 2, 3 }), "reshape", "t", mul);
        int rd = b.Add(new ReduceOp(ReduceKind.Sum, new long[] { 0 }, false), "sum", "t", rs);
        int sm = b.Add(new SoftmaxOp(0), "softmax", "t", rd);
        return b.Build(sm);
    }

    [Fact]
    public void ExportedGraphRunsInOnnxRuntimeAndReimportsToTheSameFunction()
    {
        var g = Sample();
        var path = Path.Combine(Path.GetTempPath(), $"certify-export-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(g, path);
            var back = OnnxImporter.Import(path);
            Assert.Equal(g.InputShape, back.InputShape);
            Assert.Equal(g.OutputSize, back.OutputSize);
            using var ort = new OnnxRuntimeModel(path);
            var xs = GraphAgreement.RandomPoints(Enumerable.Repeat(-1.0, 72).ToArray(), Enumerable.Repeat(1.0, 72).ToArray(), 4, 11);
            var viaOrt = GraphAgreement.Compare(back, ort, xs);
            Assert.True(viaOrt.MaxRelativeError < 1e-5, $"re-imported vs ONNX Runtime: {viaOrt.MaxRelativeError}");
            var original = GraphAgreement.Evaluate(g, xs);
            var theirs = ort.RunBatch(xs);
            double max = original.Zip(theirs, (a, b) => a.Zip(b, (u, v) => Math.Abs(u - v)).Max()).Max();
            Assert.True(max < 1e-5, $"original graph vs ONNX Runtime on the exported file: {max}");
        }
        finally { File.Delete(path); }
    }
}
