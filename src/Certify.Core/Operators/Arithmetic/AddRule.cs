using Certify.Bounds;
using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Operators;

/// <summary><c>y = x₁ + x₂</c> (residual connections). IBP adds the bounds; CROWN hands the same coefficients to both inputs.</summary>
public sealed class AddRule : AffineRule<AddOp>
{
    protected override bool PositiveMap => true;

    protected override Interval Ibp(AddOp op, Node node, IReadOnlyList<Interval> inputs) =>
        new(inputs[0].Lower + inputs[1].Lower, inputs[0].Upper + inputs[1].Upper);

    protected override Tensor Adjoint(AddOp op, BackwardStep step, Tensor a, int input)
    {
        // Operands of different shapes broadcast in the forward op; sum the broadcast axes back out.
        var inShape = step.InputNodes[input].Shape;
        if (inShape.SequenceEqual(step.Node.Shape)) return a;
        return Broadcast.Unbroadcast(a, inShape);
    }
}

/// <summary>Undoing numpy broadcasting in coefficient space.</summary>
static class Broadcast
{
    /// <summary>Sums the sample axes of <paramref name="a"/> <c>[B, S, *out]</c> that were broadcast from <paramref name="shape"/>.</summary>
    public static Tensor Unbroadcast(Tensor a, long[] shape)
    {
        int outRank = (int)a.dim() - 2;
        int lead = outRank - shape.Length;
        var x = a;
        if (lead > 0) x = x.sum(Enumerable.Range(2, lead).Select(i => (long)i).ToArray());
        var dims = new List<long>();
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 1 && x.shape[i + 2] != 1) dims.Add(i + 2);
        if (dims.Count > 0) x = x.sum(dims.ToArray(), keepdim: true);
        return x;
    }
}
