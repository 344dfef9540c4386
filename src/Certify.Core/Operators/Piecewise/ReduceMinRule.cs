namespace Certify.Operators;

/// <summary>ReduceMin: <c>min(x) = −max(−x)</c>, see <see cref="ReduceExtremumRule{TOp}"/>.</summary>
public sealed class ReduceMinRule : ReduceExtremumRule<ReduceMinOp>
{
    protected override int Sign => -1;
    protected override long[] Axes(ReduceMinOp op) => op.Axes;
    protected override bool KeepDims(ReduceMinOp op) => op.KeepDims;
}
