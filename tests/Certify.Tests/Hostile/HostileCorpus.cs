using System.IO.Compression;
using System.Text;
using Certify.Import.Onnx.Proto;
using Certify.Tests.Import;
using Google.Protobuf;

namespace Certify.Tests.Hostile;

/// <summary>
/// Generates the hostile-input corpus: malformed, hostile and edge-case networks (ONNX, NNet), properties (VNNLIB),
/// instance lists and command-line options, written into a fresh folder, each with the outcome it must have. Nothing
/// is checked in as a binary: every file is made here from a seed, so a reader sees what each case is.
/// <para>The rule every case tests: bad input ends in a one-line error that names the file and the line, node,
/// initializer or option, with exit code 2; input that is valid, however odd, gets a verdict, and that verdict is the
/// ground truth (<see cref="GroundTruthModels"/>).</para>
/// </summary>
internal sealed class HostileCorpus
{
    readonly string _dir;
    readonly List<HostileCase> _cases = new();
    int _files;

    HostileCorpus(string dir) => _dir = dir;

    /// <summary>Writes every case's files under <paramref name="dir"/> and returns the cases.</summary>
    public static IReadOnlyList<HostileCase> Build(string dir)
    {
        var c = new HostileCorpus(dir);
        c.Onnx();
        c.NNet();
        c.VnnLib();
        c.Lists();
        c.Options();
        c.Configs();
        var duplicate = c._cases.GroupBy(x => x.ToString()).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"corpus case named twice: {duplicate.Key}");
        return c._cases;
    }

    // ---- files ---------------------------------------------------------------------------------------------------

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, $"{_files++:D3}-{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    string? _sat, _unsat, _model;
    string SatProperty => _sat ??= Write("sat.vnnlib", GroundTruthModels.Property(GroundTruthModels.Reachable));
    string UnsatProperty => _unsat ??= Write("unsat.vnnlib", GroundTruthModels.Property(GroundTruthModels.Unreachable));
    string Model => _model ??= Write("model.onnx", GroundTruthModels.OnnxBytes());

    void Add(string group, string name, Expectation expect, params string[] args) => _cases.Add(new HostileCase(group, name, args, expect));

    static string[] Verify(string model, string prop, params string[] extra) =>
        new[] { "verify", model, prop, "--timeout", "10" }.Concat(extra).ToArray();

    static Expectation.Error Err(params string[] mentions) => new(2, mentions);

    // ---- ONNX ----------------------------------------------------------------------------------------------------

    void Onnx()
    {
        var good = GroundTruthModels.OnnxBytes();
        // The unmutated model and its two answers: the baseline every mutation departs from.
        Add("onnx", "baseline-sat", new Expectation.Verdict("sat"), Verify(Model, SatProperty));
        Add("onnx", "baseline-unsat", new Expectation.Verdict("unsat"), Verify(Model, UnsatProperty));

        // Truncations. A cut inside the graph breaks the protobuf or loses a node or initializer; a cut at a field boundary
        // after the graph leaves the same network, whose answer is known.
        for (int k = 1; k <= 30; k++)
        {
            int len = (int)((long)good.Length * k / 31);
            var path = Write($"truncated-{len}.onnx", good[..len]);
            Add("onnx", $"truncated-at-{len}", new Expectation.ErrorOrVerdict(Err(path), "sat"), Verify(path, SatProperty));
        }
        Add("onnx", "empty-file", Err("no graph"), Verify(Write("empty.onnx", Array.Empty<byte>()), SatProperty));
        var rng = new Random(12);
        foreach (int size in new[] { 1, 7, 64, 333, 4096 })
            for (int s = 0; s < 2; s++)
            {
                var bytes = new byte[size];
                rng.NextBytes(bytes);
                var path = Write($"random-{size}-{s}.onnx", bytes);
                Add("onnx", $"random-bytes-{size}-{s}", Err(path), Verify(path, SatProperty));
            }
        var text = Write("text.onnx", GroundTruthModels.Property(GroundTruthModels.Reachable));
        Add("onnx", "vnnlib-text-as-model", Err(text), Verify(text, SatProperty));

        // Non-finite parameters: refused at import, naming the initializer (a +inf weight once produced a wrong unsat).
        foreach (var (label, v) in new[] { ("nan", float.NaN), ("posinf", float.PositiveInfinity), ("neginf", float.NegativeInfinity) })
        {
            foreach (int at in new[] { 0, 3 })
            {
                var w = GroundTruthModels.W1();
                w[at] = v;
                var p = Write($"w1-{label}-{at}.onnx", GroundTruthModels.Onnx(w1: w).Bytes("y", new long[] { 1, 2 }));
                Add("onnx", $"weight-{label}-at-{at}", Err(p, "W1"), Verify(p, SatProperty));
                Add("onnx", $"weight-{label}-at-{at}-unsat-property", Err(p, "W1"), Verify(p, UnsatProperty));
            }
            var b = Write($"b1-{label}.onnx", GroundTruthModels.Onnx(b1: new[] { 0f, v }).Bytes("y", new long[] { 1, 2 }));
            Add("onnx", $"bias-{label}", Err(b, "b1"), Verify(b, SatProperty));
            var w2 = Write($"w2-{label}.onnx", GroundTruthModels.Onnx(w2: new[] { 1f, 0, 0, v }).Bytes("y", new long[] { 1, 2 }));
            Add("onnx", $"output-weight-{label}", Err(w2, "W2"), Verify(w2, UnsatProperty));
        }

        // Huge and tiny finite weights: valid networks, answers known by scaling.
        // 1e-30: the answer is unsat, but branch and bound's proof margin is absolute, so bounds of about 1e-30 cannot be
        // told from rounding and the honest answer is unknown (never sat); the case is given a short limit for that reason.
        foreach (var scale in new[] { 1e30f, 1e-30f, 3e37f })
        {
            bool tiny = scale < 1;
            var p = Write($"scaled-{scale:E0}.onnx", GroundTruthModels.OnnxBytes(scale));
            string S(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            var unsat = Write($"scaled-{scale:E0}-unsat.vnnlib", GroundTruthModels.Property($"(>= Y_0 {S(2.5 * scale)})"));
            var sat = Write($"scaled-{scale:E0}-sat.vnnlib", GroundTruthModels.Property($"(>= Y_0 {S(1.5 * scale)})"));
            Add("onnx", $"weights-scaled-{scale:E0}-unsat", new Expectation.Verdict("unsat", AllowUndecided: tiny), tiny ? new[] { "verify", p, unsat, "--timeout", "2" } : Verify(p, unsat));
            Add("onnx", $"weights-scaled-{scale:E0}-sat", new Expectation.Verdict("sat"), Verify(p, sat));
        }

        // Huge input boxes: sums near and past float32's range (3.4e38). Where real arithmetic and the float32 network
        // that ONNX Runtime runs agree, the answer is known; overflowing bounds may leave the answer open, never wrong.
        void Box(string name, double hi, string unsafeSet, string truth, bool mayStayOpen)
        {
            var prop = Write(name + ".vnnlib", GroundTruthModels.Property(unsafeSet, hi: hi));
            Add("onnx", name, new Expectation.Verdict(truth, mayStayOpen), mayStayOpen ? new[] { "verify", Model, prop, "--timeout", "2" } : Verify(Model, prop));
        }
        Box("box-1e38-unreachable", 1e38, "(>= Y_0 3e38)", "unsat", mayStayOpen: false);
        Box("box-1e38-reachable", 1e38, "(>= Y_0 1e38)", "sat", mayStayOpen: false);
        Box("box-1e308-reachable", 1e308, "(>= Y_0 1e300)", "sat", mayStayOpen: true);   // 1e300 is +inf in float32: a float32 search cannot reach it
        Box("box-1e308-negative-output", 1e308, "(<= Y_0 -1)", "unsat", mayStayOpen: true);
        Box("box-3e38-negative-output", 3e38, "(<= Y_1 -1)", "unsat", mayStayOpen: true);

        // Structural damage, each naming what is wrong.
        OnnxCase("missing-initializer", m => m.Graph.Initializer.Remove(m.Graph.Initializer.First(i => i.Name == "b1")), "b1");
        OnnxCase("duplicate-initializer", m => { var t = m.Graph.Initializer.First(i => i.Name == "W1").Clone(); t.FloatData[0] = 7; m.Graph.Initializer.Add(t); }, "'W1'", "twice");
        OnnxCase("duplicate-node-output", m => m.Graph.Node.Add(new NodeProto { OpType = "Relu", Name = "again", Input = { "h" }, Output = { "r" } }), "'r'", "again");
        OnnxCase("cycle", m =>
        {
            m.Graph.Node.First(n => n.Name == "relu1").Input[0] = "y";   // relu1 reads gemm2's output, which reads relu1's
        }, "relu1", "cycle");
        OnnxCase("unknown-operator", m => m.Graph.Node.First(n => n.Name == "relu1").OpType = "FooBar", "FooBar");
        OnnxCase("custom-domain", m => m.Graph.Node.First(n => n.Name == "relu1").Domain = "com.example", "com.example");
        foreach (var op in new[] { "LSTM", "NonMaxSuppression", "TopK", "Loop", "If", "Einsum", "Hardmax", "RandomNormalLike", "Scan", "Unique" })
            OnnxCase($"unsupported-{op}", m => m.Graph.Node.First(n => n.Name == "relu1").OpType = op, op);
        OnnxCase("no-output", m => m.Graph.Output.Clear(), "output");
        OnnxCase("output-never-produced", m => m.Graph.Output[0].Name = "nowhere", "nowhere");
        OnnxCase("no-input", m => m.Graph.Input.Clear(), "input");
        OnnxCase("input-int64", m => m.Graph.Input[0].Type.TensorType.ElemType = 7, "'x'");
        OnnxCase("input-string", m => m.Graph.Input[0].Type.TensorType.ElemType = 8, "'x'");
        OnnxCase("input-no-shape", m => m.Graph.Input[0].Type.TensorType.Shape = null, "'x'");
        OnnxCase("input-zero-dim", m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 0, "x");
        OnnxCase("input-negative-dim", m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = -3, "x");
        OnnxCase("input-huge-dim", m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1_000_000_000_000, "x");
        OnnxCase("input-symbolic-inner-dim", m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimParam = "n", "'x'");
        OnnxCase("weight-dims-disagree-with-data", m => m.Graph.Initializer.First(i => i.Name == "W1").Dims[0] = 3, "W1");
        OnnxCase("weight-wrong-shape-for-input", m =>
        {
            var w = m.Graph.Initializer.First(i => i.Name == "W1");
            w.Dims.Clear(); w.Dims.AddRange(new long[] { 2, 3 }); w.FloatData.Clear(); w.FloatData.AddRange(new float[] { 1, 1, 1, 1, -1, 1 });
        }, "gemm1");
        OnnxCase("bias-wrong-length", m => { var b = m.Graph.Initializer.First(i => i.Name == "b1"); b.Dims[0] = 3; b.FloatData.Add(0); }, "gemm1");
        OnnxCase("raw-data-wrong-length", m =>
        {
            var w = m.Graph.Initializer.First(i => i.Name == "W1");
            w.FloatData.Clear(); w.RawData = ByteString.CopyFrom(new byte[] { 1, 2, 3, 4, 5 });
        }, "W1");
        OnnxCase("weight-string-type", m => { var w = m.Graph.Initializer.First(i => i.Name == "W1"); w.DataType = 8; }, "W1");
        OnnxCase("weight-external-data", m =>
        {
            var w = m.Graph.Initializer.First(i => i.Name == "W1");
            w.FloatData.Clear(); w.DataLocation = TensorProto.Types.DataLocation.External;
            w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        }, "W1");
        OnnxCase("gemm-missing-input", m => m.Graph.Node.First(n => n.Name == "gemm1").Input.RemoveAt(1), "gemm1");
        OnnxCase("relu-no-input", m => m.Graph.Node.First(n => n.Name == "relu1").Input.Clear(), "relu1");
        OnnxCase("reshape-incompatible", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "shape", DataType = 7, Dims = { 2 }, Int64Data = { 1, 3 } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Reshape", Name = "reshape1", Input = { "r", "shape" }, Output = { "r3" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "r3";
        }, "reshape1");
        OnnxCase("softmax-axis-out-of-range", m =>
        {
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            relu.OpType = "Softmax"; relu.Name = "softmax1";
            relu.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 5 });
        }, "softmax1");
        OnnxCase("concat-axis-out-of-range", m =>
        {
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            relu.OpType = "Concat"; relu.Name = "concat1";
            relu.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 9 });
        }, "concat1");
        OnnxCase("conv-kernel-larger-than-input", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "K", DataType = 1, Dims = { 1, 1, 5, 5 }, FloatData = { Enumerable.Repeat(1f, 25) } });
            m.Graph.Initializer.Add(new TensorProto { Name = "shape4", DataType = 7, Dims = { 4 }, Int64Data = { 1, 1, 1, 2 } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            int at = m.Graph.Node.IndexOf(relu) + 1;
            m.Graph.Node.Insert(at, new NodeProto { OpType = "Reshape", Name = "to4d", Input = { "r", "shape4" }, Output = { "r4" } });
            m.Graph.Node.Insert(at + 1, new NodeProto { OpType = "Conv", Name = "conv1", Input = { "r4", "K" }, Output = { "c" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "c";
        }, "conv1");
        OnnxCase("gather-index-out-of-range", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "idx", DataType = 7, Dims = { 1 }, Int64Data = { 17 } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto
            {
                OpType = "Gather", Name = "gather1", Input = { "r", "idx" }, Output = { "g" },
                Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
            });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "g";
        }, "gather1");
        OnnxCase("division-by-zero-constant", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "zero", DataType = 1, Dims = { 2 }, FloatData = { 0, 0 } });
            m.Graph.Initializer.Add(new TensorProto { Name = "one", DataType = 1, Dims = { 2 }, FloatData = { 1, 1 } });
            m.Graph.Node.Insert(0, new NodeProto { OpType = "Div", Name = "div0", Input = { "one", "zero" }, Output = { "infs" } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Mul", Name = "scale", Input = { "r", "infs" }, Output = { "rs" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rs";
        }, "div0");
        // Constant matrix products whose operands disagree: libtorch's matmul aborts the process on them (found by the fuzzer).
        void ConstantProduct(string name, string op, TensorProto a, TensorProto b, params AttributeProto[] attrs) => OnnxCase(name, m =>
        {
            m.Graph.Initializer.Add(a); m.Graph.Initializer.Add(b);
            m.Graph.Node.Insert(0, new NodeProto { OpType = op, Name = "product", Input = { a.Name, b.Name }, Output = { "p" }, Attribute = { attrs } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Add", Name = "shift", Input = { "r", "p" }, Output = { "rp" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rp";
        }, "product");
        TensorProto F32(string name, params long[] dims) => new() { Name = name, DataType = 1, Dims = { dims }, FloatData = { Enumerable.Repeat(1f, (int)dims.Aggregate(1L, (p, q) => p * q)) } };
        TensorProto F64(string name, params long[] dims) => new() { Name = name, DataType = 11, Dims = { dims }, DoubleData = { Enumerable.Repeat(1.0, (int)dims.Aggregate(1L, (p, q) => p * q)) } };
        ConstantProduct("constant-matmul-inner-sizes-differ", "MatMul", F32("A", 1, 3), F32("B", 2, 2));
        ConstantProduct("constant-matmul-dtypes-differ", "MatMul", F32("A", 1, 2), F64("B", 2, 2));
        ConstantProduct("constant-matmul-batch-mismatch", "MatMul", F32("A", 3, 1, 2), F32("B", 2, 2, 2));
        ConstantProduct("constant-matmul-scalar", "MatMul", F32("A"), F32("B", 2, 2));
        ConstantProduct("constant-gemm-rank-3", "Gemm", F32("A", 1, 1, 2), F32("B", 2, 2));
        ConstantProduct("constant-gemm-inner-sizes-differ", "Gemm", F32("A", 1, 3), F32("B", 2, 2), new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        // Sizes that must be refused before anything is allocated (the fuzzer's findings O2-O6: 16 GiB allocations,
        // 64-bit products that wrap around to an input size of -4).
        void SecondInput(ModelProto m, params long[] dims) =>
            m.Graph.Input.Add(OnnxTestModel.Info("z", dims));
        OnnxCase("second-input-2e31-elements", m => SecondInput(m, 1, 1L << 31), "'z'", "elements");
        OnnxCase("second-input-dim-max-long", m => SecondInput(m, 1, long.MaxValue), "'z'", "elements");
        OnnxCase("input-dims-wrap-around", m =>
        {
            var dims = m.Graph.Input[0].Type.TensorType.Shape.Dim;
            dims.Clear();
            foreach (var d in new[] { 1L, 4, long.MaxValue }) dims.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }, "'x'", "elements");
        OnnxCase("input-dims-product-2e82", m =>
        {
            var dims = m.Graph.Input[0].Type.TensorType.Shape.Dim;
            dims.Clear();
            foreach (var d in new[] { 1L << 40, 1, 1L << 40, 4 }) dims.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }, "'x'", "elements");
        void FoldedConstant(string name, Action<ModelProto> add) => OnnxCase(name, m =>
        {
            add(m);
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Add", Name = "shift", Input = { "r", "big" }, Output = { "rb" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rb";
        }, "bigmaker", "elements");
        FoldedConstant("constant-of-shape-2e31", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "bigshape", DataType = 7, Dims = { 1 }, Int64Data = { 1L << 31 } });
            m.Graph.Node.Insert(0, new NodeProto { OpType = "ConstantOfShape", Name = "bigmaker", Input = { "bigshape" }, Output = { "big" } });
        });
        FoldedConstant("broadcast-blow-up-2e32", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "col", DataType = 1, Dims = { 1L << 16, 1 }, RawData = ByteString.CopyFrom(new byte[4 << 16]) });
            m.Graph.Initializer.Add(new TensorProto { Name = "row", DataType = 1, Dims = { 1, 1L << 16 }, RawData = ByteString.CopyFrom(new byte[4 << 16]) });
            m.Graph.Node.Insert(0, new NodeProto { OpType = "Add", Name = "bigmaker", Input = { "col", "row" }, Output = { "big" } });
        });
        FoldedConstant("expand-to-2e31", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "one", DataType = 1, Dims = { 1 }, FloatData = { 1 } });
            m.Graph.Initializer.Add(new TensorProto { Name = "bigshape", DataType = 7, Dims = { 2 }, Int64Data = { 1L << 16, 1L << 15 } });
            m.Graph.Node.Insert(0, new NodeProto { OpType = "Expand", Name = "bigmaker", Input = { "one", "bigshape" }, Output = { "big" } });
        });
        OnnxCase("range-of-1e12", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "start", DataType = 1, Dims = { }, FloatData = { 0 } });
            m.Graph.Initializer.Add(new TensorProto { Name = "limit", DataType = 1, Dims = { }, FloatData = { 1e12f } });
            m.Graph.Initializer.Add(new TensorProto { Name = "delta", DataType = 1, Dims = { }, FloatData = { 1 } });
            m.Graph.Node.Insert(0, new NodeProto { OpType = "Range", Name = "bigrange", Input = { "start", "limit", "delta" }, Output = { "big" } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Add", Name = "shift", Input = { "r", "big" }, Output = { "rb" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rb";
        }, "bigrange", "elements");
        OnnxCase("initializer-dims-overflow", m =>
            m.Graph.Initializer.Add(new TensorProto { Name = "huge", DataType = 1, Dims = { long.MaxValue, long.MaxValue }, FloatData = { 1 } }), "'huge'", "elements");
        // No elements, every dimension within the limit, but libtorch's strides (products of the other dimensions) overflow.
        OnnxCase("empty-initializer-stride-overflow", m =>
            m.Graph.Initializer.Add(new TensorProto { Name = "hollow", DataType = 1, Dims = { 2, 0, 1 << 28, 1 << 28, 1 << 28 } }), "'hollow'", "elements");
        OnnxCase("pad-to-2e31", m =>
        {
            m.Graph.Initializer.Add(new TensorProto { Name = "pads", DataType = 7, Dims = { 4 }, Int64Data = { 0, 0, 0, 1L << 31 } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Pad", Name = "bigpad", Input = { "r", "pads" }, Output = { "rp" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rp";
        }, "bigpad", "elements");
        OnnxCase("empty-constant-broadcast", m =>
        {
            // x / c with c of shape [0, 2]: broadcasting made the batch empty, and the graph then had no output at all.
            m.Graph.Initializer.Add(new TensorProto { Name = "empty", DataType = 1, Dims = { 0, 2 } });
            var relu = m.Graph.Node.First(n => n.Name == "relu1");
            m.Graph.Node.Insert(m.Graph.Node.IndexOf(relu) + 1, new NodeProto { OpType = "Div", Name = "emptydiv", Input = { "r", "empty" }, Output = { "rd" } });
            m.Graph.Node.First(n => n.Name == "gemm2").Input[0] = "rd";
        }, "emptydiv", "empty");
        OnnxCase("empty-constant-output", m =>
        {
            // The graph's output is a constant with no elements: its Linear(9 -> 0) node escaped as a GraphException.
            m.Graph.Node.First(n => n.Name == "gemm2").Output[0] = "unused";
            m.Graph.Node.Add(new NodeProto
            {
                OpType = "Constant", Name = "nothing", Output = { "y" },
                Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = new TensorProto { DataType = 1, Dims = { 1, 0 } } } },
            });
        }, "empty");
        {
            // A constant output over a large input: the importer wrote it as a zero matrix over the whole input (here
            // 4,096 x 4,194,306 numbers, 137 GB; the fuzzer's 12 KB model asked for 2.5 GB). Now one column.
            var model = ModelProto.Parser.ParseFrom(GroundTruthModels.OnnxBytes());
            model.Graph.Input.Add(new ValueInfoProto
            {
                Name = "big",
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = 1 << 22 } } } } },
            });
            model.Graph.Node.First(n => n.Name == "gemm2").Output[0] = "unused";
            var c = new TensorProto { DataType = 1, Dims = { 1, 4096 } };
            c.FloatData.AddRange(Enumerable.Range(0, 4096).Select(i => (float)i));
            model.Graph.Node.Add(new NodeProto
            {
                OpType = "Constant", Name = "wide", Output = { "y" },
                Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = c } },
            });
            Add("onnx", "constant-output-over-large-input", new Expectation.Success("Linear(1->4096)"), "info", Write("constant-output-over-large-input.onnx", model.ToByteArray()));
        }
        OnnxCase("unnamed-node-error", m =>
        {
            var w = m.Graph.Initializer.First(i => i.Name == "W1");
            w.Dims.Clear(); w.Dims.AddRange(new long[] { 2, 3 }); w.FloatData.Clear(); w.FloatData.AddRange(new float[] { 1, 1, 1, 1, -1, 1 });
            m.Graph.Node.First(n => n.Name == "gemm1").Name = "";
        }, "node #1");
        OnnxCase("opset-999", m => m.OpsetImport[0].Version = 999);
        OnnxCase("ir-version-99", m => m.IrVersion = 99);
        OnnxCase("no-graph", m => m.Graph = null, "no graph");
        OnnxCase("node-output-empty-name", m => m.Graph.Node.First(n => n.Name == "relu1").Output[0] = "", "relu1");
    }

    /// <summary>A mutation of the ground-truth model that must be refused naming <paramref name="mentions"/> (and the file).</summary>
    void OnnxCase(string name, Action<ModelProto> mutate, params string[] mentions)
    {
        var model = ModelProto.Parser.ParseFrom(GroundTruthModels.OnnxBytes());
        mutate(model);
        var path = Write(name + ".onnx", model.ToByteArray());
        Add("onnx", name, Err(new[] { path }.Concat(mentions).ToArray()), Verify(path, SatProperty));
    }

    // ---- NNet ----------------------------------------------------------------------------------------------------

    void NNet()
    {
        var good = GroundTruthModels.NNet();
        var goodPath = Write("model.nnet", good);
        Add("nnet", "baseline-sat", new Expectation.Verdict("sat"), Verify(goodPath, SatProperty));
        Add("nnet", "baseline-unsat", new Expectation.Verdict("unsat"), Verify(goodPath, UnsatProperty));
        Add("nnet", "crlf-line-endings", new Expectation.Verdict("sat"), Verify(Write("crlf.nnet", good.Replace("\n", "\r\n")), SatProperty));
        var lines = good.TrimEnd('\n').Split('\n');
        // Every truncation after the header loses numbers the format needs.
        for (int keep = 1; keep < lines.Length; keep++)
        {
            var path = Write($"truncated-{keep}.nnet", string.Join("\n", lines.Take(keep)) + "\n");
            Add("nnet", $"truncated-after-line-{keep}", Err(path), Verify(path, SatProperty));
        }
        // A non-number in each numeric line names that line.
        for (int line = 2; line <= lines.Length; line++)
        {
            var copy = (string[])lines.Clone();
            copy[line - 1] = "abc," + copy[line - 1];
            var path = Write($"garbage-line-{line}.nnet", string.Join("\n", copy) + "\n");
            Add("nnet", $"non-number-on-line-{line}", Err(path, $":{line}"), Verify(path, SatProperty));
        }
        foreach (var bad in new[] { "nan", "inf", "-inf", "1e999" })
        {
            var path = Write($"weight-{bad}.nnet", GroundTruthModels.NNet(w00: bad));
            Add("nnet", $"weight-{bad}", Err(path, ":9"), Verify(path, SatProperty));
        }
        NNetHeader("zero-layers", "0,2,2,2,", "2,");
        NNetHeader("negative-layers", "-1,2,2,2,", "2,2,2,");
        NNetHeader("huge-layer-size", "2,2,2,2000000000,", "2,2000000000,2,");
        NNetHeader("layer-sizes-disagree-with-header", "2,3,2,3,", "2,2,2,");
        var empty = Write("empty.nnet", "");
        Add("nnet", "empty-file", Err(empty), Verify(empty, SatProperty));
        var bin = new byte[300];
        new Random(5).NextBytes(bin);
        var binPath = Write("binary.nnet", bin);
        Add("nnet", "binary", Err(binPath), Verify(binPath, SatProperty));
    }

    void NNetHeader(string name, string header, string sizes)
    {
        var lines = GroundTruthModels.NNet().Split('\n');
        lines[1] = header;
        lines[2] = sizes;
        var path = Write(name + ".nnet", string.Join("\n", lines));
        Add("nnet", name, Err(path), Verify(path, SatProperty));
    }

    // ---- VNNLIB --------------------------------------------------------------------------------------------------

    void VnnLib()
    {
        // Valid but unusual files: each gets its verdict, and the verdict is the truth.
        VnnVerdict("crlf", GroundTruthModels.Property(GroundTruthModels.Reachable, "\r\n"), "sat");
        VnnVerdict("lone-cr", GroundTruthModels.Property(GroundTruthModels.Unreachable, "\r"), "unsat");
        VnnVerdict("bom", "\uFEFF" + GroundTruthModels.Property(GroundTruthModels.Reachable), "sat");
        VnnVerdict("tabs-and-blank-lines", GroundTruthModels.Property("(>=\tY_0\t\t2.5)").Replace("\n", "\n\n\t"), "unsat");
        VnnVerdict("comments-everywhere", GroundTruthModels.Property("(>= Y_0 ; comment\n 1.5)").Replace("\n(", "\n; (assert (<= X_0 -100))\n("), "sat");
        VnnVerdict("strict-unreachable", GroundTruthModels.Property("(> Y_0 2.5)"), "unsat");
        VnnVerdict("strict-reachable", GroundTruthModels.Property("(> Y_0 1.5)"), "sat");
        VnnVerdict("chain", GroundTruthModels.Property("(<= 2.5 Y_0 100)"), "unsat");
        VnnVerdict("exponent-numbers", GroundTruthModels.Property("(>= Y_0 25e-1)"), "unsat");
        VnnVerdict("rational-number", GroundTruthModels.Property("(>= Y_0 (/ 3 2))"), "sat");
        VnnVerdict("linear-term", GroundTruthModels.Property("(>= (+ Y_0 (* -1 Y_1) (- 0.5)) 1.6)"), "unsat");  // y0 - y1 ≤ 2·min(x0,x1) ≤ 2: reaching 2.1 is impossible
        VnnVerdict("or-of-unreachable", GroundTruthModels.Property("(or (>= Y_0 2.5) (>= Y_1 1.5) (and (>= Y_0 2.1) (>= Y_1 0)))"), "unsat");
        VnnVerdict("or-with-one-reachable", GroundTruthModels.Property("(or (>= Y_0 2.5) (>= Y_1 0.5))"), "sat");
        VnnVerdict("true-assertion-everything-unsafe", GroundTruthModels.Property("true"), "sat");
        VnnVerdict("false-assertion-nothing-unsafe", GroundTruthModels.Property("false"), "unsat");
        VnnVerdict("point-box", GroundTruthModels.Property("(>= Y_0 0.9)", lo: 0.5, hi: 0.5), "sat");
        VnnVerdict("point-box-unreachable", GroundTruthModels.Property("(>= Y_0 1.1)", lo: 0.5, hi: 0.5), "unsat");
        VnnVerdict("empty-box", GroundTruthModels.Property("(>= Y_0 0)", lo: 1, hi: 0), "unsat");
        VnnVerdict("nested-400-deep", GroundTruthModels.Property(Nest("and", 400, "(>= Y_0 2.5)")), "unsat");
        VnnVerdict("term-nested-400-deep", GroundTruthModels.Property($"(>= {Nest("+", 400, "Y_0")} 1.5)"), "sat");
        VnnVerdict("ignored-commands", "(set-logic QF_LRA)\n(set-info :source |a\nb|)\n" + GroundTruthModels.Property(GroundTruthModels.Reachable) + "(check-sat)\n(get-model)\n(exit)\n", "sat");
        VnnVerdict("declare-fun", GroundTruthModels.Property(GroundTruthModels.Unreachable).Replace("declare-const X_1 Real", "declare-fun X_1 () Real"), "unsat");
        VnnVerdict("equality-box", GroundTruthModels.Property("(>= Y_0 0.9)").Replace("(assert (>= X_0 0))\n(assert (<= X_0 1))", "(assert (= X_0 0.5))"), "sat");
        VnnVerdictGz("gzip", GroundTruthModels.Property(GroundTruthModels.Reachable), "sat");
        VnnVerdictGz("gzip-unsat", GroundTruthModels.Property(GroundTruthModels.Unreachable), "unsat");

        // Syntax: each error names the file and, where there is one, the line.
        var header = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(assert (<= 0 X_0 1))\n(assert (<= 0 X_1 1))\n";
        VnnError("unclosed-assert", header + "(assert (>= Y_0 1.5)\n", ":7");
        VnnError("stray-close", header + "(assert (>= Y_0 1.5)))\n", ":7");
        VnnError("unknown-command", header + "(maximize Y_0)\n", ":7", "maximize");
        VnnError("unknown-operator", header + "(assert (xor (>= Y_0 1) (>= Y_1 1)))\n", ":7", "xor");
        VnnError("unknown-term-operator", header + "(assert (>= (exp Y_0) 1))\n", ":7", "exp");
        VnnError("nonlinear-product", header + "(assert (>= (* Y_0 Y_1) 1))\n", ":7");
        VnnError("division-by-variable", header + "(assert (>= (/ 1 Y_0) 1))\n", ":7");
        VnnError("division-by-zero", header + "(assert (>= (/ Y_0 0) 1))\n", ":7");
        VnnError("mixes-inputs-and-outputs", header + "(assert (>= Y_0 X_0))\n", ":7");
        VnnError("inputs-in-a-sum", header + "(assert (<= (+ X_0 X_1) 1))\n(assert (>= Y_0 1))\n", ":7");
        VnnError("undeclared-variable", header + "(assert (>= Y_7 1))\n", ":7", "Y_7");
        VnnError("negative-index", header.Replace("X_1 Real", "X_-1 Real"), ":2");
        VnnError("huge-index", header + "(declare-const X_99999999999 Real)\n", ":7");
        VnnError("declared-twice", header + "(declare-const X_0 Real)\n", ":7", "X_0");
        VnnError("wrong-sort", header.Replace("Y_1 Real", "Y_1 Int"), ":4", "Int");
        VnnError("bad-variable-name", header + "(declare-const Z_0 Real)\n", ":7", "Z_0");
        // A 360-byte file declaring X_325476643 made the parser grow a list of 325 million flags (830 MB; found by fuzzing).
        VnnError("huge-index-declared", "(declare-const X_0 Real)\n(declare-const X_325476643 Real)\n(declare-const Y_0 Real)\n(assert (<= 0 X_0 1))\n(assert (>= Y_0 1))\n", "X_1 is not declared", "X_325476643");
        VnnError("gap-in-numbering", "(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)\n(assert (<= 0 X_0 1))\n(assert (<= 0 X_2 1))\n(assert (>= Y_0 1))\n", "X_1");
        VnnError("no-outputs", "(declare-const X_0 Real)\n(assert (<= 0 X_0 1))\n", "output");
        VnnError("no-inputs", "(declare-const Y_0 Real)\n(assert (>= Y_0 1))\n", "input");
        VnnError("unbounded-input", header.Replace("(assert (<= 0 X_1 1))\n", "(assert (<= X_1 1))\n") + "(assert (>= Y_0 1))\n", "X_1");
        VnnError("comparison-one-term", header + "(assert (>= Y_0))\n", ":7");
        VnnError("empty-and", header + "(assert (and))\n(assert (>= Y_0 7", ":8");
        VnnError("unterminated-string", header + "(set-info :x \"never closed\n", ":7");
        VnnError("unterminated-quoted-symbol", header + "(set-info :x |never closed\n", ":7");
        foreach (var n in new[] { "1.2.3", "--1", "0x10", "1e999", "-1e400", "nan", "inf", "+inf", "1e", ".", "1/2", "١٢" })
            VnnError($"bad-number-{Sanitise(n)}", header + $"(assert (>= Y_0 {n}))\n", ":7");
        foreach (var (op, leaf, label) in new[] { ("and", "(>= Y_0 2.5)", "and"), ("or", "(>= Y_0 2.5)", "or"), ("+", "Y_0", "plus"), ("-", "Y_0", "minus") })
        {
            string formula(int depth) => op is "and" or "or" ? Nest(op, depth, leaf) : $"(>= {Nest(op, depth, leaf)} 1.5)";
            VnnError($"nested-501-{label}", header + $"(assert {formula(501)})\n", ":7", "nest");
            VnnError($"nested-10000-{label}", header + $"(assert {formula(10_000)})\n", ":7", "nest");
        }
        VnnError("huge-token", header + $"(assert (>= Y_0 {new string('1', 70_000)}))\n", ":7", "token");
        VnnError("dnf-explosion", header + "(assert (and " + string.Concat(Enumerable.Repeat("(or (>= Y_0 1) (>= Y_1 1))", 20)) + "))\n", "conjunctions");
        VnnError("empty-file", "", "variables");
        VnnError("only-comments", "; nothing here\n; at all\n", "variables");
        VnnError("nul-byte", header + "(assert (>= Y_0 1\0))\n", ":7", "binary");
        var rng = new Random(21);
        for (int s = 0; s < 6; s++)
        {
            var bytes = new byte[64 << s];
            rng.NextBytes(bytes);
            VnnErrorBytes($"random-bytes-{bytes.Length}", bytes);
        }
        VnnErrorBytes("onnx-as-property", GroundTruthModels.OnnxBytes());
        VnnErrorBytes("utf16-without-bom", Encoding.Unicode.GetBytes(GroundTruthModels.Property(GroundTruthModels.Reachable)), "binary");
        VnnVerdictBytes("utf16-with-bom", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(GroundTruthModels.Property(GroundTruthModels.Reachable))).ToArray(), "sat");
        VnnErrorBytes("latin1-in-a-name", Encoding.Latin1.GetBytes(header + "(assert (>= Y_é 1))\n"), ":7");
        // Truncations of a valid property inside its last assertion: always unclosed, and the error names a line.
        var full = GroundTruthModels.Property("(or (>= Y_0 2.5) (and (>= Y_1 1.5) (<= Y_0 0.25)))");
        int start = full.LastIndexOf("(assert", StringComparison.Ordinal);
        for (int k = 1; k <= 12; k++)
        {
            int cut = start + (full.Length - 2 - start) * k / 12;
            VnnError($"truncated-at-{cut}", full[..cut]);
        }
        // Compression: a plain file named .gz, a truncated archive, gzip data without .gz.
        VnnErrorBytes("plain-text-named-gz", Encoding.UTF8.GetBytes(GroundTruthModels.Property(GroundTruthModels.Reachable)), "gzip", ext: ".vnnlib.gz");
        var gz = Gzip(GroundTruthModels.Property(GroundTruthModels.Reachable));
        VnnErrorBytes("truncated-gz", gz[..(gz.Length / 2)], ".vnnlib.gz", Array.Empty<string>());
        VnnErrorBytes("gzip-without-gz-name", gz, "gzip");
        // Special files and folders.
        Add("vnnlib", "dev-zero", Err("/dev/zero"), Verify(Model, "/dev/zero"));
        Add("vnnlib", "dev-null", Err("/dev/null"), Verify(Model, "/dev/null"));
        Add("vnnlib", "a-folder", Err(_dir, "folder"), Verify(Model, _dir));
        Add("vnnlib", "missing-file", Err("nowhere.vnnlib"), Verify(Model, Path.Combine(_dir, "nowhere.vnnlib")));
        // Sizes that disagree with the network.
        VnnErrorAgainstModel("three-inputs", header.Replace("(declare-const Y_0", "(declare-const X_2 Real)\n(assert (<= 0 X_2 1))\n(declare-const Y_0") + "(assert (>= Y_0 1))\n", "3 inputs");
        VnnErrorAgainstModel("one-output", header.Replace("(declare-const Y_1 Real)\n", "") + "(assert (>= Y_0 1))\n", "1 outputs");
    }

    static string Nest(string op, int depth, string leaf) =>
        string.Concat(Enumerable.Repeat($"({op} ", depth)) + leaf + new string(')', depth);

    static string Sanitise(string s) => string.Concat(s.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '_'));

    static byte[] Gzip(string text)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest)) z.Write(Encoding.UTF8.GetBytes(text));
        return ms.ToArray();
    }

    void VnnVerdict(string name, string text, string word) => VnnVerdictBytes(name, Encoding.UTF8.GetBytes(text), word);

    void VnnVerdictBytes(string name, byte[] bytes, string word)
    {
        var path = Write(name + ".vnnlib", bytes);
        Add("vnnlib", name, new Expectation.Verdict(word), Verify(Model, path));
    }

    void VnnVerdictGz(string name, string text, string word)
    {
        var path = Write(name + ".vnnlib.gz", Gzip(text));
        Add("vnnlib", name, new Expectation.Verdict(word), Verify(Model, path));
    }

    void VnnError(string name, string text, params string[] mentions) => VnnErrorBytes(name, Encoding.UTF8.GetBytes(text), mentions);

    void VnnErrorBytes(string name, byte[] bytes, params string[] mentions) => VnnErrorBytes(name, bytes, ".vnnlib", mentions);

    void VnnErrorBytes(string name, byte[] bytes, string mention, string ext) => VnnErrorBytes(name, bytes, ext, new[] { mention });

    void VnnErrorBytes(string name, byte[] bytes, string ext, string[] mentions)
    {
        var path = Write(name + ext, bytes);
        Add("vnnlib", name, Err(new[] { path }.Concat(mentions.Where(m => m.Length > 0)).ToArray()), Verify(Model, path));
    }

    void VnnErrorAgainstModel(string name, string text, string mention)
    {
        var path = Write(name + ".vnnlib", text);
        Add("vnnlib", name, Err(path, mention), Verify(Model, path));
    }

    // ---- instance lists ------------------------------------------------------------------------------------------

    void Lists()
    {
        string Row(string timeout) => $"{Model},{SatProperty},{timeout}";
        foreach (var t in new[] { "0", "-5", "abc", "NaN", "inf", "1e300", "" })
        {
            var path = Write($"list-timeout-{Sanitise(t)}.csv", Row(t) + "\n");
            Add("list", $"timeout-{(t.Length == 0 ? "empty" : Sanitise(t))}", Err(path, ":1"), "run", path);
        }
        var second = Write("list-bad-second-row.csv", Row("10") + "\n" + Row("-1") + "\n");
        Add("list", "bad-timeout-on-line-2", Err(second, ":2"), "run", second);
        var one = Write("list-one-column.csv", Model + "\n");
        Add("list", "one-column", Err(one, ":1"), "run", one);
        var header = Write("list-header-without-paths.csv", "family,label\nx,sat\n");
        Add("list", "header-without-onnx-column", Err(header), "run", header);
        var bin = new byte[256];
        new Random(3).NextBytes(bin);
        var binPath = Write("list-binary.csv", bin);
        Add("list", "binary", Err(binPath), "run", binPath);
        Add("list", "dev-zero", Err("/dev/zero"), "run", "/dev/zero");
        Add("list", "missing", Err("nowhere.csv"), "run", Path.Combine(_dir, "nowhere.csv"));
        Add("list", "a-folder", Err(_dir), "run", _dir);
        var empty = Write("list-empty.csv", "");
        Add("list", "empty", Err(empty), "run", empty);
        // Rows that name files that do not exist are refused before any instance runs, naming the row.
        var missing = Write("list-missing-files.csv", $"{Path.Combine(_dir, "no.onnx")},{SatProperty},10\n{Model},{Path.Combine(_dir, "no.vnnlib")},10\n");
        Add("list", "rows-name-missing-files", Err(missing, ":1", "no.onnx"), "run", missing);
        // A row whose network fails during the run (it imports nowhere) is an error row, and the run fails loudly.
        var broken = Write("list-broken-network.csv", $"{Write("broken.onnx", new byte[] { 1, 2, 3, 250 })},{SatProperty},10\n");
        Add("list", "row-network-broken", new Expectation.Error(1), "run", broken);
        // A valid list: answers checked against the ground truth through the labels.
        var labelled = Write("list-labelled.csv", $"onnx,vnnlib,timeout,label\n{Model},{SatProperty},10,sat\n{Model},{UnsatProperty},10,unsat\n");
        Add("list", "labelled-ground-truth", new Expectation.Success(), "run", labelled);
    }

    // ---- command-line options ------------------------------------------------------------------------------------

    void Options()
    {
        foreach (var t in new[] { "NaN", "inf", "-inf", "0", "-5", "1e300", "abc", "", "10s", "0x10" })
            Add("option", $"verify-timeout-{(t.Length == 0 ? "empty" : Sanitise(t))}", Err("--timeout"), "verify", Model, SatProperty, "--timeout", t);
        Add("option", "verify-method-unknown", Err("--method", "foo"), "verify", Model, SatProperty, "--method", "foo");
        Add("option", "verify-split-unknown", Err("--split", "diagonal"), "verify", Model, SatProperty, "--split", "diagonal");
        Add("option", "verify-exact-unknown", Err("--exact", "gurobi"), "verify", Model, SatProperty, "--exact", "gurobi");
        Add("option", "verify-exact-smt-unsat", new Expectation.Verdict("unsat"), "verify", Model, UnsatProperty, "--exact", "smt", "--no-attack");
        Add("option", "verify-unknown-option", Err("--bogus"), "verify", Model, SatProperty, "--bogus");
        Add("option", "verify-missing-property", Err("property"), "verify", Model);
        Add("option", "verify-no-arguments", Err("model"), "verify");
        Add("option", "verify-too-many-arguments", Err("extra"), "verify", Model, SatProperty, "extra");
        Add("option", "verify-model-missing", Err("nowhere.onnx"), Verify(Path.Combine(_dir, "nowhere.onnx"), SatProperty));
        Add("option", "verify-model-is-folder", Err(_dir), Verify(_dir, SatProperty));
        Add("option", "verify-model-unknown-extension", Err("model.txt", ".txt"), Verify(Write("model.txt", "x"), SatProperty));
        Add("option", "verify-model-dev-zero-as-onnx", Err("zero.onnx"), Verify(DevZeroLink("zero.onnx"), SatProperty));
        foreach (var (name, path, mention) in UnwritablePaths())
        {
            Add("option", $"verify-results-{name}", Err("--results", mention), Verify(Model, SatProperty, "--results", path));
            Add("option", $"bounds-json-out-{name}", Err("--json-out", mention), "bounds", Model, SatProperty, "--json-out", path);
            Add("option", $"run-out-{name}", Err("--out", mention), "run", ValidList, "--out", path);
        }
        foreach (var v in new[] { "0", "-1", "abc", "1.5" })
            Add("option", $"bounds-alpha-iterations-{Sanitise(v)}", Err("--alpha-iterations"), "bounds", Model, SatProperty, "--method", "alpha-crown", "--alpha-iterations", v);
        Add("option", "bounds-method-unknown", Err("--method", "zonotope"), "bounds", Model, SatProperty, "--method", "zonotope");
        Add("option", "bounds-device-unknown", Err("--device", "tpu"), "bounds", Model, SatProperty, "--device", "tpu");
        Add("option", "spec-max-zero", Err("--max"), "spec", SatProperty, "--max", "0");
        Add("option", "spec-missing-file", Err("nowhere.vnnlib"), "spec", Path.Combine(_dir, "nowhere.vnnlib"));
        Add("option", "info-missing-file", Err("nowhere.onnx"), "info", Path.Combine(_dir, "nowhere.onnx"));
        Add("option", "info-random-bytes", Err("garbage.onnx"), "info", Write("garbage.onnx", new byte[] { 8, 200, 1, 7 }));
        Add("option", "eval-input-missing", Err("nowhere.json"), "eval", Model, "--input", Path.Combine(_dir, "nowhere.json"));
        Add("option", "eval-input-not-json", Err("input.json"), "eval", Model, "--input", Write("input.json", "[1, 2"));
        Add("option", "eval-input-wrong-length", Err("input3.json", "3"), "eval", Model, "--input", Write("input3.json", "[1, 2, 3]"));
        Add("option", "eval-input-not-numbers", Err("inputs.json", "element 1"), "eval", Model, "--input", Write("inputs.json", "[1, \"a\"]"));
        Add("option", "eval-input-huge-number", Err("inputh.json", "element 0"), "eval", Model, "--input", Write("inputh.json", "[1e400, 0]"));
        Add("option", "eval-ok", new Expectation.Success("certify"), "eval", Model, "--input", Write("input-ok.json", "[1, 1]"));
        foreach (var v in new[] { "0", "NaN", "-1" })
            Add("option", $"run-timeout-scale-{Sanitise(v)}", Err("--timeout-scale"), "run", ValidList, "--timeout-scale", v);
        foreach (var v in new[] { "0", "NaN", "1e300" })
            Add("option", $"run-max-timeout-{Sanitise(v)}", Err("--max-timeout"), "run", ValidList, "--max-timeout", v);
        Add("option", "run-limit-zero", Err("--limit"), "run", ValidList, "--limit", "0");
        Add("option", "run-resume-without-out", Err("--resume", "--out"), "run", ValidList, "--resume");
        foreach (var v in new[] { "-0.1", "2", "NaN" })
            Add("option", $"certify-accuracy-eps-{Sanitise(v)}", Err("--eps"), "certify-accuracy", Model, "--eps", v);
        Add("option", "certify-accuracy-method-unknown", Err("--method"), "certify-accuracy", Model, "--method", "magic");
        Add("option", "certify-accuracy-timeout-zero", Err("--timeout"), "certify-accuracy", Model, "--method", "complete", "--timeout", "0");
        foreach (var (opt, v) in new[] { ("--epochs", "0"), ("--batch-size", "0"), ("--lr", "NaN"), ("--lr", "-1"), ("--eps", "-1"), ("--model", "resnet999"), ("--method", "magic") })
            Add("option", $"train{opt}-{Sanitise(v)}", Err(opt), "train", opt, v);
        foreach (var (opt, v) in new[] { ("--count", "0"), ("--eps", "NaN"), ("--eps", "-0.5"), ("--first", "-1"), ("--timeout", "0") })
            Add("option", $"mnist-properties{opt}-{Sanitise(v)}", Err(opt), "mnist-properties", opt, v, "--out", Path.Combine(_dir, "props"));
        Add("option", "mnist-properties-out-is-a-file", Err("--out", "file"), "mnist-properties", "--out", Model);
        Add("option", "soundness-run-missing-folder", Err("nowhere"), "soundness", "run", Path.Combine(_dir, "nowhere"), "--tool", "certify");
        Add("option", "unknown-command", Err("frobnicate"), "frobnicate");
    }

    // ---- configuration files (--config) ----------------------------------------------------------------------------

    /// <summary>
    /// Bad configuration files given to every command that reads one: each must end in one line naming the file (and,
    /// for a bad key or value, the line and the key) with exit 2, before any work; a good one changes the verdict's
    /// route, never its truth.
    /// </summary>
    void Configs()
    {
        var bad = new (string Name, string Text, string[] Mentions)[]
        {
            ("unknown-key", "attack:\n  iteratons: 3\n", new[] { ":2:3:", "attack.iteratons", "unknown key" }),
            ("unknown-section", "atack:\n  seed: 1\n", new[] { ":1:1:", "atack", "unknown section" }),
            ("wrong-type", "branch_and_bound:\n  batch_size: lots\n", new[] { ":2:15:", "branch_and_bound.batch_size", "lots" }),
            ("nan", "verifier:\n  timeout: .nan\n", new[] { ":2:12:", "verifier.timeout" }),
            ("negative", "attack:\n  random_samples: -5\n", new[] { ":2:19:", "attack.random_samples", "-5" }),
            ("zero-tolerance", "branch_and_bound:\n  tolerance: 0\n", new[] { "branch_and_bound.tolerance", "greater than 0" }),
            ("huge-timeout", "verifier:\n  timeout: 1e300\n", new[] { "verifier.timeout" }),
            ("not-a-bool", "verifier:\n  attack: maybe\n", new[] { "verifier.attack", "maybe" }),
            ("list-for-number", "attack:\n  seed: [1, 2]\n", new[] { "attack.seed", "list" }),
            ("duplicate-key", "attack:\n  seed: 1\n  seed: 2\n", new[] { ":3:", "seed" }),
            ("malformed-yaml", "attack:\n  seed: [1\n", new[] { "not valid YAML" }),
            ("a-scalar", "just words\n", new[] { "expected a mapping of sections" }),
            ("two-documents", "attack:\n  seed: 1\n---\nattack:\n  seed: 2\n", new[] { "more than one YAML document" }),
        };
        foreach (var (name, text, mentions) in bad)
        {
            var file = Write($"config-{name}.yaml", text);
            var expect = Err(mentions.Prepend(file).ToArray());
            Add("config", $"verify-{name}", expect, Verify(Model, SatProperty, "--config", file));
            Add("config", $"run-{name}", expect, "run", ValidList, "--config", file);
            Add("config", $"bounds-{name}", expect, "bounds", Model, SatProperty, "--config", file);
            Add("config", $"dump-{name}", expect, "config", "--dump", "--config", file);
        }
        Add("config", "binary", Err("config-binary.yaml"), "config", "--dump", "--config", Write("config-binary.yaml", new byte[] { 0xff, 0xfe, 0, 0x80, 0x81, 7 }));
        Add("config", "dev-zero", Err("/dev/zero"), "config", "--dump", "--config", "/dev/zero");
        Add("config", "missing", Err("nowhere.yaml", "no such file"), Verify(Model, SatProperty, "--config", Path.Combine(_dir, "nowhere.yaml")));
        Add("config", "folder", Err(_dir, "folder"), Verify(Model, SatProperty, "--config", _dir));
        Add("config", "dump-without-dump", Err("--dump"), "config");
        // A valid file: the true verdicts stand whatever route the settings choose.
        var smt = Write("config-smt.yaml", "verifier:\n  attack: false\n  exact: smt\nbranch_and_bound:\n  max_domains: 1\n");
        Add("config", "smt-no-attack-unsat", new Expectation.Verdict("unsat"), Verify(Model, UnsatProperty, "--config", smt));
        Add("config", "smt-no-attack-sat", new Expectation.Verdict("sat", AllowUndecided: true), Verify(Model, SatProperty, "--config", smt));
        Add("config", "quiet-and-json", Err("--quiet", "--json"), Verify(Model, SatProperty, "--quiet", "--json"));
    }

    string? _validList;
    string ValidList => _validList ??= Write("list-valid.csv", $"{Model},{SatProperty},10\n");

    /// <summary>Output paths that cannot be written, each with the word the error must contain.</summary>
    IEnumerable<(string Name, string Path, string Mention)> UnwritablePaths()
    {
        yield return ("missing-folder", Path.Combine(_dir, "no-such-folder", "out.txt"), "does not exist");
        yield return ("is-a-folder", _dir, "folder");
        yield return ("under-a-file", Path.Combine(Model, "out.txt"), "is a file");
        yield return ("read-only-file-system", "/proc/certify-out.txt", "cannot be written");
        yield return ("empty", "", "empty");
    }

    /// <summary>A symbolic link named <paramref name="name"/> to <c>/dev/zero</c> (a device behind a model's extension).</summary>
    string DevZeroLink(string name)
    {
        var path = Path.Combine(_dir, $"{_files++:D3}-{name}");
        File.CreateSymbolicLink(path, "/dev/zero");
        return path;
    }
}
