using Certify.Graph;
using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Exact simplifications of an imported graph: chains of Affine ops merge, an Affine after a Linear or Conv whose
/// scale/shift is per output feature (per channel) folds into its weights and bias, chains of Reshapes or Transposes
/// merge and identity Reshapes/Transposes vanish. A node is only merged into its single consumer, never when its value is the output.
/// Parameters are combined in float64.
/// </summary>
internal static class GraphSimplifier
{
    public static ComputationGraph Simplify(ComputationGraph g)
    {
        int n = g.Nodes.Count;
        var ops = g.Nodes.Select(x => x.Op).ToArray();
        var inputs = g.Nodes.Select(x => x.Inputs.ToArray()).ToArray();
        var origins = g.Nodes.Select(x => x.Origin).ToArray();
        var consumers = Enumerable.Range(0, n).Select(i => g.Consumers(i).Count).ToArray();
        for (int i = 1; i < n; i++)
        {
            if (inputs[i].Length != 1) continue;
            int j = inputs[i][0];
            // An identity reshape (same per-sample shape as its input) is dropped by rewiring to its input.
            bool identity = ops[i] is ReshapeOp r0 && g.Nodes[j].Shape.SequenceEqual(r0.Shape)
                || ops[i] is TransposeOp t0 && t0.Perm.Select((p, k) => p == k).All(e => e);
            if (identity && i != g.OutputId)
            {
                Rewire(i, j);
                continue;
            }
            if (j == 0 || consumers[j] != 1 || j == g.OutputId) continue;
            Op? merged = (ops[j], ops[i]) switch
            {
                (AffineOp a, AffineOp b) => MergeAffine(a, b),
                (LinearOp l, AffineOp b) => FoldIntoLinear(l, b),
                (ConvOp c, AffineOp b) => FoldIntoConv(c, b, g.Nodes[j].Shape.Length),
                (ReshapeOp, ReshapeOp r) => r,
                // Output axis k of the pair is input axis a.Perm[b.Perm[k]].
                (TransposeOp a, TransposeOp t) => new TransposeOp(t.Perm.Select(p => a.Perm[p]).ToArray()),
                _ => null
            };
            if (merged is null) continue;
            ops[i] = merged;
            inputs[i] = inputs[j];
            origins[i] = $"{origins[j]} + {origins[i]}";
            consumers[j] = 0;
        }

        void Rewire(int from, int to)
        {
            for (int k = from + 1; k < n; k++)
                for (int m = 0; m < inputs[k].Length; m++)
                    if (inputs[k][m] == from) { inputs[k][m] = to; consumers[to]++; }
            consumers[to]--;
            consumers[from] = 0;
        }

        var builder = new GraphBuilder(g.InputShape, g.Input.Name, g.Source);
        var map = new int[n];
        for (int i = 1; i < n; i++)
        {
            if (consumers[i] == 0 && i != g.OutputId) { map[i] = -1; continue; }
            map[i] = builder.Add(ops[i], g.Nodes[i].Name, origins[i], inputs[i].Select(k => map[k]).ToArray());
        }
        return builder.Build(map[g.OutputId]);
    }

    static AffineOp MergeAffine(AffineOp a, AffineOp b)
    {
        // (x*s1 + t1)*s2 + t2 = x*(s1*s2) + (t1*s2 + t2)
        var scale = a.Scale is null ? b.Scale : b.Scale is null ? a.Scale : a.Scale * b.Scale;
        Tensor? shift = a.Shift is null ? null : b.Scale is null ? a.Shift : a.Shift * b.Scale;
        shift = shift is null ? b.Shift : b.Shift is null ? shift : shift + b.Shift;
        return new AffineOp(scale?.contiguous(), shift?.contiguous());
    }

    /// <summary>The per-feature vector of an Affine tensor for <paramref name="features"/> features on the last axis, or null if it varies elsewhere.</summary>
    static Tensor? PerLastAxis(Tensor? t, long features)
    {
        if (t is null) return null;
        var s = t.shape.SkipWhile(d => d == 1).ToArray();
        if (s.Length == 0) return t.reshape(1).expand(features).to_type(ScalarType.Float64);
        if (s.Length == 1 && s[0] == features) return t.reshape(features).to_type(ScalarType.Float64);
        return null;
    }

    static LinearOp? FoldIntoLinear(LinearOp l, AffineOp a)
    {
        long o = l.OutFeatures;
        var s = PerLastAxis(a.Scale, o);
        var t = PerLastAxis(a.Shift, o);
        if ((a.Scale is not null && s is null) || (a.Shift is not null && t is null)) return null;
        var w = s is null ? l.Weight : l.Weight * s.unsqueeze(1);
        Tensor? bias = l.Bias is null ? null : s is null ? l.Bias : l.Bias * s;
        bias = bias is null ? t : t is null ? bias : bias + t;
        return new LinearOp(w.contiguous(), bias?.contiguous());
    }

    /// <summary>Per-channel vector of an Affine tensor against a conv output of sample rank <paramref name="rank"/>, or null.</summary>
    static Tensor? PerChannel(Tensor? t, long channels, int rank)
    {
        if (t is null) return null;
        if (t.numel() == 1) return t.reshape(1).expand(channels).to_type(ScalarType.Float64);
        // Right-aligned against [C, *spatial]: must be [C, 1, ..., 1] (leading 1s allowed).
        var s = t.shape;
        if (s.Length != rank || s[0] != channels || s.Skip(1).Any(d => d != 1)) return null;
        return t.reshape(channels).to_type(ScalarType.Float64);
    }

    static ConvOp? FoldIntoConv(ConvOp c, AffineOp a, int rank)
    {
        long ch = c.Weight.shape[0];
        var s = PerChannel(a.Scale, ch, rank);
        var t = PerChannel(a.Shift, ch, rank);
        if ((a.Scale is not null && s is null) || (a.Shift is not null && t is null)) return null;
        var w = s is null ? c.Weight : c.Weight * s.reshape(new[] { ch }.Concat(Enumerable.Repeat(1L, (int)c.Weight.dim() - 1)).ToArray());
        Tensor? bias = c.Bias is null ? null : s is null ? c.Bias : c.Bias * s;
        bias = bias is null ? t : t is null ? bias : bias + t;
        return new ConvOp(w.contiguous(), bias?.contiguous(), c.Strides, c.Pads, c.Dilations, c.Groups);
    }
}
