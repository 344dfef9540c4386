using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>x if x ≥ 0 else Alpha·x</c>, elementwise.</summary>
public sealed class LeakyReluOp(double alpha) : Op
{
    public double Alpha { get; } = alpha;
    public override string Kind => "LeakyRelu";
    public override (string Name, double Value)? NonFiniteAttribute() => double.IsFinite(Alpha) ? null : ("alpha", Alpha);
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => nn.functional.leaky_relu(inputs[0], Alpha);
    public override string Describe() => $"alpha={Alpha}";
}
