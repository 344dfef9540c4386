using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Constant padding of the sample dimensions. <see cref="Pads"/>: begins of each sample axis then ends (ONNX order, batch excluded).</summary>
public sealed class PadOp(long[] pads, double value) : Op
{
    public long[] Pads { get; } = pads;
    public double Value { get; } = value;
    public override string Kind => "Pad";
    public override (string Name, double Value)? NonFiniteAttribute() => double.IsFinite(Value) ? null : ("value", Value);
    public override bool IsAffine => true;
    public override bool MovesData => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) =>
        nn.functional.pad(inputs[0], ConvOp.TorchPadOrder(Pads), TorchSharp.PaddingModes.Constant, Value);
    public override string Describe() => $"pads={string.Join(",", Pads)}" + (Value != 0 ? $" value={Value}" : "");
}
