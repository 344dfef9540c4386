using Certify.Bounds.Rules;
using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// CROWN refinement passes that start at the output of a 2-d window map (a convolution, <see cref="IPatchesRule"/>) and
/// keep every row's coefficients as a patch: row r, which starts at output neuron <c>(o, i, j)</c>, has coefficients only
/// on a window of each earlier layer, <c>[C, K, K']</c> at rows <c>i·S − P ..</c> and columns <c>j·S' − P' ..</c>, where
/// the effective kernel, stride and pad compose through the layers: a map with kernel k, stride s and pad p turns
/// (K, S, P) into ((K − 1)·s + k, S·s, P·s + p); an elementwise relaxation keeps them. The dense form of the same pass
/// starts from one-hot rows <c>[rows, C·H·W]</c> and carries <c>[rows, C·H·W]</c> per layer; a patch has
/// <c>C·K·K'</c> entries, e.g. 3·10·10 = 300 instead of 3·32·32 = 3072 per row two stride-2 layers above a CIFAR input
/// (the idea is auto_LiRPA's "patches" mode; the arithmetic here is this project's).
/// <para>
/// Where it applies (<see cref="Chain"/>): the node's ancestors form a single-input chain down to the network input in
/// which every node is a window map or an elementwise relaxation (<see cref="IElementwiseRelaxation"/>): the conv → ReLU →
/// conv stems of the CIFAR networks. Elsewhere the engine keeps the dense form. Exactness: entries of a patch that fall
/// on padding (outside a layer) multiply values that do not exist, so they are zeroed before every window map and
/// meet zeros (the zero padding of the gathered relaxations and of the input box) at every other step; apart from the
/// order of floating-point sums the bounds are those of the dense pass (both sides from one lower pass over the rows
/// <c>[A; −A]</c>, as <see cref="BoundEngine"/>'s mirrored passes), which the tests check to 1e-6 relative in float64.
/// </para>
/// </summary>
public static class ConvPatches
{
    /// <summary>
    /// The nodes a pass from node <paramref name="id"/>'s output crosses in patch form (<paramref name="id"/> first, the
    /// network input's consumer last), or null when the pass must be dense: <paramref name="id"/> is not a 2-d window map,
    /// or some ancestor is neither a window map nor an elementwise relaxation, has several inputs, or has no CROWN rule.
    /// </summary>
    public static int[]? Chain(ComputationGraph graph, IReadOnlyList<BoundRule> rules, int id)
    {
        var first = graph.Nodes[id];
        if (id == 0 || rules[id] is not IPatchesRule pr || pr.Window(first) is null || first.Shape.Length != 3) return null;
        var chain = new List<int>();
        for (var node = first; node.Id != 0; node = graph.Nodes[node.Inputs[0]])
        {
            if (node.Inputs.Count != 1 || !rules[node.Id].HasCrownRule(node) || node.Shape.Length != 3) return null;
            bool window = rules[node.Id] is IPatchesRule w && w.Window(node) is not null;
            if (!window && rules[node.Id] is not IElementwiseRelaxation) return null;
            chain.Add(node.Id);
        }
        return graph.InputShape.Length == 3 ? chain.ToArray() : null;
    }

