using Certify.Checker;
using Certify.Graph;
using Certify.Spec;
using Certify.Verification.Search;
using static TorchSharp.torch;

namespace Certify.Verification.Proofs;

/// <summary>
/// Records what branch and bound proved (<see cref="IProofRecorder"/>) and writes it as a <see cref="Certificate"/>: per
/// leaf its box and neuron-split signs, per disjunct the row with the best margin, the bounds the engine computed for every
/// ReLU's (and LeakyReLU's) input, and the alpha slopes and beta multipliers of those rows when the bound was optimised
/// (none for CROWN, whose adaptive slopes the checker re-derives).
/// <para>
/// The search computes in float32 on a float32 copy of each box, so its numbers are near, not exactly, the real ones.
/// Each claimed bound is therefore widened by <see cref="ClaimMargin"/> (relative to the neuron's scale, the same at both ends) and rounded outward to float32 before
/// it is written; the checker accepts it only if its own outward-rounded bound over the exact box implies it.
/// </para>
/// </summary>
public sealed class CertificateRecorder : IProofRecorder
{
    sealed record LeafRecord(double[] Lo, double[] Hi, sbyte[]? Signs, int[] Rows, float[][] PreLo, float[][] PreHi, float[]?[]? Slopes, float[]?[]? Betas)
        : ProofTree.ILeaf;

    readonly ComputationGraph _graph;
    readonly Specification _spec;
    readonly (int Relu, int Pre, int Size, string Name, double NegativeSlope)[] _relus;
    readonly int _neurons;
    readonly List<LeafRecord>[] _leaves;
    readonly double[]?[] _rootLo, _rootHi;
    readonly int[][] _disjunctOfRow;
    readonly double[][] _rhs;
    long _count;

    public CertificateRecorder(ComputationGraph graph, Specification spec, long maxLeaves = 200_000, double claimMargin = 3e-4)
    {
        _graph = graph;
        _spec = spec;
        MaxLeaves = maxLeaves;
        ClaimMargin = claimMargin;
        _relus = graph.Nodes.Select(n => (Node: n, Slope: CheckerInputs.NegativeSlope(n.Op))).Where(p => p.Slope is not null)
            .Select(p => (p.Node.Id, p.Node.Inputs[0], (int)p.Node.Size, p.Node.Name, p.Slope!.Value)).ToArray();
        _neurons = _relus.Sum(r => r.Size);
        _leaves = spec.Regions.Select(_ => new List<LeafRecord>()).ToArray();
        _rootLo = new double[]?[spec.Regions.Count];
        _rootHi = new double[]?[spec.Regions.Count];
        _disjunctOfRow = spec.Regions.Select(r => r.Unsafe.Rows.Select(p => p.Clause).ToArray()).ToArray();
        _rhs = spec.Regions.Select(r => r.Unsafe.Rows.Select(p => p.Row.D).ToArray()).ToArray();
    }

    /// <summary>Most leaves kept; past it the proof is "not checkable" (the certificate would be too large to be useful).</summary>
    public long MaxLeaves { get; }

