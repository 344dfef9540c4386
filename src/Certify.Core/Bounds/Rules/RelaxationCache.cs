using static TorchSharp.torch;

namespace Certify.Bounds.Rules;

/// <summary>
/// CROWN's relaxation of each elementwise node, computed once per set of input bounds and reused by every backward pass
/// of one <see cref="BoundEngine"/> call.
/// <para>
/// Why: CROWN bounds every intermediate layer by back-substitution, so the relaxation of the ReLUs of layer j is needed
/// by the pass from every later layer and by the final pass, L − j times on an L-layer network, and each time it was
/// rebuilt from the same input bounds. On ACAS Xu (6 layers of 50 ReLUs) that rebuilding was about half of the time of
/// the ReLU steps, and the ReLU steps half of a CROWN call: the tensors are tiny, so a call's time is the number of
/// tensor operations it issues, not their arithmetic.
/// </para>
/// <para>
/// Sound by construction: a relaxation depends only on the op and the bounds of its input (<c>Relaxation(op, l, u)</c>
/// is a pure function of them), and an entry is used only for the very same bound tensors it was made from (compared by
/// reference; bound tensors are never updated in place), so every pass gets the relaxation it would have computed.
/// Passes over other bounds (a refinement over a subset of the batch selects new tensors) replace the entry.
/// </para>
/// The cached tensors are aliases owned by the cache, outside every dispose scope (a pass's step scope would free them
/// at the end of the step), and freed by <see cref="Dispose"/>; they stay part of autograd's graph as any tensor would.
/// They are kept with the row axis that <see cref="Relax.Elementwise"/> adds (<c>[B, 1, *shape]</c>, see
/// <see cref="Relax.Rows"/>), so that no pass adds it again.
/// </summary>
public sealed class RelaxationCache : IDisposable
{
    readonly Dictionary<int, (Tensor Lower, Tensor Upper, Relaxation Relaxation)> _entries = new();
    readonly Dictionary<int, (Tensor Lower, Tensor Upper, Tensor[]? Prepared)> _prepared = new();

    /// <summary>
    /// The parameter-independent tensors of node <paramref name="node"/>'s parameterised relaxation over
    /// <paramref name="input"/> (see <c>ElementwiseRule.Prepare</c>): the cached ones when made from these very tensors,
    /// else <paramref name="make"/>'s (null when the rule keeps none), which are then cached as they are (no row axis is added).
    /// </summary>
    public Tensor[]? GetOrAddPrepared(int node, Interval input, Func<Tensor[]?> make)
    {
        if (_prepared.TryGetValue(node, out var e) && ReferenceEquals(e.Lower, input.Lower) && ReferenceEquals(e.Upper, input.Upper))
            return e.Prepared;
        var owned = make()?.Select(OwnAlias).ToArray();
        if (_prepared.TryGetValue(node, out var old)) Release(old.Prepared);
        _prepared[node] = (input.Lower, input.Upper, owned);
        return owned;
    }

    static void Release(Tensor[]? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors) t.Dispose();
    }

    /// <summary>
    /// The relaxation of node <paramref name="node"/> (of <paramref name="rank"/> sample dimensions) over
    /// <paramref name="input"/>: the cached one when it was made from these very tensors, else <paramref name="make"/>'s,
    /// which is then cached. Per-sample tensors come back with a row axis, <c>[B, 1, *shape]</c>.
    /// </summary>
    public Relaxation GetOrAdd(int node, int rank, Interval input, Func<Relaxation> make)
    {
        if (_entries.TryGetValue(node, out var e) && ReferenceEquals(e.Lower, input.Lower) && ReferenceEquals(e.Upper, input.Upper))
            return e.Relaxation;
        var r = make();
        Tensor Own(Tensor t) => OwnAlias(Relax.Rows(t, rank));
        var owned = new Relaxation(Own(r.LowerSlope), r.LowerBias is { } lb ? Own(lb) : null, Own(r.UpperSlope), r.UpperBias is { } ub ? Own(ub) : null);
        if (_entries.TryGetValue(node, out var old)) Release(old.Relaxation);
        _entries[node] = (input.Lower, input.Upper, owned);
        return owned;
    }

    /// <summary>
    /// A handle of our own on <paramref name="t"/>'s storage: a tensor a rule returns may be one of its inputs or live in
    /// the caller's scope, so the cache never takes over the rule's handle, only an alias of it.
    /// </summary>
    static Tensor OwnAlias(Tensor t) => t.alias().DetachFromDisposeScope();

    static void Release(Relaxation r)
    {
        r.LowerSlope.Dispose(); r.LowerBias?.Dispose();
        r.UpperSlope.Dispose(); r.UpperBias?.Dispose();
    }

    /// <summary>Frees every cached alias (the storage lives on where other tensors still use it).</summary>
    public void Dispose()
    {
        foreach (var e in _entries.Values) Release(e.Relaxation);
        _entries.Clear();
        foreach (var e in _prepared.Values) Release(e.Prepared);
        _prepared.Clear();
    }
}