    /// <summary>
    /// CROWN lower and upper bounds (<c>[B, R]</c> each) of the output neurons <paramref name="neuron"/> (<c>[B, R]</c>, flat
    /// indices into the output <c>[C, H, W]</c> of <c>chain[0]</c>, per sub-problem) along <paramref name="chain"/>
    /// (<see cref="Chain"/>), over the node bounds <paramref name="bounds"/>; null when a relaxation has a layout the patches
    /// cannot take (parameters per row), so that the caller uses the dense pass.
    /// </summary>
    public static (Tensor Lower, Tensor Upper)? BothSides(ComputationGraph graph, IReadOnlyList<BoundRule> rules, int[] chain, Tensor neuron,
        IReadOnlyList<Interval?> bounds, RelaxationCache? relaxations)
    {
        var top = graph.Nodes[chain[0]];
        var w = ((IPatchesRule)rules[top.Id]).Window(top)!;
        long batch = neuron.shape[0], rows = neuron.shape[1];
        long ht = top.Shape[1], wt = top.Shape[2];
        var channel = neuron.div(ht * wt, rounding_mode: RoundingMode.floor);         // [B, R]
        var position = neuron.remainder(ht * wt);
        var oi = position.div(wt, rounding_mode: RoundingMode.floor);
        var oj = position.remainder(wt);
        var weight = w.Weight;                                                         // [Cout, Cin, kh, kw]
        long cin = weight.shape[1];
        // The first step is the window map itself: row (o, i, j) has the kernel W[o] on the window at (i, j).
        var p = weight.index_select(0, channel.flatten()).reshape(batch, rows, cin, weight.shape[2], weight.shape[3]);
        var bias = w.Bias is { } b0 ? b0.index_select(0, channel.flatten()).reshape(batch, rows) : zeros(batch, rows, dtype: weight.dtype, device: weight.device);
        // Both sides from one lower pass over the rows [A; −A] (the upper bound of A·y is minus the lower bound of −A·y).
        p = cat(new[] { p, -p }, 1);
        bias = cat(new[] { bias, -bias }, 1);
        oi = cat(new[] { oi, oi }, 1); oj = cat(new[] { oj, oj }, 1);
        long[] k = { weight.shape[2], weight.shape[3] }, s = { w.Stride[0], w.Stride[1] }, pad = { w.Pad[0], w.Pad[1] };
        for (var node = graph.Nodes[top.Inputs[0]]; ; node = graph.Nodes[node.Inputs[0]])
        {
            // p: coefficients of node's output, [B, 2R, C, K, K'] on the windows (k, s, pad) of the rows.
            if (node.Id == 0)
            {
                var box = bounds[0] ?? throw new InvalidOperationException("the input box is missing");
                var c = Gather(box.Center(), k, s, pad, oi, oj);
                var r = Gather(box.Radius(), k, s, pad, oi, oj);
                var both = bias + Sum(p * c) - Sum(p.abs() * r);
                return (both.narrow(1, 0, rows), -both.narrow(1, rows, rows));
            }
            if (rules[node.Id] is IPatchesRule map && map.Window(node) is { } nw)
            {
                // Entries on the map's output padding stand for nothing: zero them before they reach the map's input.
                p = p * Inside(node.Shape[1], node.Shape[2], k, s, pad, oi, oj).to_type(p.dtype);
                if (nw.Bias is { } nb) bias = bias + Sum(p * nb.reshape(1, 1, -1, 1, 1));
                long n = p.shape[1];
                var t = map.TransposePatches(node, p.reshape(batch * n, p.shape[2], k[0], k[1]));
                long kh = nw.Weight.shape[2], kw = nw.Weight.shape[3];
                k = new[] { (k[0] - 1) * nw.Stride[0] + kh, (k[1] - 1) * nw.Stride[1] + kw };
                pad = new[] { pad[0] * nw.Stride[0] + nw.Pad[0], pad[1] * nw.Stride[1] + nw.Pad[1] };
                s = new[] { s[0] * nw.Stride[0], s[1] * nw.Stride[1] };
                p = t.reshape(batch, n, t.shape[1], k[0], k[1]);
                continue;
            }
            var input = bounds[node.Inputs[0]] ?? throw new InvalidOperationException($"bounds of node '{graph.Nodes[node.Inputs[0]].Name}' are missing");
            var rel = ((IElementwiseRelaxation)rules[node.Id]).CrownRelaxation(node, input, relaxations);
            // Per-sample lines only ([B, *shape], or [B, 1, *shape] from the relaxation cache); lines per row go dense.
            Tensor? PerSample(Tensor? t) => t is null ? null : t.dim() <= 4 ? t : t.dim() == 5 && t.shape[1] == 1 ? t.squeeze(1) : null;
            var (ls, us) = (PerSample(rel.LowerSlope), PerSample(rel.UpperSlope));
            var (lbias, ubias) = (PerSample(rel.LowerBias), PerSample(rel.UpperBias));
            if (ls is null || us is null || (rel.LowerBias is not null && lbias is null) || (rel.UpperBias is not null && ubias is null)) return null;
            // A rule may check its operator's domain in its own backward step (a box outside it gives lines that are not
            // finite): such a box goes the dense way, where the rule's step reports it.
            if (!new[] { ls, us, lbias, ubias }.All(t => t is null || t.isfinite().all().item<bool>())) return null;
            // The lower pass by sign of the coefficients, as Relax.Elementwise: the lower line where A ≥ 0, the upper elsewhere.
            var positive = p.ge(0);
            Tensor G(Tensor v) => Gather(v.expand(input.Lower.shape), k, s, pad, oi, oj);
            if (lbias is not null || ubias is not null)
            {
                var lb = lbias is not null ? G(lbias) : zeros_like(p);
                var ub = ubias is not null ? G(ubias) : zeros_like(p);
                bias = bias + Sum(p * where(positive, lb, ub));
            }
            p = p * where(positive, G(ls), G(us));
        }
    }