    /// <summary>
    /// Widening of every claimed bound, relative to the neuron's scale: both ends move out by the same amount
    /// <c>w = m·(1 + |l| + |u|)</c>, with <c>m</c> = 3e-4 by default (<see cref="Claim"/>).
    /// <para>Why this form (measured on ACAS Xu 5_8 prop_1, whose proof 1e-4 relative to each end's own magnitude did
    /// not pass): the checker's own bounds agree with Certify's CROWN in float64 to 1e-11 relative, layer after layer;
    /// what differs is the search's float32 arithmetic. Its error grows with the size of the terms summed, not with the
    /// bound's own value: on the last hidden layer, an upper bound of 4.0282 (float32) against 4.02889 (float64 and the
    /// checker) for a neuron with lower bound −1731, i.e. 7e-4 absolute, 1.7e-4 of |u| but 4e-7 of |l| + |u|. On 2,000
    /// random sub-boxes of that instance the float32 error over <c>1 + |l| + |u|</c> is below 1.1e-6 in 999 of 1,000
    /// neurons of every layer and at most 1.3e-6 on the first three layers. But the tail is longer than that sample:
    /// with 3e-5, ACAS Xu 3_3 prop_2 (58,911 leaves, 17 M claims) failed at one claim of the last hidden layer whose
    /// float32 error was 6e-5 of its scale (a lower bound −0.87282 claimed as −0.87277 after widening: cancellation among
    /// back-substituted terms much larger than the bound). 3e-4 leaves a factor of 5 over that worst case.
    /// (The larger outliers of layers 4-6 are neurons that one precision refined with CROWN and the other left at
    /// interval bounds because they were stable: the checker refines every claim it cannot confirm cheaply, so those
    /// pass.) The widening is the same at both ends so that the claim keeps <c>u + l</c>, which is what CROWN's
    /// adaptive lower slope depends on (1 where u &gt; −l): the checker takes that choice from the claims, and a
    /// widening proportional to each end (the earlier rule) shifted <c>u + l</c> by <c>m·(|u| − |l|)</c>, which flipped
    /// the choice of near-balanced neurons and so changed the checker's relaxation; rounding to float32 is then nudged so
    /// that the claim gives exactly the engine's choice. A wider claim is still a true statement and the checker derives
    /// every bound it uses itself, so the margin costs nothing in soundness; it only decides whether a true claim can be
    /// confirmed (and costs the checker a back-substitution for neurons it makes look unstable).</para>
    /// </summary>
    public double ClaimMargin { get; }

    /// <summary>Why no certificate can be written (set on the first such event), or null.</summary>
    public string? NotCheckable { get; private set; }

    /// <summary>Leaves recorded.</summary>
    public long Leaves => _count;

    public void Root(int region, Tensor lower, Tensor upper)
    {
        _rootLo[region] = Doubles(lower);
        _rootHi[region] = Doubles(upper);
    }

