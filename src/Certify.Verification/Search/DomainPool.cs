using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// A batch of sub-problems as stacked tensors, one row per sub-problem, keyed by field name (e.g. the input box
/// "lo"/"hi" <c>[B, n]</c>, the best row margins "best" <c>[B, S]</c>). Owns its tensors.
/// </summary>
sealed class DomainBatch : IDisposable
{
    public Dictionary<string, Tensor> Fields { get; } = new();

    public long Count => Fields.Count == 0 ? 0 : Fields.Values.First().shape[0];

    public Tensor this[string name]
    {
        get => Fields[name];
        set { if (Fields.TryGetValue(name, out var old) && !ReferenceEquals(old, value)) old.Dispose(); Fields[name] = value; }
    }

    public bool Has(string name) => Fields.ContainsKey(name);

    /// <summary>The sub-problems at <paramref name="index"/> (a 1-d long tensor), as a new batch.</summary>
    public DomainBatch Select(Tensor index)
    {
        var b = new DomainBatch();
        foreach (var (k, v) in Fields) b.Fields[k] = v.index_select(0, index);
        return b;
    }

    public void Dispose()
    {
        foreach (var t in Fields.Values) t.Dispose();
        Fields.Clear();
    }
}

/// <summary>
/// The queue of open sub-problems: every field stacked in one preallocated tensor <c>[capacity, *row]</c> that doubles
/// when full, used as a stack (children pushed last are bounded first, which keeps the queue small: depth-first in
/// batches). Pushing and popping copy only the rows moved, never the whole queue, and allocate no per-domain tensors.
/// </summary>
sealed class DomainPool : IDisposable
{
    readonly Dictionary<string, Tensor> _store = new();
    long _capacity;

    /// <summary>Open sub-problems.</summary>
    public long Count { get; private set; }

    /// <summary>Appends every row of <paramref name="batch"/> (which must have the same fields as earlier pushes).</summary>
    public void Push(DomainBatch batch)
    {
        long k = batch.Count;
        if (k == 0) return;
        if (_store.Count == 0)
        {
            _capacity = CapacityAfterPush(k);
            foreach (var (name, t) in batch.Fields)
                _store[name] = empty(new[] { _capacity }.Concat(t.shape.Skip(1)).ToArray(), t.dtype, t.device).DetachFromDisposeScope();
        }
        else if (Count + k > _capacity) Grow(CapacityAfterPush(k));
        if (batch.Fields.Count != _store.Count) throw new InvalidOperationException("sub-problem fields differ between pushes");
        using var scope = NewDisposeScope();
        foreach (var (name, t) in batch.Fields) _store[name].narrow(0, Count, k).copy_(t);
        Count += k;
    }

    /// <summary>
    /// Bytes the store will hold after <paramref name="batch"/> is pushed: its capacity then (grown as
    /// <see cref="Push"/> grows it) times the bytes of one row of every field.
    /// </summary>
    public long BytesAfterPush(DomainBatch batch)
    {
        long k = batch.Count;
        if (k == 0) return Bytes;
        long row = batch.Fields.Values.Sum(t => t.ElementSize * (t.NumberOfElements / k));
        return CapacityAfterPush(k) * row;
    }

    /// <summary>The store's capacity once <paramref name="k"/> more rows are pushed: the first push reserves twice its rows
    /// (at least 1,024), and a push that does not fit doubles the capacity (or more, to fit).</summary>
    long CapacityAfterPush(long k) =>
        _store.Count == 0 ? Math.Max(1024, k * 2) : Count + k > _capacity ? Math.Max(_capacity * 2, Count + k) : _capacity;

    /// <summary>Bytes the store holds now (its capacity, not only the open rows).</summary>
    public long Bytes => _store.Values.Sum(t => t.ElementSize * t.NumberOfElements);

    /// <summary>Removes and returns the last <paramref name="k"/> sub-problems (fewer when fewer are open).</summary>
    public DomainBatch Pop(long k)
    {
        k = Math.Min(k, Count);
        var b = new DomainBatch();
        foreach (var (name, t) in _store) b.Fields[name] = t.narrow(0, Count - k, k).clone();
        Count -= k;
        return b;
    }

    /// <summary>Smallest value of a <c>[capacity]</c> field over the open sub-problems (+inf when empty).</summary>
    public double Min(string field)
    {
        if (Count == 0 || !_store.TryGetValue(field, out var t)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        return t.narrow(0, 0, Count).min().ToDouble();
    }

    void Grow(long capacity)
    {
        foreach (var name in _store.Keys.ToList())
        {
            var old = _store[name];
            var t = empty(new[] { capacity }.Concat(old.shape.Skip(1)).ToArray(), old.dtype, old.device).DetachFromDisposeScope();
            using (var scope = NewDisposeScope()) t.narrow(0, 0, Count).copy_(old.narrow(0, 0, Count));
            old.Dispose();
            _store[name] = t;
        }
        _capacity = capacity;
    }

    public void Dispose()
    {
        foreach (var t in _store.Values) t.Dispose();
        _store.Clear();
        Count = 0;
    }
}