    /// <summary>Σ over each row's patch: <c>[B, R, C, K, K']</c> → <c>[B, R]</c>.</summary>
    static Tensor Sum(Tensor t) => t.flatten(2).sum(2);

    /// <summary>
    /// The window of every row of <paramref name="t"/> (<c>[B, C, H, W]</c>, per sample): <c>[B, R, C, K, K']</c>, the rows
    /// at <c>oi·S − P ..</c> and columns <c>oj·S' − P' ..</c>, zero where the window leaves the tensor.
    /// </summary>
    static Tensor Gather(Tensor t, long[] k, long[] s, long[] pad, Tensor oi, Tensor oj)
    {
        long batch = t.shape[0], ch = t.shape[1], h = t.shape[2], w = t.shape[3], rows = oi.shape[1];
        long maxI = oi.max().item<long>(), maxJ = oj.max().item<long>();
        long bottom = Math.Max(0, maxI * s[0] - pad[0] + k[0] - h), right = Math.Max(0, maxJ * s[1] - pad[1] + k[1] - w);
        var padded = nn.functional.pad(t, new[] { pad[1], right, pad[0], bottom });              // [B, C, Hp, Wp]
        long wp = w + pad[1] + right;
        var du = arange(k[0], dtype: ScalarType.Int64, device: t.device).view(1, 1, -1, 1);
        var dv = arange(k[1], dtype: ScalarType.Int64, device: t.device).view(1, 1, 1, -1);
        var flat = (oi.unsqueeze(2).unsqueeze(3) * s[0] + du) * wp + oj.unsqueeze(2).unsqueeze(3) * s[1] + dv;   // [B, R, K, K']
        var index = flat.reshape(batch, 1, -1).expand(batch, ch, rows * k[0] * k[1]);
        var g = padded.reshape(batch, ch, -1).gather(2, index);                                   // [B, C, R·K·K']
        return g.reshape(batch, ch, rows, k[0], k[1]).permute(0, 2, 1, 3, 4);
    }

    /// <summary>Which entries of every row's window lie inside an <c>h × w</c> layer: <c>[B, R, 1, K, K']</c>.</summary>
    static Tensor Inside(long h, long w, long[] k, long[] s, long[] pad, Tensor oi, Tensor oj)
    {
        var u = oi.unsqueeze(2) * s[0] - pad[0] + arange(k[0], dtype: ScalarType.Int64, device: oi.device);   // [B, R, K]
        var v = oj.unsqueeze(2) * s[1] - pad[1] + arange(k[1], dtype: ScalarType.Int64, device: oj.device);
        var ru = u.ge(0).logical_and(u.lt(h)); var rv = v.ge(0).logical_and(v.lt(w));
        return ru.unsqueeze(3).logical_and(rv.unsqueeze(2)).unsqueeze(2);
    }

    /// <summary>Entries of one row's coefficients after the last step of <paramref name="chain"/> in patch form and in dense form (C·K·K' and C·H·W of the input), for the work accounting of tests and logs.</summary>
    public static (long Patch, long Dense) RowElements(ComputationGraph graph, IReadOnlyList<BoundRule> rules, int[] chain)
    {
        long[] k = { 1, 1 };
        foreach (var id in chain)
        {
            var node = graph.Nodes[id];
            if (rules[id] is IPatchesRule m && m.Window(node) is { } w)
                k = new[] { (k[0] - 1) * w.Stride[0] + w.Weight.shape[2], (k[1] - 1) * w.Stride[1] + w.Weight.shape[3] };
        }
        long c = graph.InputShape[0];
        return (c * k[0] * k[1], graph.InputSize);
    }
}