    public void Closed(ClosedDomains d)
    {
        if (NotCheckable is not null) return;
        if (d.Split is not null && d.Split.shape[1] != _neurons)
        {
            NotCheckable = $"not checkable: the search splits {d.Split.shape[1]} neurons, the checker knows {_neurons} (ReLU and LeakyReLU ones)";
            return;
        }
        if (d.Bounds.Alphas?.LowerPass.Keys.FirstOrDefault(id => _relus.All(r => r.Relu != id)) is { } other && other > 0)
        {
            // Optimised parameters of a node whose relaxation the certificate has no field for (MaxPool's window weights):
            // the checker would use CROWN's choice there and could refuse a true proof, so none is written.
            var node = _graph.Nodes[other];
            NotCheckable = $"not checkable: optimised relaxation parameters of {node.Op.Kind} (node '{node.Name}') are not in the certificate format (prove it with CROWN)";
            return;
        }
        using var scope = NewDisposeScope();
        var index = d.Closed.nonzero().squeeze(1);
        long k = index.shape[0];
        if (k == 0) return;
        if (_count + k > MaxLeaves) { NotCheckable = $"not checkable: more than {MaxLeaves} leaves"; return; }
        var rowsIdx = d.BoundsIndex.index_select(0, index);
        long n = d.Lower.shape[1];
        var lo = Doubles(d.Lower.index_select(0, index)); var hi = Doubles(d.Upper.index_select(0, index));
        var lower = d.Bounds.Lower.index_select(0, rowsIdx).to_type(ScalarType.Float64);          // [k, S]
        int s = (int)lower.shape[1];
        var margins = Doubles(lower);
        var pre = _relus.Select(r =>
        {
            var iv = d.Bounds.Node(r.Pre) ?? throw new InvalidOperationException($"no bounds for the input of {r.Name}");
            return (Lo: Doubles(iv.Lower.index_select(0, rowsIdx)), Hi: Doubles(iv.Upper.index_select(0, rowsIdx)), Float32: iv.Lower.dtype == ScalarType.Float32);
        }).ToArray();
        var alphas = d.Bounds.Alphas is { } al
            ? _relus.Select(r => al.LowerPass.TryGetValue(r.Relu, out var a) ? Doubles(a.index_select(0, rowsIdx)) : null).ToArray()
            : null;
        var betas = d.Split is not null && d.Bounds.Alphas is { } bl && bl.BetaLowerPass.Count > 0
            ? _relus.Select(r => bl.BetaLowerPass.TryGetValue(r.Relu, out var m) ? Doubles(m.index_select(0, rowsIdx)) : null).ToArray()
            : null;
        var signs = d.Split is null ? null : d.Split.index_select(0, index).to_type(ScalarType.Int8).contiguous().data<sbyte>().ToArray();
        var member = _disjunctOfRow[d.Region];
        int disjuncts = _spec.Regions[d.Region].Unsafe.Disjuncts.Count;
        for (long i = 0; i < k; i++)
        {
            var rows = new int[disjuncts];
            var best = Enumerable.Repeat(double.NegativeInfinity, disjuncts).ToArray();
            for (int row = 0; row < s; row++)
            {
                double m = margins[i * s + row] - _rhs[d.Region][row];
                if (!(m <= best[member[row]])) { best[member[row]] = m; rows[member[row]] = row; }
            }
            var preLo = new float[_relus.Length][]; var preHi = new float[_relus.Length][];
            for (int l = 0; l < _relus.Length; l++)
            {
                int size = _relus[l].Size;
                preLo[l] = new float[size]; preHi[l] = new float[size];
                for (int j = 0; j < size; j++)
                    (preLo[l][j], preHi[l][j]) = Claim(pre[l].Lo[i * size + j], pre[l].Hi[i * size + j], ClaimMargin, pre[l].Float32 && _relus[l].NegativeSlope == 0);
            }
            // The engine reads a slope parameter θ ∈ [0, 1] as the line k = (1 − θ)·a + θ (a the negative slope: θ itself for
            // ReLU) and clamps θ when it uses it; the record holds k, rounded into [a, 1].
            var slopes = PerRow(alphas, i, s, rows, (l, v) =>
            {
                double a = _relus[l].NegativeSlope, k = (1 - Math.Clamp(v, 0, 1)) * a + Math.Clamp(v, 0, 1);
                float f = (float)k;
                return f < a ? MathF.BitIncrement(f) : Math.Min(f, 1f);
            });
            var leafBetas = PerRow(betas, i, s, rows, (_, v) => (float)Math.Max(v, 0));
            var leafSigns = signs?.AsSpan((int)(i * _neurons), _neurons).ToArray();
            _leaves[d.Region].Add(new LeafRecord(lo.AsSpan((int)(i * n), (int)n).ToArray(), hi.AsSpan((int)(i * n), (int)n).ToArray(), leafSigns,
                rows, preLo, preHi, slopes, leafBetas));
        }
        _count += k;
    }

    /// <summary>
    /// Per disjunct q and nonlinear node l, the values of sub-problem <paramref name="i"/>'s row <c>rows[q]</c> in
    /// <paramref name="perNode"/> (each <c>[k, S, size]</c> flat, or null), converted; null when there are none.
    /// </summary>
    float[]?[]? PerRow(double[]?[]? perNode, long i, int s, int[] rows, Func<int, double, float> convert)
    {
        if (perNode is null) return null;
        var result = new float[]?[rows.Length * _relus.Length];
        for (int q = 0; q < rows.Length; q++)
            for (int l = 0; l < _relus.Length; l++)
            {
                if (perNode[l] is not { } a) continue;
                int size = _relus[l].Size;
                var v = new float[size];
                long off = (i * s + rows[q]) * size;
                for (int j = 0; j < size; j++) v[j] = convert(l, a[off + j]);
                result[q * _relus.Length + l] = v;
            }
        return result;
    }

