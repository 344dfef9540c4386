using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>Elementwise lower and upper bounds of one node's output, both <c>[B, *shape]</c> (batch first).</summary>
public readonly record struct Interval(Tensor Lower, Tensor Upper)
{
    /// <summary>Batch size.</summary>
    public long Batch => Lower.shape[0];

    /// <summary><c>(Upper + Lower) / 2</c>.</summary>
    public Tensor Center() => (Upper + Lower) / 2;

    /// <summary><c>(Upper - Lower) / 2</c>.</summary>
    public Tensor Radius() => (Upper - Lower) / 2;

    /// <summary>Both bounds flattened to <c>[B, n]</c>.</summary>
    public Interval Flatten() => new(Lower.flatten(1), Upper.flatten(1));

    /// <summary>Elementwise intersection with <paramref name="other"/>.</summary>
    public Interval Intersect(Interval other) => new(maximum(Lower, other.Lower), minimum(Upper, other.Upper));

    /// <summary>Both tensors detached from autograd.</summary>
    public Interval Detach() => new(Lower.detach(), Upper.detach());

    /// <summary>The sub-problems <paramref name="index"/> (a 1-d long tensor of batch rows, repeats allowed).</summary>
    public Interval Select(Tensor index) => new(Lower.index_select(0, index), Upper.index_select(0, index));

    /// <summary>Moves both tensors out of the current dispose scope.</summary>
    public Interval MoveToOuter() { Lower.MoveToOuterDisposeScope(); Upper.MoveToOuterDisposeScope(); return this; }
}
