using Certify.Import.Onnx.Proto;
using Google.Protobuf;

namespace Certify.Tests.Import;

/// <summary>Builds small ONNX models in memory for importer tests.</summary>
internal sealed class OnnxTestModel
{
    readonly GraphProto _g = new() { Name = "test" };
    readonly long _opset;

    public OnnxTestModel(long[]? inputShape, string? symbolicFirst = null, long opset = 13, string input = "x")
    {
        _opset = opset;
        if (inputShape is not null) _g.Input.Add(Info(input, inputShape, symbolicFirst));
    }

    /// <summary>Declares a further graph input (element type 1 = float, 11 = double).</summary>
    public OnnxTestModel Input(string name, long[] shape, int elemType = 1)
    {
        var info = Info(name, shape);
        info.Type.TensorType.ElemType = elemType;
        _g.Input.Add(info);
        return this;
    }

    public static ValueInfoProto Info(string name, long[] shape, string? symbolicFirst = null)
    {
        var s = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
            s.Dim.Add(i == 0 && symbolicFirst is not null ? new TensorShapeProto.Types.Dimension { DimParam = symbolicFirst } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = s } } };
    }

    public OnnxTestModel Init(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _g.Initializer.Add(t);
        return this;
    }

    /// <summary>A float64 (double) initializer.</summary>
    public OnnxTestModel InitDoubles(string name, double[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 11 };
        t.Dims.AddRange(dims);
        t.DoubleData.AddRange(values);
        _g.Initializer.Add(t);
        return this;
    }

    public OnnxTestModel InitInts(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        _g.Initializer.Add(t);
        return this;
    }

    public OnnxTestModel Node(string op, string name, string[] inputs, string output, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attrs);
        _g.Node.Add(n);
        return this;
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public byte[] Bytes(string output, long[] outputShape)
    {
        var g = _g.Clone();
        g.Output.Add(Info(output, outputShape));
        var m = new ModelProto { IrVersion = 7, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return m.ToByteArray();
    }

    /// <summary>Writes the model to a temporary file and returns its path.</summary>
    public string Save(string output, long[] outputShape)
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-test-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Bytes(output, outputShape));
        return path;
    }
}