    /// <summary>
    /// The certificate of the recorded proof for the given files; throws <see cref="NotCheckableException"/> when the proof
    /// cannot be written as one (see <see cref="NotCheckable"/>).
    /// </summary>
    public Certificate Build(string modelPath, string propertyPath)
    {
        if (NotCheckable is { } why) throw new NotCheckableException(why);
        var regions = new List<RegionProof>();
        for (int r = 0; r < _spec.Regions.Count; r++)
        {
            var region = _spec.Regions[r];
            var nodes = new List<ProofNode>();
            if (_rootLo[r] is { } lo && _rootHi[r] is { } hi)
                ProofTree.Build(lo, hi, _neurons, _leaves[r], ToLeaf, Locate, nodes);
            else nodes.Add(new ProofNode(Open: "the search never started this region"));
            regions.Add(new RegionProof(region.Lower.ToArray(), region.Upper.ToArray(), nodes));
        }
        return new Certificate
        {
            Producer = "Certify",
            Network = new FileHash(Path.GetFileName(modelPath), CheckerInputs.Sha256(modelPath)),
            Property = new FileHash(Path.GetFileName(propertyPath), CheckerInputs.Sha256(propertyPath)),
            Nonlinear = _relus.Select(x => new NonlinearNode(x.Name, x.Size)).ToList(),
            Regions = regions,
        };
    }

    Leaf ToLeaf(LeafRecord x)
    {
        int layers = _relus.Length;
        var pre = Enumerable.Range(0, layers).Select(l => new NodeBounds(x.PreLo[l].Select(v => (double)v).ToArray(), x.PreHi[l].Select(v => (double)v).ToArray())).ToList();
        double[]?[]?[]? Nested(float[]?[]? flat) => flat is null ? null
            : Enumerable.Range(0, x.Rows.Length).Select(q => Enumerable.Range(0, layers).Select(l => flat[q * layers + l]?.Select(v => (double)v).ToArray()).ToArray()).ToArray();
        return new Leaf(x.Rows, pre, Nested(x.Slopes), Nested(x.Betas));
    }

    /// <summary>A global branchable-neuron index (node order, as the neuron brancher lays them out) as (node, neuron).</summary>
    NeuronSplit Locate(int j)
    {
        for (int l = 0; l < _relus.Length; l++)
        {
            if (j < _relus[l].Size) return new NeuronSplit(l, j);
            j -= _relus[l].Size;
        }
        throw new ArgumentOutOfRangeException(nameof(j));
    }

    /// <summary>
    /// The claim written for engine bounds [<paramref name="l"/>, <paramref name="u"/>]: both ends widened by
    /// <c>m·(1 + |l| + |u|)</c> and rounded outward to float32, such that the checker's adaptive lower slope on the claim
    /// (1 where <c>u &gt; −l</c>) is the one the engine took on its own bounds. The engine's choice is
    /// <see cref="EngineTakesSlopeOne"/>; where rounding broke the tie the other way, the end on the choice's side is
    /// moved out to the nearest float32 that restores it (a few ulps of the larger end at most: only a wider claim).
    /// </summary>
    public static (float Lo, float Hi) Claim(double l, double u, double m, bool reluInFloat32)
    {
        double w = m * (1 + Math.Abs(l) + Math.Abs(u));
        float lo = FloatDown(l - w), hi = FloatUp(u + w);
        if (!(lo < 0 && hi > 0) || !double.IsFinite(lo) || !double.IsFinite(hi)) return (lo, hi);
        bool one = EngineTakesSlopeOne(l, u, reluInFloat32);
        if (one && !(hi > -lo)) hi = MathF.BitIncrement(-lo);
        else if (!one && hi > -lo) lo = -hi;
        return (lo, hi);
    }

    /// <summary>
    /// Whether the engine's CROWN lower line of a neuron with input bounds [l, u] has slope 1: ReLU computes it as
    /// <c>u/(u − l) &gt; 0.5</c> in the search's precision (<c>ReluRule.Lines</c>), LeakyReLU as <c>u &gt; −l</c>.
    /// </summary>
    public static bool EngineTakesSlopeOne(double l, double u, bool reluInFloat32)
    {
        if (!reluInFloat32) return u > -l;
        float lr = Math.Min((float)l, 0f);
        float ur = Math.Max(Math.Max((float)u, 0f), lr + 1e-8f);
        return ur / (ur - lr) > 0.5f;
    }

    static float FloatDown(double v) { float f = (float)v; return f > v ? MathF.BitDecrement(f) : f; }
    static float FloatUp(double v) { float f = (float)v; return f < v ? MathF.BitIncrement(f) : f; }

    static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().reshape(-1).data<double>().ToArray();
}
