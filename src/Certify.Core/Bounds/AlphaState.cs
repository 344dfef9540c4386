using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// The optimisable parameters of the final specification rows' backward passes, per node id:
/// <list type="bullet">
/// <item>alpha-CROWN's relaxation parameters of every node whose rule is an <see cref="IOptimisableRule"/>, for the pass
/// that bounds the rows from below and for the one that bounds them from above (either may be absent): ReLU's lower
/// slopes <c>[B, S, *shape]</c>, and for other rules <c>[B, S, *ParameterShape]</c> in the rule's own layout (e.g.
/// sigmoid's two tangent points <c>[B, S, 2, *shape]</c>). Values lie in [0, 1], every one of them sound.</item>
/// <item>beta-CROWN's multipliers <c>[B, S, *shape]</c> (≥ 0) of the split constraints <c>s·(x − p) ≥ 0</c> of split
/// neurons, per pass, the split points p and the split signs s <c>[B, *shape]</c> (+1 active, −1 inactive, 0 free) they multiply. Every
/// beta ≥ 0 gives a sound bound; zero where a neuron is not split.</item>
/// </list>
/// </summary>
public sealed class AlphaState : IDisposable
{
    /// <summary>Relaxation parameters used when bounding C·y from below, keyed by node id (ReLU: its lower slopes).</summary>
    public Dictionary<int, Tensor> LowerPass { get; } = new();

    /// <summary>Relaxation parameters used when bounding C·y from above, keyed by node id.</summary>
    public Dictionary<int, Tensor> UpperPass { get; } = new();

    /// <summary>Split multipliers (beta ≥ 0) used when bounding C·y from below, keyed by ReLU node id, <c>[B, S, *shape]</c>.</summary>
    public Dictionary<int, Tensor> BetaLowerPass { get; } = new();

    /// <summary>Split multipliers used when bounding C·y from above, keyed by ReLU node id, <c>[B, S, *shape]</c>.</summary>
    public Dictionary<int, Tensor> BetaUpperPass { get; } = new();

    /// <summary>
    /// Split signs the betas multiply, keyed by ReLU node id, <c>[B, *shape]</c> in the bound dtype: +1 forced active
    /// (pre-activation ≥ 0), −1 forced inactive (≤ 0), 0 free. A beta without a sign entry is ignored.
    /// </summary>
    public Dictionary<int, Tensor> SplitSigns { get; } = new();

    /// <summary>
    /// Split points of the constraints, keyed like <see cref="SplitSigns"/>, <c>[B, *shape]</c>: the constraint is
    /// <c>s·(x − p) ≥ 0</c>. Absent for a node means p = 0 (ReLU's splits).
    /// </summary>
    public Dictionary<int, Tensor> SplitPoints { get; } = new();

    /// <summary>Every tensor held (for moving between dispose scopes).</summary>
    public IEnumerable<Tensor> Tensors =>
        LowerPass.Values.Concat(UpperPass.Values).Concat(BetaLowerPass.Values).Concat(BetaUpperPass.Values).Concat(SplitSigns.Values).Concat(SplitPoints.Values);

    /// <summary>A copy holding only sub-problems <paramref name="index"/> (a 1-d long tensor of batch rows).</summary>
    public AlphaState Select(Tensor index)
    {
        var s = new AlphaState();
        foreach (var (k, v) in LowerPass) s.LowerPass[k] = v.index_select(0, index);
        foreach (var (k, v) in UpperPass) s.UpperPass[k] = v.index_select(0, index);
        foreach (var (k, v) in BetaLowerPass) s.BetaLowerPass[k] = v.index_select(0, index);
        foreach (var (k, v) in BetaUpperPass) s.BetaUpperPass[k] = v.index_select(0, index);
        foreach (var (k, v) in SplitSigns) s.SplitSigns[k] = v.index_select(0, index);
        foreach (var (k, v) in SplitPoints) s.SplitPoints[k] = v.index_select(0, index);
        return s;
    }

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
        LowerPass.Clear();
        UpperPass.Clear();
        BetaLowerPass.Clear();
        BetaUpperPass.Clear();
        SplitSigns.Clear();
        SplitPoints.Clear();
    }
}
