using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Translates one ONNX node into graph nodes (see <see cref="IOnnxNodeContext"/>). Registered per ONNX operator type
/// in an <see cref="Certify.Operators.OperatorDefinition"/>; the importer calls it for every node of that type whose
/// inputs are not all constants (nodes over constants only are folded first, for the operators the folder knows).
/// </summary>
public delegate void OnnxTranslator(IOnnxNodeContext node);

/// <summary>
/// What a translator sees of the ONNX node being imported and how it adds graph nodes: the public face of the importer
/// for operators registered from outside Certify (built-in translators use the importer's internals directly, which
/// also handle broadcasting and batch layouts). Everything is about the current node: attributes with ONNX defaults,
/// its inputs (a constant folded at import time, or a variable: the output of a graph node), and <see cref="Emit"/>,
/// which adds an op and binds the node's output to it. Errors thrown from a translator become one-line
/// <see cref="ImportException"/>s naming the file and node; <see cref="Fail"/> makes one with the translator's own words.
/// </summary>
public interface IOnnxNodeContext
{
    /// <summary>The node's name (may be empty in a file).</summary>
    string NodeName { get; }

    /// <summary>The ONNX operator type, e.g. "Softsign".</summary>
    string OpType { get; }

    /// <summary>The default-domain opset the model was written for (attributes moved to inputs in some versions).</summary>
    long Opset { get; }

    /// <summary>Number of inputs the node lists (optional ones included, present or not).</summary>
    int InputCount { get; }

    /// <summary>Number of outputs the node lists.</summary>
    int OutputCount { get; }

    /// <summary>True when the node has attribute <paramref name="name"/>.</summary>
    bool HasAttribute(string name);

    /// <summary>Integer attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    long Int(string name, long fallback);

    /// <summary>Float attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    double Float(string name, double fallback);

    /// <summary>Integer-list attribute <paramref name="name"/>, or null when absent.</summary>
    long[]? Ints(string name);

    /// <summary>Float-list attribute <paramref name="name"/>, or null when absent.</summary>
    double[]? Floats(string name);

    /// <summary>String attribute <paramref name="name"/>, or null when absent.</summary>
    string? String(string name);

    /// <summary>True when input <paramref name="i"/> is listed and not empty (optional inputs may be absent).</summary>
    bool HasInput(int i);

    /// <summary>True when input <paramref name="i"/> is present and a constant known at import time.</summary>
    bool IsConstant(int i);

    /// <summary>
    /// Input <paramref name="i"/> as a constant tensor in its full ONNX shape (float64 for every float type, int64 for
    /// every integer type, or bool), or null when absent; an input that depends on the network input is an error whose
    /// message calls it <paramref name="what"/>.
    /// </summary>
    Tensor? Constant(int i, string what);

    /// <summary>Input <paramref name="i"/> on the data path; a missing or constant input is an error naming the operand.</summary>
    OnnxVariable Variable(int i);

    /// <summary>
    /// Adds <paramref name="op"/> over <paramref name="inputs"/> (in operand order) as a graph node named after the ONNX
    /// node's first output, binds that output to it and returns it. Operands are read with their per-sample shapes; the
    /// result keeps the batch layout of the first operand (give operands of one layout and shape, or reshape first).
    /// Shape inference and the finite-parameter check run here, so a wrong shape or a NaN weight is reported on this node.
    /// </summary>
    OnnxVariable Emit(Op op, params OnnxVariable[] inputs);

    /// <summary>Binds output <paramref name="output"/> of the node to <paramref name="value"/> (pass-through or extra outputs).</summary>
    void Bind(int output, OnnxVariable value);

    /// <summary>An import error about this node (file, node and op type are prefixed); throw it.</summary>
    ImportException Fail(string what);
}

/// <summary>
/// A tensor on the data path during import: the output of graph node <see cref="NodeId"/>, seen with its ONNX
/// <see cref="Shape"/> (the batch of 1 included when the tensor has one).
/// </summary>
public sealed class OnnxVariable
{
    internal OnnxVariable(VarValue value) => Value = value;

    internal VarValue Value { get; }

    /// <summary>The graph node whose output this is.</summary>
    public int NodeId => Value.Id;

    /// <summary>The ONNX shape, batch dimension (of size 1) included when <see cref="Batched"/>.</summary>
    public long[] Shape => Value.Shape;

    /// <summary>True when the first ONNX dimension is the batch.</summary>
    public bool Batched => Value.Batched;

    /// <summary>The per-sample shape of the graph node (no batch dimension).</summary>
    public long[] SampleShape => Value.Sample;
}
