using System.Collections.Concurrent;
using System.Diagnostics;

namespace Certify.Checker;

/// <summary>What the checker concluded: accepted, or the first reason to reject and where (region, tree node, leaf path).</summary>
public sealed record CheckReport(bool Accepted, string Message, int Regions, long Leaves, long Nodes, TimeSpan Elapsed)
{
    public override string ToString() => (Accepted ? "accepted: " : "rejected: ") + Message;
}

/// <summary>
/// Checks a <see cref="Certificate"/> against a network and a property that the caller read itself (and whose file hashes it
/// computed itself). Accepts only when: the hashes match; every region's box is the property's; every region's tree, read
/// in pre-order, splits boxes into parts that cover them (input bisections at points inside the box; neuron splits into
/// z ≤ 0 and z ≥ 0) and ends in leaves only; and in every leaf (the part of its box where its path's neuron splits hold),
/// every claimed intermediate bound is implied by the checker's own bound (interval arithmetic, then back-substitution over
/// the checker's bounds of earlier nodes, clamped by the splits), and for every disjunct of the region's unsafe condition
/// the named row's lower bound (the checker's own, with the witness slopes and split multipliers as hints) exceeds the
/// row's right-hand side. Leaves are checked in parallel; the first failure in tree order is reported.
/// </summary>
public static class CertificateChecker
{
    public static CheckReport Check(Certificate cert, PlainNetwork net, PlainProperty prop, string networkSha256, string propertySha256, int parallelism = 0)
    {
        var clock = Stopwatch.StartNew();
        long leaves = 0, nodes = 0;
        CheckReport Reject(string why) => new(false, why, prop.Regions.Count, leaves, nodes, clock.Elapsed);

        if (!string.Equals(cert.Network.Sha256, networkSha256, StringComparison.OrdinalIgnoreCase))
            return Reject($"the certificate is for another network (SHA-256 {cert.Network.Sha256}, this file {networkSha256})");
        if (!string.Equals(cert.Property.Sha256, propertySha256, StringComparison.OrdinalIgnoreCase))
            return Reject($"the certificate is for another property (SHA-256 {cert.Property.Sha256}, this file {propertySha256})");
        var relus = net.ReluSteps;
        if (cert.Nonlinear.Count != relus.Length || cert.Nonlinear.Where((n, i) => n.Size != net.Steps[relus[i]].OutputSize).Any())
            return Reject($"the certificate lists {cert.Nonlinear.Count} nonlinear nodes ({string.Join(", ", cert.Nonlinear.Select(n => $"{n.Name}[{n.Size}]"))}); the network has {relus.Length} ReLU/LeakyReLU layers ({string.Join(", ", relus.Select(i => $"{net.Steps[i].Name}[{net.Steps[i].OutputSize}]"))})");
        if (cert.Regions.Count != prop.Regions.Count)
            return Reject($"the certificate proves {cert.Regions.Count} regions; the property has {prop.Regions.Count}");

        var work = new List<(int Region, int Node, string Path, double[] Lo, double[] Hi, sbyte[][] Signs, Leaf Leaf)>();
        for (int r = 0; r < prop.Regions.Count; r++)
        {
            var region = prop.Regions[r];
            var proof = cert.Regions[r];
            if (region.Lower.Length != net.InputSize) return Reject($"region {r}: the property has {region.Lower.Length} inputs, the network {net.InputSize}");
            for (int i = 0; i < net.InputSize; i++)
                if (proof.Lower.Length != net.InputSize || proof.Upper.Length != net.InputSize
                    || BitConverter.DoubleToInt64Bits(proof.Lower[i]) != BitConverter.DoubleToInt64Bits(region.Lower[i])
                    || BitConverter.DoubleToInt64Bits(proof.Upper[i]) != BitConverter.DoubleToInt64Bits(region.Upper[i]))
                    return Reject($"region {r}: the certificate's input box differs from the property's at X_{i}");
            if (region.Disjuncts.Any(d => d.Count == 0))
                return Reject($"region {r}: a disjunct of the unsafe condition has no rows (it holds everywhere), so no proof exists");
            // Pre-order walk with an explicit stack (no recursion: a tree may be deep).
            // Signs: per nonlinear node and neuron, the neuron splits on the path (−1: input ≤ 0, +1: ≥ 0, 0: none).
            var stack = new Stack<(double[] Lo, double[] Hi, sbyte[][] Signs, string Path)>();
            stack.Push((region.Lower, region.Upper, relus.Select(i => new sbyte[net.Steps[i].OutputSize]).ToArray(), ""));
            int cursor = 0;
            while (stack.Count > 0)
            {
                var (lo, hi, signs, path) = stack.Pop();
                string where = $"region {r}, node {cursor} (path '{path}')";
                if (cursor >= proof.Nodes.Count) return Reject($"{where}: missing: the tree ends before this sub-box is covered");
                var node = proof.Nodes[cursor++];
                nodes++;
                int kinds = (node.Split is null ? 0 : 1) + (node.Leaf is null ? 0 : 1) + (node.Open is null ? 0 : 1) + (node.Neuron is null ? 0 : 1);
                if (kinds != 1) return Reject($"{where}: a node must be exactly one of split, neuron, leaf, open");
                if (node.Open is { } why) return Reject($"{where}: left open by the producer ({why}); this sub-box is not covered");
                if (node.Split is { } s)
                {
                    if (s.Input < 0 || s.Input >= net.InputSize) return Reject($"{where}: split of input {s.Input}, which does not exist");
                    if (!(lo[s.Input] <= s.At && s.At <= hi[s.Input]))
                        return Reject($"{where}: split of X_{s.Input} at {s.At:R} outside the sub-box [{lo[s.Input]:R}, {hi[s.Input]:R}]");
                    var loHi = (double[])hi.Clone(); loHi[s.Input] = s.At;
                    var hiLo = (double[])lo.Clone(); hiLo[s.Input] = s.At;
                    stack.Push((hiLo, hi, signs, path + "H"));    // popped second: the second child's subtree follows the first's
                    stack.Push((lo, loHi, signs, path + "L"));
                    continue;
                }
                if (node.Neuron is { } ns)
                {
                    // z ≤ 0 and z ≥ 0 cover every input: the split covers its node by its form; only the neuron is checked.
                    if (ns.Node < 0 || ns.Node >= relus.Length || ns.Index < 0 || ns.Index >= signs[ns.Node].Length)
                        return Reject($"{where}: split of neuron {ns.Index} of nonlinear node {ns.Node}, which does not exist");
                    if (signs[ns.Node][ns.Index] != 0)
                        return Reject($"{where}: neuron {ns.Index} of node {cert.Nonlinear[ns.Node].Name} is split twice on one path");
                    stack.Push((lo, hi, WithSign(signs, ns, 1), path + "+"));
                    stack.Push((lo, hi, WithSign(signs, ns, -1), path + "-"));
                    continue;
                }
                leaves++;
                work.Add((r, cursor - 1, path, lo, hi, signs, node.Leaf!));
            }
            if (cursor != proof.Nodes.Count) return Reject($"region {r}: {proof.Nodes.Count - cursor} nodes after the end of the tree");
        }

        var failures = new ConcurrentDictionary<int, string>();
        var po = new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount };
        int firstFailure = int.MaxValue;
        Parallel.For(0, work.Count, po, (w, state) =>
        {
            if (w > Volatile.Read(ref firstFailure)) return;   // a failure earlier in tree order is reported anyway
            var (r, n, path, lo, hi, signs, leaf) = work[w];
            // Fewer leaves than threads (a root proof of a large network): the neurons of each layer share the threads instead.
            int inner = work.Count < po.MaxDegreeOfParallelism ? po.MaxDegreeOfParallelism : 1;
            var why = CheckLeaf(net, relus, cert.Nonlinear, prop.Regions[r], lo, hi, signs, leaf, inner);
            if (why is null) return;
            failures[w] = $"region {r}, leaf at node {n} (path '{path}'): {why}";
            int seen;
            while (w < (seen = Volatile.Read(ref firstFailure)) && Interlocked.CompareExchange(ref firstFailure, w, seen) != seen) { }
        });
        if (!failures.IsEmpty) return Reject(failures[failures.Keys.Min()]);
        return new CheckReport(true, $"{prop.Regions.Count} region(s), {leaves} leaves, {nodes} nodes: every leaf refutes every unsafe disjunct and the leaves cover every region",
            prop.Regions.Count, leaves, nodes, clock.Elapsed);
    }

    /// <summary>
    /// The checker's own bounds of every ReLU's input over a box, with no certificate: what <see cref="CheckLeaf"/> derives
    /// and compares claims with (tests compare it with sampling and with Certify's engine).
    /// </summary>
    internal static (double[] Lo, double[] Hi)[] OwnBounds(PlainNetwork net, double[] lo, double[] hi)
    {
        var relus = net.ReluSteps;
        var claims = relus.Select(r => new NodeBounds(Enumerable.Repeat(double.NegativeInfinity, net.Steps[r].OutputSize).ToArray(),
            Enumerable.Repeat(double.PositiveInfinity, net.Steps[r].OutputSize).ToArray())).ToList();
        var result = new (double[], double[])[relus.Length];
        var why = CheckLeaf(net, relus, relus.Select(r => new NonlinearNode(net.Steps[r].Name, net.Steps[r].OutputSize)).ToList(),
            new PlainRegion(lo, hi, Array.Empty<IReadOnlyList<PlainRow>>()), lo, hi, relus.Select(i => new sbyte[net.Steps[i].OutputSize]).ToArray(),
            new Leaf(Array.Empty<int>(), claims), 1, (l, b) => result[l] = b);
        return result;
    }

    /// <summary>Forward-mode bounds are computed for inputs of at most this many variables (their cost grows with it).</summary>
    const int ForwardMaxInputs = 32;

    static sbyte[][] WithSign(sbyte[][] signs, NeuronSplit split, sbyte sign)
    {
        var copy = (sbyte[][])signs.Clone();
        copy[split.Node] = (sbyte[])signs[split.Node].Clone();
        copy[split.Node][split.Index] = sign;
        return copy;
    }

    /// <summary>
    /// Null when the leaf holds; else why not, naming the node (and neuron) or the disjunct. The leaf is the part of the box
    /// where every neuron split on its path (<paramref name="signs"/>) holds: the checker's own bounds of a split neuron's
    /// input are clamped at 0 on the split's side (so its relaxation is exact), and when a clamped interval is empty no
    /// input satisfies the splits and the leaf holds vacuously.
    /// </summary>
    static string? CheckLeaf(PlainNetwork net, int[] relus, IReadOnlyList<NonlinearNode> names, PlainRegion region, double[] lo, double[] hi, sbyte[][] signs,
        Leaf leaf, int inner, Action<int, (double[], double[])>? derived = null)
    {
        var rows = region.Rows.ToArray();
        if (leaf.Rows.Length != region.Disjuncts.Count) return $"{leaf.Rows.Length} rows named for {region.Disjuncts.Count} disjuncts";
        if (leaf.Pre.Count != relus.Length) return $"bounds claimed for {leaf.Pre.Count} nonlinear nodes; the network has {relus.Length}";
        var b = LeafBounds.Start(net, lo, hi);
        // Forward mode has rules for chains of ReLUs and linear steps without divisors only (others go without it).
        var fwd = net.InputSize <= ForwardMaxInputs && net.IsChain && net.Steps.All(s => s is ReluStep || s is LinearStep { Divides: false })
            ? new ForwardBounds(lo, hi) : null;
        int done = 0;
        void Advance(int step)
        {
            b.IntervalStep(step);
            if (fwd is null) return;
            if (net.Steps[step] is LinearStep) fwd.Affine(net.Rows[step]!);
            else { var (zl, zu) = b.Enclosure(step - 1); fwd.Relu((ReluStep)net.Steps[step], zl, zu, b.HintAt(step)); }
        }
        // Sigmoid inputs have no claims: the checker bounds them itself, in order with the ReLUs' (every later bound needs them).
        var sigmoids = net.Steps.Select((s, i) => (s, i)).Where(p => p.s is SigmoidStep).Select(p => p.i).ToArray();
        for (int l = 0, q = 0; l < relus.Length || q < sigmoids.Length;)
        {
            if (q < sigmoids.Length && (l == relus.Length || sigmoids[q] < relus[l]))
            {
                int from = net.Inputs[sigmoids[q++]][0];
                for (; done <= from; done++) Advance(done);
                if (from < 0) continue;
                var (zl, zu) = b.Enclosure(from);
                var sl = new double[zl.Length]; var su = new double[zl.Length];
                Parallel.For(0, zl.Length, new ParallelOptions { MaxDegreeOfParallelism = inner }, j =>
                {
                    sl[j] = Math.Max(zl[j], b.Lower(Unit(zl.Length, j, 1), from));
                    su[j] = Math.Min(zu[j], -b.Lower(Unit(zl.Length, j, -1), from));
                });
                b.Tighten(from, sl, su);
                continue;
            }
            int pre = net.Inputs[relus[l]][0];   // the step whose output is the ReLU's input (-1: the input itself)
            for (; done <= pre; done++) Advance(done);
            var claim = leaf.Pre[l];
            int size = net.Steps[relus[l]].OutputSize;
            if (claim.Lower.Length != size || claim.Upper.Length != size) return $"node {names[l].Name}: claimed bounds have the wrong length";
            if (pre < 0) return $"node {names[l].Name}: a ReLU directly on the input is not supported";
            var (il, iu) = b.Enclosure(pre);
            var sign = signs[l];
            // The checker's own bounds: interval arithmetic, tightened by back-substitution. A claim is accepted when they
            // imply it; what later nodes use are the checker's own (true, and at least as tight) bounds, so that the
            // producer's safety margins on claims do not add up layer after layer.
            var ownLo = new double[size]; var ownHi = new double[size];
            var deep = new List<int>();   // neurons whose bounds need back-substitution
            for (int j = 0; j < size; j++)
            {
                double cl = claim.Lower[j], cu = claim.Upper[j];
                if (!(cl <= cu)) return $"node {names[l].Name} neuron {j}: claimed lower {cl:R} above upper {cu:R}";
                ownLo[j] = Math.Max(il[j], fwd?.Min(j, false) ?? double.NegativeInfinity);
                ownHi[j] = Math.Min(iu[j], fwd is null ? double.PositiveInfinity : -fwd.Min(j, true));
                Clamp(sign[j], ownLo, ownHi, j);
                // A neuron claimed stable whose cheap bounds already imply the claim is exact in every relaxation, whatever
                // its bounds: back-substitution would only tighten numbers nothing depends on, so it is skipped.
                bool stable = cl >= 0 || cu <= 0;
                if (!(stable && ownLo[j] >= cl && ownHi[j] <= cu)) deep.Add(j);
            }
            Parallel.ForEach(deep, new ParallelOptions { MaxDegreeOfParallelism = inner }, j =>
            {
                ownLo[j] = Math.Max(ownLo[j], b.Lower(Unit(size, j, 1), pre));
                ownHi[j] = Math.Min(ownHi[j], -b.Lower(Unit(size, j, -1), pre));
                Clamp(sign[j], ownLo, ownHi, j);
            });
            for (int j = 0; j < size; j++)
            {
                if (ownLo[j] > ownHi[j]) return null;   // the splits exclude every input of the box: nothing to refute
                if (!(ownLo[j] >= claim.Lower[j])) return $"node {names[l].Name} neuron {j}: claimed lower bound {claim.Lower[j]:R} is not implied (the checker derives {ownLo[j]:R})";
                if (!(ownHi[j] <= claim.Upper[j])) return $"node {names[l].Name} neuron {j}: claimed upper bound {claim.Upper[j]:R} is not implied (the checker derives {ownHi[j]:R})";
            }
            b.Tighten(pre, ownLo, ownHi);
            b.Signs(relus[l], sign);
            var relu = (ReluStep)net.Steps[relus[l]];
            if (claim.Lower.All(double.IsFinite) && claim.Upper.All(double.IsFinite))
                b.Hint(relus[l], claim.Lower.Zip(claim.Upper, relu.Adaptive).ToArray());
            derived?.Invoke(l, (ownLo, ownHi));
            l++;
        }
        for (; done < net.Steps.Count; done++) Advance(done);

        int top = net.Steps.Count - 1;
        for (int k = 0; k < region.Disjuncts.Count; k++)
        {
            int s = leaf.Rows[k];
            if (s < 0 || s >= rows.Length || rows[s].Disjunct != k) return $"disjunct {k}: row {s} is not one of its rows";
            var slopes = leaf.Slopes is { } all && k < all.Length ? all[k] : null;
            if (slopes is not null && slopes.Length != relus.Length) return $"disjunct {k}: slopes for {slopes.Length} nonlinear nodes; the network has {relus.Length}";
            var byStep = new Dictionary<int, double[]>();
            for (int l = 0; slopes is not null && l < relus.Length; l++)
            {
                if (slopes[l] is not { } a) continue;
                var relu = (ReluStep)net.Steps[relus[l]];
                if (a.Length != relu.Size) return $"disjunct {k}, node {names[l].Name}: {a.Length} slopes for {relu.Size} neurons";
                for (int j = 0; j < a.Length; j++)
                    if (!relu.ValidSlope(a[j])) return $"disjunct {k}, node {names[l].Name} neuron {j}: slope {a[j]:R} is outside [{relu.NegativeSlope:R}, 1]";
                byStep[relus[l]] = a;
            }
            var betas = leaf.Betas is { } allBetas && k < allBetas.Length ? allBetas[k] : null;
            if (betas is not null && betas.Length != relus.Length) return $"disjunct {k}: betas for {betas.Length} nonlinear nodes; the network has {relus.Length}";
            var betaByStep = new Dictionary<int, double[]>();
            for (int l = 0; betas is not null && l < relus.Length; l++)
            {
                if (betas[l] is not { } m) continue;
                if (m.Length != net.Steps[relus[l]].OutputSize) return $"disjunct {k}, node {names[l].Name}: {m.Length} betas for {net.Steps[relus[l]].OutputSize} neurons";
                for (int j = 0; j < m.Length; j++)
                    if (!double.IsFinite(m[j])) return $"disjunct {k}, node {names[l].Name} neuron {j}: beta {m[j]:R} is not a finite number";
                betaByStep[relus[l]] = m;
            }
            var row = rows[s].Row;
            if (row.C.Length != net.OutputSize) return $"row {s} has {row.C.Length} coefficients for {net.OutputSize} outputs";
            double bound = b.Lower(row.C, top, step => byStep.GetValueOrDefault(step), step => betaByStep.GetValueOrDefault(step));
            if (!(bound > row.D)) return $"disjunct {k}: row {s} is not refuted: the checker's lower bound of c·y is {bound:R}, not above {row.D:R}";
        }
        return null;
    }

    static double[] Unit(int size, int j, double sign) { var e = new double[size]; e[j] = sign; return e; }

    /// <summary>A neuron split on the path: its input is ≥ 0 (sign +1) or ≤ 0 (sign −1) on the leaf.</summary>
    static void Clamp(sbyte sign, double[] lo, double[] hi, int j)
    {
        if (sign > 0) lo[j] = Math.Max(lo[j], 0);
        else if (sign < 0) hi[j] = Math.Min(hi[j], 0);
    }
}
