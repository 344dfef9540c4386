using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// Alpha-CROWN's optimisable ReLU lower slopes for the final specification rows: per ReLU node id, one tensor
/// <c>[B, S, *shape]</c> for the pass that bounds the rows from below and one for the pass that bounds them from above
/// (either may be absent). Values lie in [0, 1]; they only matter for unstable neurons.
/// </summary>
public sealed class AlphaState : IDisposable
{
    /// <summary>Slopes used when bounding C·y from below, keyed by ReLU node id.</summary>
    public Dictionary<int, Tensor> LowerPass { get; } = new();

    /// <summary>Slopes used when bounding C·y from above, keyed by ReLU node id.</summary>
    public Dictionary<int, Tensor> UpperPass { get; } = new();

    /// <summary>A copy holding only sub-problems <paramref name="index"/> (a 1-d long tensor of batch rows).</summary>
    public AlphaState Select(Tensor index)
    {
        var s = new AlphaState();
        foreach (var (k, v) in LowerPass) s.LowerPass[k] = v.index_select(0, index);
        foreach (var (k, v) in UpperPass) s.UpperPass[k] = v.index_select(0, index);
        return s;
    }

    public void Dispose()
    {
        foreach (var t in LowerPass.Values) t.Dispose();
        foreach (var t in UpperPass.Values) t.Dispose();
        LowerPass.Clear();
        UpperPass.Clear();
    }
}
