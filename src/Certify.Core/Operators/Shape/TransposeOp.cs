using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>Permutes the sample dimensions: output axis i is input axis <c>Perm[i]</c> (batch stays first).</summary>
public sealed class TransposeOp(long[] perm) : Op
{
    public long[] Perm { get; } = perm;
    public override string Kind => "Transpose";
    public override bool IsAffine => true;
    public override bool MovesData => true;
    public override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].permute(new long[] { 0 }.Concat(Perm.Select(p => p + 1)).ToArray());
    public override string Describe() => "perm=" + string.Join(",", Perm);
}
