namespace Certify.Operators;

/// <summary>ReduceMax: see <see cref="ReduceExtremumRule{TOp}"/>.</summary>
public sealed class ReduceMaxRule : ReduceExtremumRule<ReduceMaxOp>
{
    protected override int Sign => 1;
    protected override long[] Axes(ReduceMaxOp op) => op.Axes;
    protected override bool KeepDims(ReduceMaxOp op) => op.KeepDims;
}
