using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// LayerNormalization (opset 17) on the data path, as a composition of ops that already have sound relaxations:
//   d = x − mean(x)            one Linear with weight I − 1/D on the normalised axes (exact, affine; ReduceMean,
//                              Gather and Add for D > 1024)
//   v = mean(d²) + ε           Pow 2 (convex relaxation), ReduceMean, Affine
//   r = 1 / √v                 Sqrt then Reciprocal (concave, then convex on v ≥ ε > 0)
//   y = (d · r) · γ + β        Mul of two variables (McCormick planes), Affine
// The product d·r is where precision is lost (McCormick over the boxes of d and r); every step is sound.
internal sealed partial class OnnxGraphReader
{
    /// <summary>Largest normalised size whose centring is one dense Linear (a D×D matrix of doubles: 8 MB at 1024).</summary>
    const long MaxDenseCentring = 1024;

    internal void LayerNorm(OnnxValue?[] inputs)
    {
        var x = Var(inputs, 0);
        long axis = NormAxis(OnnxAttributes.Int(_node, "axis", -1), x.Rank);
        double eps = OnnxAttributes.Float(_node, "epsilon", 1e-5);
        if (!(eps >= 0) || double.IsInfinity(eps)) throw Fail($"has epsilon {eps}; it must be a finite number ≥ 0");
        var scale = Const(inputs, 1, "Scale") ?? throw Fail("has no Scale");
        var bias = Const(inputs, 2, "B");
        var shape = x.Shape;
        long d = shape.Skip((int)axis).Aggregate(1L, (a, b) => a * b);
        var keepShape = shape.Select((s, i) => i >= axis ? 1L : s).ToArray();

        // Flatten the normalised axes into one last axis (the batch axis becomes a sample axis if it is normalised).
        if (x.Batched && axis == 0) x = Unbatch(x);
        var flatShape = shape.Take((int)axis).Append(d).ToArray();
        var flat = flatShape.Length == x.Rank && flatShape.SequenceEqual(x.Shape) ? x : Reinterpret(x, flatShape, x.Batched, OutName() + ":flat");
        int last = flat.Sample.Length - 1;

        VarValue centred;
        if (d <= MaxDenseCentring)
        {
            var w = eye(d, dtype: ScalarType.Float64) - 1.0 / d;
            centred = flat with { Id = Add(new LinearOp(w.contiguous(), null), OutName() + ":centred", flat.Id) };
        }
        else
        {
            var meanShape = flatShape.Take(flatShape.Length - 1).Append(1L).ToArray();
            var mean = new VarValue(Add(new ReduceOp(ReduceKind.Mean, new long[] { last }, true), OutName() + ":mean", flat.Id), meanShape, flat.Batched);
            var spread = ExpandTo(mean, flatShape);
            int neg = Add(new AffineOp(tensor(-1.0, ScalarType.Float64), null), OutName() + ":minus_mean", spread.Id);
            centred = flat with { Id = Add(new AddOp(), OutName() + ":centred", flat.Id, neg) };
        }
        int sq = Add(new PowOp(2), OutName() + ":squared", centred.Id);
        var varShape = flatShape.Take(flatShape.Length - 1).Append(1L).ToArray();
        int variance = Add(new ReduceOp(ReduceKind.Mean, new long[] { last }, true), OutName() + ":variance", sq);
        int shifted = Add(new AffineOp(null, tensor(eps, ScalarType.Float64)), OutName() + ":plus_epsilon", variance);
        int std = Add(new SqrtOp(), OutName() + ":std", shifted);
        var inv = new VarValue(Add(new ReciprocalOp(), OutName() + ":inv_std", std), varShape, flat.Batched);
        var spreadInv = ExpandTo(inv, flatShape);
        var normalised = centred with { Id = Add(new MulOp(), OutName() + ":normalised", centred.Id, spreadInv.Id) };
        var back = flat.Shape.SequenceEqual(shape) && normalised.Batched == x.Batched ? normalised : Reinterpret(normalised, shape, x.Batched, OutName() + ":unflat");
        Set(0, AffineConst(back, scale.to_type(ScalarType.Float64), bias?.to_type(ScalarType.Float64)));

        // Optional outputs: the mean and the inverse standard deviation, with the normalised axes kept as 1s.
        if (_node.Output.Count > 1 && _node.Output[1] != "")
        {
            var mean = new VarValue(Add(new ReduceOp(ReduceKind.Mean, new long[] { last }, true), OutName(1), flat.Id), varShape, flat.Batched);
            Set(1, Reinterpret(mean, keepShape, mean.Batched && keepShape.Length >= 2, OutName(1) + ":shaped"));
        }
        if (_node.Output.Count > 2 && _node.Output[2] != "")
            Set(2, Reinterpret(inv, keepShape, inv.Batched && keepShape.Length >= 2, OutName(2) + ":shaped"));
    }
}
