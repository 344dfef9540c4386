using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Sign of x (−1, 0 or 1), elementwise.</summary>
public sealed class SignOp : Op
{
    public override string Kind => "Sign";
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => sign(inputs[0]);
}
