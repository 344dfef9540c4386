using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>
/// Elementwise <c>y = x * Scale + Shift</c> with constant tensors that broadcast against one sample (no batch dim).
/// Produced from Add/Sub/Mul/Div/Neg with a constant operand and from BatchNormalization (inference form); the
/// importer merges chains of them and folds them into an adjacent Linear/Conv where that is exact.
/// Either tensor may be null (scale 1, shift 0).
/// </summary>
public sealed class AffineOp(Tensor? scale, Tensor? shift) : Op
{
    /// <summary>Broadcastable to the sample shape, or null for 1.</summary>
    public Tensor? Scale { get; } = scale;
    /// <summary>Broadcastable to the sample shape, or null for 0.</summary>
    public Tensor? Shift { get; } = shift;
    public override string Kind => "Affine";
    public override bool IsAffine => true;
    public override bool MovesData => true;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var x = inputs[0];
        if (Scale is not null) x = x * Scale;
        if (Shift is not null) x = x + Shift;
        return Scale is null && Shift is null ? x.alias() : x;
    }

    public override IEnumerable<Tensor> Parameters => new[] { Scale, Shift }.Where(t => t is not null)!;
    public override string ParameterName(int k) => k == 0 && Scale is not null ? "scale" : "shift";
    public override Op MapParameters(Func<Tensor, Tensor> map) => new AffineOp(Scale is null ? null : map(Scale), Shift is null ? null : map(Shift));
    public override string Describe() =>
        (Scale is null ? "" : $"scale{ShapeText(Scale.shape)}") + (Shift is null ? "" : $" shift{ShapeText(Shift.shape)}");
}
