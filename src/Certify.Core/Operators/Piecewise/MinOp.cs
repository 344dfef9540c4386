using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Elementwise minimum of two variable tensors (ONNX Min with two inputs on the data path); see <see cref="MaxOp"/>.</summary>
public sealed class MinOp : Op
{
    public override string Kind => "Min";
    public override int Arity => 2;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => minimum(inputs[0], inputs[1]);
}
