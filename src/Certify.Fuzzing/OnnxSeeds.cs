using Certify.Import.Onnx.Proto;
using Google.Protobuf;

namespace Certify.Fuzzing;

/// <summary>
/// Small valid ONNX models built in code (opset 13), one or two per family of operators the importer translates, so
/// that mutations start from models that get through parsing and into each translation.
/// </summary>
public static class OnnxSeeds
{
    /// <summary>The seed models, serialized.</summary>
    public static IEnumerable<byte[]> All()
    {
        var r = new Random(7);
        float[] W(int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

        // An MLP: Gemm (transB) → Relu → Gemm.
        yield return new M([1, 4])
            .F("w1", W(12), 3, 4).F("b1", W(3), 3).F("w2", W(6), 2, 3).F("b2", W(2), 2)
            .N("Gemm", ["x", "w1", "b1"], "h", Int("transB", 1)).N("Relu", ["h"], "a")
            .N("Gemm", ["a", "w2", "b2"], "y", Int("transB", 1)).Out("y", [1, 2]);
        // MatMul + Add with sigmoid, tanh, leaky relu, sign; a symbolic batch.
        yield return new M([1, 3], batch: "N")
            .F("w", W(6), 3, 2).F("b", W(2), 2)
            .N("MatMul", ["x", "w"], "m").N("Add", ["m", "b"], "s").N("Sigmoid", ["s"], "t").N("Tanh", ["t"], "u")
            .N("LeakyRelu", ["u"], "v", Float("alpha", 0.1f)).Out("v", [1, 2]);
        // Conv → Relu → MaxPool → Flatten → Gemm.
        yield return new M([1, 1, 4, 4])
            .F("k", W(18), 2, 1, 3, 3).F("kb", W(2), 2).F("w", W(24), 3, 8).F("b", W(3), 3)
            .N("Conv", ["x", "k", "kb"], "c", Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)).N("Relu", ["c"], "r")
            .N("MaxPool", ["r"], "p", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)).N("Flatten", ["p"], "f")
            .N("Gemm", ["f", "w", "b"], "y", Int("transB", 1)).Out("y", [1, 3]);
        // BatchNormalization → AveragePool → GlobalAveragePool → Flatten.
        yield return new M([1, 2, 4, 4])
            .F("sc", W(2), 2).F("bi", W(2), 2).F("mu", W(2), 2).F("va", [1f, 2f], 2)
            .N("BatchNormalization", ["x", "sc", "bi", "mu", "va"], "n")
            .N("AveragePool", ["n"], "a", Ints("kernel_shape", 2, 2)).N("GlobalAveragePool", ["a"], "g").N("Flatten", ["g"], "y")
            .Out("y", [1, 2]);
        // Reshape, Transpose, Concat with a constant, Slice, Gather.
        yield return new M([1, 6])
            .L("shape", [1, 2, 3], 3).F("extra", W(3), 1, 1, 3).L("st", [0], 1).L("en", [2], 1).L("ax", [2], 1).L("idx", [1, 0], 2)
            .N("Reshape", ["x", "shape"], "r").N("Transpose", ["r"], "t", Ints("perm", 0, 2, 1))
            .N("Concat", ["r", "extra"], "c", Int("axis", 1)).N("Slice", ["c", "st", "en", "ax"], "s")
            .N("Gather", ["s", "idx"], "g", Int("axis", 1)).N("Flatten", ["g"], "y").Out("y", [1, 4]);
        // Constant node, Mul, Sub, Div, Neg, Clip with min and max inputs.
        yield return new M([1, 4])
            .F("lo", [-0.5f]).F("hi", [0.5f]).F("d", [2f]).F("s", W(4), 4)
            .Const("k", W(4), 4)
            .N("Mul", ["x", "k"], "a").N("Sub", ["a", "s"], "b").N("Div", ["b", "d"], "c").N("Neg", ["c"], "e")
            .N("Clip", ["e", "lo", "hi"], "y").Out("y", [1, 4]);
        // Softmax, ReduceSum (axes input), ReduceMean (axes attribute), Sin, Cos, Pow.
        yield return new M([1, 2, 3])
            .L("axes", [2], 1).F("two", [2f])
            .N("Softmax", ["x"], "s", Int("axis", -1)).N("Sin", ["s"], "a").N("Cos", ["a"], "b").N("Pow", ["b", "two"], "p")
            .N("ReduceSum", ["p", "axes"], "r", Int("keepdims", 0)).N("ReduceMean", ["x"], "m", Ints("axes", 2), Int("keepdims", 0))
            .N("Add", ["r", "m"], "y").Out("y", [1, 2]);
        // Shape → Gather → Unsqueeze → Concat → Reshape (a shape computed from the input, folded to constants).
        yield return new M([1, 2, 3])
            .L("i1", [1]).L("ax0", [0], 1).L("minus1", [-1], 1)
            .N("Shape", ["x"], "sh").N("Gather", ["sh", "i1"], "d1", Int("axis", 0)).N("Unsqueeze", ["d1", "ax0"], "u")
            .N("Concat", ["u", "minus1"], "ns", Int("axis", 0)).N("Reshape", ["x", "ns"], "y").Out("y", [2, 3]);
        // Pad, Squeeze, Unsqueeze, Split, Identity, Dropout.
        yield return new M([1, 1, 4])
            .L("pads", [0, 0, 1, 0, 0, 1], 6).L("sq", [1], 1).L("us", [1], 1).L("parts", [3, 3], 2)
            .N("Pad", ["x", "pads"], "p").N("Squeeze", ["p", "sq"], "s").N("Split", ["s", "parts"], ["a", "b"], Int("axis", 1))
            .N("Add", ["a", "b"], "c").N("Identity", ["c"], "i").N("Dropout", ["i"], "d").N("Unsqueeze", ["d", "us"], "y")
            .Out("y", [1, 1, 3]);
        // Two inputs (concatenated into one flat input), Concat → Gemm.
        yield return new M([1, 2]).In("z", [1, 3])
            .F("w", W(10), 2, 5).F("b", W(2), 2)
            .N("Concat", ["x", "z"], "c", Int("axis", 1)).N("Gemm", ["c", "w", "b"], "y", Int("transB", 1)).Out("y", [1, 2]);
        // A double-typed model with raw_data weights; ConvTranspose.
        yield return new M([1, 1, 3, 3], elem: 11)
            .Raw("k", W(4), 1, 1, 2, 2)
            .N("ConvTranspose", ["x", "k"], "c").N("Flatten", ["c"], "y").Out("y", [1, 16], elem: 11);
        // ConstantOfShape and Cast feeding an Add; Sign.
        yield return new M([1, 3])
            .L("shp", [3], 1)
            .N("ConstantOfShape", ["shp"], "z", new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Tensor("v", [0.25f], 1) })
            .N("Cast", ["z"], "zc", Int("to", 1)).N("Add", ["x", "zc"], "s").N("Sign", ["s"], "y").Out("y", [1, 3]);
    }

    static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    static ValueInfoProto Info(string name, long[] shape, string? batch = null, int elem = 1)
    {
        var s = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
            s.Dim.Add(i == 0 && batch is not null ? new TensorShapeProto.Types.Dimension { DimParam = batch } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elem, Shape = s } } };
    }

    /// <summary>A tiny model builder: the graph input is <c>x</c>; node names are generated.</summary>
    sealed class M
    {
        readonly GraphProto _g = new() { Name = "seed" };

        public M(long[] shape, string? batch = null, int elem = 1) => _g.Input.Add(Info("x", shape, batch, elem));

        public M In(string name, long[] shape) { _g.Input.Add(Info(name, shape)); return this; }

        public M F(string name, float[] values, params long[] dims) { _g.Initializer.Add(Tensor(name, values, dims)); return this; }

        public M L(string name, long[] values, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = 7 };
            t.Dims.AddRange(dims);
            t.Int64Data.AddRange(values);
            _g.Initializer.Add(t);
            return this;
        }

        public M Raw(string name, float[] values, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = 11 };
            t.Dims.AddRange(dims);
            var bytes = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), (double)values[i]);
            t.RawData = ByteString.CopyFrom(bytes);
            _g.Initializer.Add(t);
            return this;
        }

        public M Const(string output, float[] values, params long[] dims) =>
            N("Constant", [], output, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Tensor(output + "_value", values, dims) });

        public M N(string op, string[] inputs, string output, params AttributeProto[] attrs) => N(op, inputs, [output], attrs);

        public M N(string op, string[] inputs, string[] outputs, params AttributeProto[] attrs)
        {
            var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{_g.Node.Count}" };
            n.Input.AddRange(inputs);
            n.Output.AddRange(outputs);
            n.Attribute.AddRange(attrs);
            _g.Node.Add(n);
            return this;
        }

        public byte[] Out(string name, long[] shape, int elem = 1)
        {
            _g.Output.Add(Info(name, shape, null, elem));
            var m = new ModelProto { IrVersion = 7, ProducerName = "certify-fuzz", Graph = _g };
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
            return m.ToByteArray();
        }
    }
}
