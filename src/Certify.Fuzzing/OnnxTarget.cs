using System.Reflection;
using System.Text;
using Certify.Import.Onnx.Proto;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Fuzzing;

/// <summary>
/// Fuzzes <c>OnnxImporter.Import(byte[], string)</c> of the instrumented Certify.Core, and runs every model it accepts
/// forward on a random input: the documented failure is <c>Certify.Import.ImportException</c>; any other exception, in
/// the import or in the forward pass, and an output whose shape is not the graph's declared output shape, are crashes.
/// </summary>
public sealed class OnnxTarget : IFuzzTarget
{
    readonly InstrumentedCore _core;
    readonly Func<byte[], string, object> _import;
    readonly Type _expected, _graphError;
    readonly PropertyInfo _inputSize, _outputShape;
    readonly MethodInfo _to, _forward;
    readonly IReadOnlyList<string> _seedFolders;

    /// <summary>Inputs larger than this are not run forward (the model was accepted; running it would only measure libtorch).</summary>
    public const long MaxForwardInputs = 1 << 18;

    /// <summary>Instruments Certify.Core (once per process) and binds the importer; <paramref name="seedFolders"/> are searched for small <c>*.onnx</c> seeds.</summary>
    public OnnxTarget(IEnumerable<string>? seedFolders = null)
    {
        _core = InstrumentedCore.Shared;
        _import = _core.Method("Certify.Import.OnnxImporter", "Import", typeof(byte[]), typeof(string)).CreateDelegate<Func<byte[], string, object>>();
        _expected = _core.Type("Certify.Import.ImportException");
        _graphError = _core.Type("Certify.Graph.GraphException");
        var graph = _core.Type("Certify.Graph.ComputationGraph");
        _inputSize = graph.GetProperty("InputSize")!;
        _outputShape = graph.GetProperty("OutputShape")!;
        _to = graph.GetMethod("To", [typeof(ScalarType), typeof(Device)])!;
        _forward = graph.GetMethod("Forward", [typeof(Tensor)])!;
        _seedFolders = seedFolders?.ToList() ?? [];
    }

    /// <inheritdoc/>
    public string Name => "onnx";
    /// <inheritdoc/>
    public string Extension => ".onnx";
    /// <inheritdoc/>
    public int MaxInputBytes => 256 << 10;
    /// <inheritdoc/>
    public ICoverageMap Coverage => _core;

    /// <inheritdoc/>
    public string Run(byte[] input)
    {
        // Every tensor the import and the forward pass make is freed here, not left to finalizers (native memory would pile up).
        using var scope = NewDisposeScope();
        TorchGuards.TakeAbort();
        object graph;
        try { graph = _import(input, "fuzz.onnx"); }
        catch (Exception e) when (e.GetType() == _expected)
        {
            // Rejected, but by way of a matmul that outside the fuzzer would have killed the process: a crash.
            if (TorchGuards.TakeAbort() is { } abort) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(abort);
            return "rejected";
        }
        if (TorchGuards.TakeAbort() is { } caught) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(caught);
        long n = (long)_inputSize.GetValue(graph)!;
        if (n < 0) throw new FuzzPropertyException($"the importer accepted a model whose input has {n} elements (declared dimensions whose product overflows 64 bits)");
        if (n > MaxForwardInputs) return "accepted (not run: large input)";
        var rng = new Random(input.Length);   // a fixed input per model size: a crash reproduces from the saved file
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        using var _ = no_grad();
        object g;
        // A float64 model with a value past float32's range is refused when converted for the search: a documented,
        // one-line refusal (the CLI reports GraphException with exit code 2), not a crash.
        try { g = Invoke(_to, graph, ScalarType.Float32, null)!; }
        catch (Exception e) when (e.GetType() == _graphError) { return "rejected (float32 conversion)"; }
        var y = (Tensor)Invoke(_forward, g, tensor(x, [1, n]))!;
        var declared = (long[])_outputShape.GetValue(g)!;
        var expected = new long[declared.Length + 1];
        expected[0] = 1;
        declared.CopyTo(expected, 1);
        if (!y.shape.SequenceEqual(expected))
            throw new FuzzPropertyException($"the forward pass gave shape [{string.Join(",", y.shape)}], the graph declares [{string.Join(",", expected)}]");
        return "accepted";
    }

