using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>x^Exponent</c> for a constant exponent, elementwise.</summary>
public sealed class PowOp(double exponent) : Op
{
    public double Exponent { get; } = exponent;
    public override string Kind => "Pow";
    public override (string Name, double Value)? NonFiniteAttribute() => double.IsFinite(Exponent) ? null : ("exponent", Exponent);
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => pow(inputs[0], Exponent);
    public override string Describe() => $"^{Exponent}";
}
