using Certify.Graph;
using Certify.Import.Onnx.Proto;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Writes one graph node as standard ONNX nodes (see <see cref="IOnnxExportContext"/>). Registered per op type in an
/// <see cref="Certify.Operators.OperatorDefinition"/>; <see cref="OnnxExporter"/> calls it for every node of that type.
/// The file must run in ONNX Runtime and re-import to the same graph, so a writer uses the ONNX operators its
/// definition imports.
/// </summary>
public delegate void OnnxExportWriter(Op op, IOnnxExportContext onnx);

/// <summary>
/// What an export writer sees of the model being written (opset <see cref="OnnxExporter.Opset"/>, float32 weights):
/// the node, the ONNX names of its inputs and of the value it must produce, and helpers that add initializers and
/// nodes. Tensors in the file carry a leading batch dimension, so ONNX axis k is sample axis k − 1.
/// </summary>
public interface IOnnxExportContext
{
    /// <summary>The graph node being written.</summary>
    Node Node { get; }

    /// <summary>ONNX names of its inputs, in operand order.</summary>
    IReadOnlyList<string> Inputs { get; }

    /// <summary>The ONNX name its value must be written to.</summary>
    string Output { get; }

    /// <summary>Per-sample shape of input <paramref name="k"/> (no batch dimension).</summary>
    long[] InputShape(int k);

    /// <summary>Adds <paramref name="t"/> as a float32 initializer and returns its name.</summary>
    string Initializer(Tensor t);

    /// <summary>Adds an int64 initializer (a 0-d one when <paramref name="scalar"/>) and returns its name.</summary>
    string IntsInitializer(long[] values, bool scalar = false);

    /// <summary>Adds a 0-d float32 initializer and returns its name.</summary>
    string ScalarInitializer(double value);

    /// <summary>Adds an ONNX node and returns it.</summary>
    NodeProto AddNode(string opType, string name, IReadOnlyList<string> inputs, string output, params AttributeProto[] attributes);

    /// <summary>Adds the usual one-node translation: <paramref name="opType"/> named after the node, over its inputs, to its output.</summary>
    NodeProto AddNode(string opType, params AttributeProto[] attributes);
}

/// <summary>Builders of ONNX attributes for export writers.</summary>
public static class OnnxAttribute
{
    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    /// <summary>A float attribute (stored as float32, as ONNX does).</summary>
    public static AttributeProto Float(string name, double v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)v };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, IEnumerable<long> v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>A string attribute.</summary>
    public static AttributeProto String(string name, string v) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
}
