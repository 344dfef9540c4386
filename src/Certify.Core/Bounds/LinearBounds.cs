using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// Forward-mode linear bounds of one node in terms of the network input x (flattened, d elements):
/// <c>LowerW·x + LowerB ≤ y ≤ UpperW·x + UpperB</c> for every x in the sub-problem's box. Coefficients are
/// <c>[B, *shape, d]</c>, constants <c>[B, *shape]</c>.
/// <para>
/// Forward mode (symbolic intervals, as in ReluVal/Neurify and auto_LiRPA's forward mode) is looser than CROWN's backward
/// pass, which picks each relaxation per output row, but for a low-dimensional input it costs only d columns per neuron.
/// The engine uses it to discard neurons that are already stable before paying for CROWN rows on them.
/// </para>
/// </summary>
public readonly record struct LinearBounds(Tensor LowerW, Tensor LowerB, Tensor UpperW, Tensor UpperB)
{
    /// <summary>The identity bounds of an input box with <paramref name="batch"/> sub-problems of <paramref name="inputShape"/>.</summary>
    public static LinearBounds Identity(long batch, long[] inputShape, ScalarType dtype, Device device)
    {
        long d = inputShape.Aggregate(1L, (a, b) => a * b);
        var w = eye(d, dtype: dtype, device: device).reshape(inputShape.Append(d).ToArray()).unsqueeze(0).expand(new[] { batch }.Concat(inputShape).Append(d).ToArray());
        var b = zeros(new[] { batch }.Concat(inputShape).ToArray(), dtype: dtype, device: device);
        return new LinearBounds(w, b, w, b);
    }

    /// <summary>Concrete bounds over the box <paramref name="box"/> (<c>[B, *inputShape]</c>): <c>W·c ∓ |W|·r + b</c>.</summary>
    public Interval Concretise(Interval box)
    {
        long batch = box.Batch;
        var c = box.Center().reshape(batch, -1);                       // [B, d]
        var r = box.Radius().reshape(batch, -1);
        var shape = LowerB.shape;
        var lw = LowerW.reshape(batch, -1, c.shape[1]);                 // [B, n, d]
        var uw = UpperW.reshape(batch, -1, c.shape[1]);
        var cc = c.unsqueeze(2); var rr = r.unsqueeze(2);               // [B, d, 1]
        var lo = (matmul(lw, cc) - matmul(lw.abs(), rr)).squeeze(2).reshape(shape) + LowerB;
        var hi = (matmul(uw, cc) + matmul(uw.abs(), rr)).squeeze(2).reshape(shape) + UpperB;
        return new Interval(lo, hi);
    }
}
