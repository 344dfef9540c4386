using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary>How a <see cref="ReduceOp"/> combines elements.</summary>
public enum ReduceKind { Sum, Mean }

/// <summary>Sum or mean over sample axes (ReduceSum, ReduceMean, GlobalAveragePool).</summary>
public sealed class ReduceOp(ReduceKind reduction, long[] axes, bool keepDims) : Op
{
    public ReduceKind Reduction { get; } = reduction;
    /// <summary>Sample axes (batch excluded), ascending.</summary>
    public long[] Axes { get; } = axes;
    public bool KeepDims { get; } = keepDims;
    public override string Kind => "Reduce" + Reduction;
    public override bool IsAffine => true;
    public override bool MixesInputs => true;

    public override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var dims = Axes.Select(a => a + 1).ToArray();
        return Reduction == ReduceKind.Sum ? inputs[0].sum(dims, KeepDims) : inputs[0].mean(dims, KeepDims);
    }

    public override string Describe() => $"axes={string.Join(",", Axes)}" + (KeepDims ? " keepdims" : "");
}
