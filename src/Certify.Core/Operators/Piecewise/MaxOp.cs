using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Elementwise maximum of two variable tensors (ONNX Max with two inputs on the data path; the importer expands both
/// to the output shape first). Max with a constant operand is imported as Relu on a shifted input instead.
/// </summary>
public sealed class MaxOp : Op
{
    public override string Kind => "Max";
    public override int Arity => 2;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => maximum(inputs[0], inputs[1]);
}
