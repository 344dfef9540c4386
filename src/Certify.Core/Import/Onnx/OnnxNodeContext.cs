using Certify.Graph;
using Certify.Import.Onnx.Proto;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// The <see cref="IOnnxNodeContext"/> of one node during import: a thin view of the reader's current node and its
/// input values. Built-in translators reach the reader and the raw values through <see cref="Reader"/> and
/// <see cref="Inputs"/>; translators from outside see only the interface.
/// </summary>
internal sealed class OnnxNodeContext(OnnxGraphReader reader, NodeProto node, OnnxValue?[] inputs) : IOnnxNodeContext
{
    public OnnxGraphReader Reader => reader;
    public OnnxValue?[] Inputs => inputs;

    public string NodeName => node.Name;
    public string OpType => node.OpType;
    public long Opset => reader.Opset;
    public int InputCount => inputs.Length;
    public int OutputCount => node.Output.Count;

    public bool HasAttribute(string name) => OnnxAttributes.Has(node, name);
    public long Int(string name, long fallback) => OnnxAttributes.Int(node, name, fallback);
    public double Float(string name, double fallback) => OnnxAttributes.Float(node, name, fallback);
    public long[]? Ints(string name) => OnnxAttributes.Ints(node, name);
    public double[]? Floats(string name) => OnnxAttributes.Floats(node, name);
    public string? String(string name) => OnnxAttributes.String(node, name);

    public bool HasInput(int i) => i >= 0 && i < inputs.Length && inputs[i] is not null;
    public bool IsConstant(int i) => HasInput(i) && inputs[i] is ConstValue;
    public Tensor? Constant(int i, string what) => reader.Const(inputs, i, what);
    public OnnxVariable Variable(int i) => new(reader.Var(inputs, i));

    public OnnxVariable Emit(Op op, params OnnxVariable[] operands)
    {
        if (operands.Length == 0) throw Fail($"emits {op.Kind} without operands");
        int id = reader.Add(op, operands.Select(v => v.NodeId).ToArray());
        bool batched = operands[0].Batched;
        var sample = reader.ShapeOf(id);
        var result = new OnnxVariable(new VarValue(id, batched ? ComputationGraph.ShapeWithBatch(1, sample) : sample, batched));
        Bind(0, result);
        return result;
    }

    public void Bind(int output, OnnxVariable value) => reader.Set(output, value.Value);

    public ImportException Fail(string what) => reader.Fail(what);
}
