using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Elements <c>Start, Start+Step, … &lt; End</c> of sample axis <see cref="Axis"/> (positive step; Slice and Split import as this).</summary>
public sealed class SliceOp(int axis, long start, long end, long step) : Op
{
    public int Axis { get; } = axis;
    public long Start { get; } = start;
    public long End { get; } = end;
    public long Step { get; } = step;
    public override string Kind => "Slice";
    public override bool IsAffine => true;
    public override bool MovesData => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].slice(Axis + 1, Start, End, Step);
    public override string Describe() => $"axis={Axis} {Start}:{End}:{Step}";
}