    static object? Invoke(MethodInfo m, object target, params object?[] args) =>
        m.Invoke(target, BindingFlags.DoNotWrapExceptions, null, args, null);

    /// <inheritdoc/>
    public IReadOnlyList<byte[]> Seeds()
    {
        var seeds = OnnxSeeds.All().ToList();
        seeds.AddRange(SeedFiles.Read(_seedFolders, "*.onnx", 64 << 10, 20));
        return seeds;
    }

    static readonly byte[][] Dict = new[]
    {
        "Gemm", "MatMul", "Conv", "Relu", "Reshape", "Transpose", "Concat", "Slice", "Gather", "Constant", "Shape", "Split",
        "Pad", "Softmax", "BatchNormalization", "MaxPool", "Flatten", "ai.onnx", "axis", "perm", "pads", "kernel_shape", "x",
    }.Select(Encoding.ASCII.GetBytes).Concat([[0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0, 0, 0xC0, 0x7F], [0, 0, 0x80, 0x7F], [0x08], [0x12]]).ToArray();

    /// <inheritdoc/>
    public IReadOnlyList<byte[]> Dictionary => Dict;

    static readonly long[] Dims = [0, 1, 2, 3, 4, 7, 16, -1, -2, 1L << 31, 1L << 40, long.MaxValue, long.MinValue];
    static readonly string[] Ops =
    [
        "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Sign", "Clip", "Flatten",
        "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice", "Split", "Gather", "Identity", "Dropout", "Constant",
        "ConstantOfShape", "Shape", "Cast", "Conv", "ConvTranspose", "BatchNormalization", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Pad", "ReduceSum", "ReduceMean", "Softmax", "Sin", "Cos", "Pow", "Expand", "Range", "Where",
        "Equal", "Min", "Max", "Abs", "Sqrt", "Exp", "Floor", "Ceil", "Not", "Less", "Greater", "NoSuchOp", "", "LSTM", "If", "Loop",
    ];
    static readonly float[] OddFloats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -float.MaxValue, float.Epsilon, -0f, 1e-38f, 0f];

    /// <inheritdoc/>
    public byte[]? Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random rng)
    {
        ModelProto m;
        try { m = ModelProto.Parser.ParseFrom(input); }
        catch (InvalidProtocolBufferException) { return null; }
        if (m.Graph is null) return null;
        var g = m.Graph;
        int steps = 1 + rng.Next(3);
        for (int s = 0; s < steps; s++) MutateModel(m, g, corpus, rng);
        byte[] bytes;
        try { bytes = m.ToByteArray(); }
        catch (InvalidOperationException) { return null; }
        // Truncation: a model cut anywhere (inside a varint, a nested message, a packed array).
        if (rng.Next(8) == 0 && bytes.Length > 1) bytes = bytes[..rng.Next(1, bytes.Length)];
        return bytes.Length > MaxInputBytes ? null : bytes;
    }

    /// <inheritdoc/>
    public IEnumerable<byte[]> Reductions(byte[] input)
    {
        ModelProto m;
        try { m = ModelProto.Parser.ParseFrom(input); }
        catch (InvalidProtocolBufferException) { yield break; }
        if (m.Graph is null) yield break;
        byte[] Without(Action<ModelProto> edit) { var c = m.Clone(); edit(c); return c.ToByteArray(); }
        var g = m.Graph;
        // Largest parts first: initializers hold most of the bytes.
        foreach (int i in Enumerable.Range(0, g.Initializer.Count).OrderByDescending(i => g.Initializer[i].CalculateSize()))
        {
            yield return Without(c => c.Graph.Initializer.RemoveAt(i));
            var t = g.Initializer[i];
            if (t.FloatData.Count > 1 || t.RawData.Length > 8 || t.DoubleData.Count > 1)
                yield return Without(c =>   // same dims, zeros in the smallest encoding: the data's bytes go, its shape stays
                {
                    var ct = c.Graph.Initializer[i];
                    long n = ct.Dims.Aggregate(1L, (a, b) => a * b);
                    ct.FloatData.Clear(); ct.DoubleData.Clear(); ct.RawData = ByteString.Empty;
                    if (n is > 0 and <= 1 << 20 && ct.DataType == 1) ct.FloatData.AddRange(new float[n]);
                    else if (n is > 0 and <= 1 << 20 && ct.DataType == 11) ct.DoubleData.AddRange(new double[n]);
                });
        }
        for (int i = g.Node.Count - 1; i >= 0; i--) yield return Without(c => c.Graph.Node.RemoveAt(i));
        for (int i = 0; i < g.Node.Count; i++)
        {
            for (int a = 0; a < g.Node[i].Attribute.Count; a++) { int ii = i, aa = a; yield return Without(c => c.Graph.Node[ii].Attribute.RemoveAt(aa)); }
            if (g.Node[i].Name.Length > 0 || g.Node[i].DocString.Length > 0) { int ii = i; yield return Without(c => { c.Graph.Node[ii].Name = ""; c.Graph.Node[ii].DocString = ""; }); }
        }
        for (int i = g.Input.Count - 1; i >= 0; i--) yield return Without(c => c.Graph.Input.RemoveAt(i));
        for (int i = g.Output.Count - 1; i >= 0; i--) yield return Without(c => c.Graph.Output.RemoveAt(i));
        if (g.ValueInfo.Count > 0) yield return Without(c => c.Graph.ValueInfo.Clear());
        if (m.ProducerName.Length > 0 || m.DocString.Length > 0 || g.Name.Length > 0 || g.DocString.Length > 0 || m.MetadataProps.Count > 0)
            yield return Without(c => { c.ProducerName = ""; c.ProducerVersion = ""; c.DocString = ""; c.Graph.Name = ""; c.Graph.DocString = ""; c.MetadataProps.Clear(); });
        // Shorter value names.
        var names = g.Node.SelectMany(n => n.Input.Concat(n.Output)).Concat(g.Initializer.Select(t => t.Name)).Concat(g.Input.Select(v => v.Name)).Concat(g.Output.Select(v => v.Name))
            .Where(n => n.Length > 2).Distinct().ToList();
        if (names.Count > 0)
            yield return Without(c =>
            {
                var map = names.Select((n, k) => (n, k)).ToDictionary(p => p.n, p => "v" + p.k);
                string R(string n) => map.TryGetValue(n, out var r) ? r : n;
                foreach (var n in c.Graph.Node) { for (int k = 0; k < n.Input.Count; k++) n.Input[k] = R(n.Input[k]); for (int k = 0; k < n.Output.Count; k++) n.Output[k] = R(n.Output[k]); }
                foreach (var t in c.Graph.Initializer) t.Name = R(t.Name);
                foreach (var v in c.Graph.Input) v.Name = R(v.Name);
                foreach (var v in c.Graph.Output) v.Name = R(v.Name);
            });
    }

    static T Pick<T>(IList<T> list, Random rng) => list[rng.Next(list.Count)];

    /// <summary>
    /// One model-level edit: changed, added or removed dimensions (of inputs, outputs and initializers), removed
    /// initializers, NaN and infinite weights, data that does not match its dims, changed element types, cycles and
    /// forward references, unknown or swapped operators and domains, duplicate names, removed nodes, inputs and outputs,
    /// extreme attribute values, changed opsets, nodes from another model.
    /// </summary>
    static void MutateModel(ModelProto m, GraphProto g, IReadOnlyList<byte[]> corpus, Random rng)
    {
        var nodes = g.Node;
        switch (rng.Next(20))
        {
            case 0: // a dimension of an input or output
            {
                var infos = g.Input.Concat(g.Output).Where(i => i.Type?.TensorType?.Shape is not null).ToList();
                if (infos.Count == 0) break;
                var dims = Pick(infos, rng).Type.TensorType.Shape.Dim;
                int what = rng.Next(4);
                if (what == 0 || dims.Count == 0) dims.Insert(rng.Next(dims.Count + 1), new TensorShapeProto.Types.Dimension { DimValue = Pick(Dims, rng) });
                else if (what == 1) dims.RemoveAt(rng.Next(dims.Count));
                else if (what == 2) dims[rng.Next(dims.Count)] = new TensorShapeProto.Types.Dimension { DimParam = rng.Next(2) == 0 ? "N" : "" };
                else dims[rng.Next(dims.Count)].DimValue = Pick(Dims, rng);
                break;
            }
            case 1: // a dimension of an initializer
            {
                if (g.Initializer.Count == 0) break;
                var t = Pick(g.Initializer, rng);
                int what = rng.Next(3);
                if (what == 0 || t.Dims.Count == 0) t.Dims.Insert(rng.Next(t.Dims.Count + 1), Pick(Dims, rng));
                else if (what == 1) t.Dims.RemoveAt(rng.Next(t.Dims.Count));
                else t.Dims[rng.Next(t.Dims.Count)] = Pick(Dims, rng);
                break;
            }
            case 2: // remove an initializer
                if (g.Initializer.Count > 0) g.Initializer.RemoveAt(rng.Next(g.Initializer.Count));
                break;
            case 3: // NaN, infinite, huge or tiny weights
            {
                var floats = g.Initializer.Where(t => t.FloatData.Count > 0).ToList();
                if (floats.Count == 0) break;
                var t = Pick(floats, rng);
                int k = 1 + rng.Next(t.FloatData.Count);
                for (int i = 0; i < k; i++) t.FloatData[rng.Next(t.FloatData.Count)] = Pick(OddFloats, rng);
                break;
            }
            case 4: // data that does not match its dims, or in another field
            {
                if (g.Initializer.Count == 0) break;
                var t = Pick(g.Initializer, rng);
                switch (rng.Next(5))
                {
                    case 0: if (t.FloatData.Count > 0) t.FloatData.RemoveAt(rng.Next(t.FloatData.Count)); else t.FloatData.Add(1f); break;
                    case 1: if (t.Int64Data.Count > 0) t.Int64Data.RemoveAt(rng.Next(t.Int64Data.Count)); else t.Int64Data.Add(Pick(Dims, rng)); break;
                    case 2: { var raw = new byte[rng.Next(0, 33)]; rng.NextBytes(raw); t.RawData = ByteString.CopyFrom(raw); break; }
                    case 3: t.DoubleData.Add(double.NaN); break;
                    default: t.DataLocation = TensorProto.Types.DataLocation.External; t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "missing-weights.bin" }); break;
                }
                break;
            }
            case 5: // element type of an initializer or an input
            {
                int type = new[] { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 99, -1 }[rng.Next(17)];
                if (rng.Next(2) == 0 && g.Initializer.Count > 0) Pick(g.Initializer, rng).DataType = type;
                else if (g.Input.Count > 0 && Pick(g.Input, rng).Type?.TensorType is { } tt) tt.ElemType = type;
                break;
            }
            case 6: // a cycle or a forward reference: a node reads the output of itself or of a later node
            {
                if (nodes.Count == 0) break;
                int i = rng.Next(nodes.Count), j = i + rng.Next(nodes.Count - i);
                var reader = nodes[i];
                if (nodes[j].Output.Count == 0) break;
                var name = Pick(nodes[j].Output, rng);
                if (reader.Input.Count == 0) reader.Input.Add(name); else reader.Input[rng.Next(reader.Input.Count)] = name;
                break;
            }
            case 7: // another operator, an unknown one, or another domain
            {
                if (nodes.Count == 0) break;
                var n = Pick(nodes, rng);
                if (rng.Next(5) == 0) n.Domain = new[] { "com.microsoft", "ai.onnx.ml", "ai.onnx", "x" }[rng.Next(4)];
                else n.OpType = Pick(Ops, rng);
                break;
            }
            case 8: // duplicate names
            {
                var names = nodes.SelectMany(n => n.Output).Concat(g.Input.Select(i => i.Name)).Concat(g.Initializer.Select(t => t.Name)).ToList();
                if (names.Count == 0) break;
                var name = Pick(names, rng);
                switch (rng.Next(4))
                {
                    case 0 when nodes.Count > 0: { var n = Pick(nodes, rng); if (n.Output.Count > 0) n.Output[rng.Next(n.Output.Count)] = name; break; }
                    case 1 when g.Initializer.Count > 0: Pick(g.Initializer, rng).Name = name; break;
                    case 2 when g.Input.Count > 0: g.Input.Add(g.Input[rng.Next(g.Input.Count)].Clone()); break;
                    case 3 when nodes.Count > 0: nodes.Insert(rng.Next(nodes.Count + 1), Pick(nodes, rng).Clone()); break;
                }
                break;
            }
            case 9: // remove a node, or swap two (the file order is then not topological)
            {
                if (nodes.Count == 0) break;
                if (rng.Next(2) == 0) nodes.RemoveAt(rng.Next(nodes.Count));
                else { int a = rng.Next(nodes.Count), b = rng.Next(nodes.Count); (nodes[a], nodes[b]) = (nodes[b], nodes[a]); }
                break;
            }
            case 10: // remove, add or blank a node input
            {
                if (nodes.Count == 0) break;
                var n = Pick(nodes, rng);
                int what = rng.Next(3);
                if (what == 0 && n.Input.Count > 0) n.Input.RemoveAt(rng.Next(n.Input.Count));
                else if (what == 1) n.Input.Add(rng.Next(2) == 0 ? "" : n.Input.Count > 0 ? Pick(n.Input, rng) : "nowhere");
                else if (n.Input.Count > 0) n.Input[rng.Next(n.Input.Count)] = rng.Next(2) == 0 ? "" : "nowhere";
                break;
            }
            case 11: // node outputs: removed, added, renamed
            {
                if (nodes.Count == 0) break;
                var n = Pick(nodes, rng);
                int what = rng.Next(3);
                if (what == 0 && n.Output.Count > 0) n.Output.RemoveAt(rng.Next(n.Output.Count));
                else if (what == 1) n.Output.Add("extra" + rng.Next(3));
                else if (n.Output.Count > 0) n.Output[rng.Next(n.Output.Count)] = "";
                break;
            }
            case 12: // an attribute value made extreme, its type changed, or the attribute removed or duplicated
            {
                var withAttrs = nodes.Where(n => n.Attribute.Count > 0).ToList();
                if (withAttrs.Count == 0) break;
                var n = Pick(withAttrs, rng);
                var a = Pick(n.Attribute, rng);
                switch (rng.Next(7))
                {
                    case 0: a.I = Pick(Dims, rng); break;
                    case 1: if (a.Ints.Count > 0) a.Ints[rng.Next(a.Ints.Count)] = Pick(Dims, rng); else a.Ints.Add(Pick(Dims, rng)); break;
                    case 2: if (a.Ints.Count > 0) a.Ints.RemoveAt(rng.Next(a.Ints.Count)); else a.Ints.AddRange([1, 1, 1, 1, 1]); break;
                    case 3: a.F = Pick(OddFloats, rng); break;
                    case 4: a.Type = (AttributeProto.Types.AttributeType)rng.Next(15); break;
                    case 5: n.Attribute.Remove(a); break;
                    default: n.Attribute.Add(a.Clone()); break;
                }
                break;
            }
            case 13: // an attribute a node may take, with an odd value
            {
                if (nodes.Count == 0) break;
                var n = Pick(nodes, rng);
                var name = new[] { "axis", "axes", "perm", "pads", "strides", "dilations", "group", "kernel_shape", "transA", "transB", "alpha", "beta", "keepdims", "auto_pad", "to", "epsilon", "allowzero", "ceil_mode", "split", "num_outputs", "value" }[rng.Next(21)];
                var a = new AttributeProto { Name = name };
                switch (rng.Next(4))
                {
                    case 0: a.Type = AttributeProto.Types.AttributeType.Int; a.I = Pick(Dims, rng); break;
                    case 1: a.Type = AttributeProto.Types.AttributeType.Ints; for (int k = rng.Next(7); k > 0; k--) a.Ints.Add(Pick(Dims, rng)); break;
                    case 2: a.Type = AttributeProto.Types.AttributeType.Float; a.F = Pick(OddFloats, rng); break;
                    default: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(new[] { "SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "bogus" }[rng.Next(5)]); break;
                }
                n.Attribute.Add(a);
                break;
            }
            case 14: // opset
            {
                if (rng.Next(4) == 0 && m.OpsetImport.Count > 0) m.OpsetImport.RemoveAt(0);
                else if (m.OpsetImport.Count > 0) m.OpsetImport[0].Version = new long[] { 1, 6, 7, 9, 10, 11, 12, 13, 17, 18, 21, 1000, -1, 0 }[rng.Next(14)];
                else m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
                break;
            }
            case 15: // graph outputs and inputs removed, renamed or pointed at an initializer or an input
            {
                int what = rng.Next(4);
                if (what == 0 && g.Output.Count > 0) g.Output.RemoveAt(rng.Next(g.Output.Count));
                else if (what == 1 && g.Output.Count > 0 && g.Initializer.Count > 0) g.Output[0].Name = Pick(g.Initializer, rng).Name;
                else if (what == 2 && g.Output.Count > 0 && g.Input.Count > 0) g.Output[0].Name = Pick(g.Input, rng).Name;
                else if (g.Input.Count > 0) g.Input.RemoveAt(rng.Next(g.Input.Count));
                break;
            }
            case 16: // a node or an initializer from another model (names may collide or dangle)
            {
                ModelProto other;
                try { other = ModelProto.Parser.ParseFrom(corpus[rng.Next(corpus.Count)]); }
                catch (InvalidProtocolBufferException) { break; }
                if (other.Graph is null) break;
                if (rng.Next(2) == 0 && other.Graph.Node.Count > 0) nodes.Insert(rng.Next(nodes.Count + 1), Pick(other.Graph.Node, rng));
                else if (other.Graph.Initializer.Count > 0) g.Initializer.Add(Pick(other.Graph.Initializer, rng));
                break;
            }
            case 17: // integer initializer values (shapes, axes, indices, pads) made extreme
            {
                var ints = g.Initializer.Where(t => t.Int64Data.Count > 0).ToList();
                if (ints.Count == 0) break;
                var t = Pick(ints, rng);
                t.Int64Data[rng.Next(t.Int64Data.Count)] = Pick(Dims, rng);
                break;
            }
            case 18: // an input without type or shape, or a type without shape
            {
                if (g.Input.Count == 0) break;
                var i = Pick(g.Input, rng);
                if (rng.Next(2) == 0) i.Type = null; else if (i.Type?.TensorType is { } tt) tt.Shape = null;
                break;
            }
            default: // a Constant node with an odd tensor
            {
                var t = new TensorProto { Name = "c", DataType = rng.Next(2) == 0 ? 1 : 7 };
                for (int k = rng.Next(4); k > 0; k--) t.Dims.Add(Pick(Dims, rng) is var d && d is >= 0 and < 8 ? d : 2);
                long count = t.Dims.Aggregate(1L, (a, b) => a * b);
                for (long k = 0; k < Math.Min(count, 64); k++) { if (t.DataType == 1) t.FloatData.Add(Pick(OddFloats, rng)); else t.Int64Data.Add(Pick(Dims, rng)); }
                var n = new NodeProto { OpType = "Constant", Name = "fuzzconst" + nodes.Count };
                n.Output.Add("fc" + nodes.Count);
                n.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
                nodes.Insert(0, n);
                if (nodes.Count > 1) { var reader = nodes[1 + rng.Next(nodes.Count - 1)]; if (reader.Input.Count > 0) reader.Input[rng.Next(reader.Input.Count)] = n.Output[0]; }
                break;
            }
        }
    }
}
