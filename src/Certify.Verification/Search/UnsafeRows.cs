using Certify.Spec;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// A region's unsafe condition as tensors: rows <c>c·y ≤ d</c> (<c>C [S, m]</c>, <c>d [S]</c>) and which disjunct each row
/// belongs to. A sub-problem is safe when every disjunct has at least one row whose lower bound of <c>c·y</c> exceeds d
/// (that row cannot hold, so neither can its conjunction). Margins are <c>lower(c·y) − d</c>.
/// </summary>
sealed class UnsafeRows : IDisposable
{
    public UnsafeRows(InputRegion region, int outputSize, ScalarType dtype)
    {
        var rows = region.Unsafe.Rows.ToList();
        Count = rows.Count;
        Disjuncts = region.Unsafe.Disjuncts.Count;
        var c = new double[Count * outputSize];
        var d = new double[Count];
        var member = new float[Count * Disjuncts];
        var notMember = new float[Disjuncts * Count];
        for (int s = 0; s < Count; s++)
        {
            var (k, row) = rows[s];
            if (row.C.Length != outputSize)
                throw new ArgumentException($"a specification row has {row.C.Length} coefficients but the network has {outputSize} outputs");
            Array.Copy(row.C, 0, c, s * outputSize, outputSize);
            d[s] = row.D;
            member[s * Disjuncts + k] = 1;
        }
        for (int k = 0; k < Disjuncts; k++)
            for (int s = 0; s < Count; s++)
                notMember[k * Count + s] = member[s * Disjuncts + k] > 0 ? 0 : float.NegativeInfinity;
        D64 = d;
        C = tensor(c, new long[] { Count, outputSize }).to_type(dtype);
        Rhs = tensor(d).to_type(dtype);
        C64 = tensor(c, new long[] { Count, outputSize });
        Rhs64 = tensor(d);
        Membership = tensor(member, new long[] { Count, Disjuncts });
        Outside = tensor(notMember, new long[] { Disjuncts, Count });
        EmptyDisjunct = region.Unsafe.Disjuncts.Any(j => j.Rows.Count == 0);
    }

    /// <summary>Number of rows S.</summary>
    public int Count { get; }

    /// <summary>Number of disjuncts K.</summary>
    public int Disjuncts { get; }

    /// <summary>Some disjunct has no rows: every output is unsafe.</summary>
    public bool EmptyDisjunct { get; }

    /// <summary><c>[S, m]</c> in the search dtype.</summary>
    public Tensor C { get; }

    /// <summary><c>[S]</c> in the search dtype.</summary>
    public Tensor Rhs { get; }

    /// <summary><c>[S, m]</c> and <c>[S]</c> in float64, for re-checks.</summary>
    public Tensor C64 { get; }
    public Tensor Rhs64 { get; }

    /// <summary>Right-hand sides as numbers.</summary>
    public double[] D64 { get; }

    /// <summary><c>[S, K]</c>: 1 where row s belongs to disjunct k (float32).</summary>
    Tensor Membership { get; }

    /// <summary><c>[K, S]</c>: 0 where row s belongs to disjunct k, −inf elsewhere.</summary>
    Tensor Outside { get; }

    /// <summary>Per sub-problem and disjunct, the best (largest) row margin: <c>[B, S] → [B, K]</c>.</summary>
    public Tensor DisjunctMargins(Tensor margins) =>
        (margins.to_type(ScalarType.Float32).unsqueeze(1) + Outside.unsqueeze(0)).amax(new long[] { 2 });

    /// <summary>Per sub-problem: proven when every disjunct has a row marked in <paramref name="proven"/> (<c>[B, S]</c> bool) → <c>[B]</c>.</summary>
    public Tensor AllDisjunctsRefuted(Tensor proven) =>
        matmul(proven.to_type(ScalarType.Float32), Membership).gt(0).all(1);

    /// <summary>
    /// The row that guides branching per sub-problem (<c>[B]</c> long): in the disjunct with the smallest best margin,
    /// its best row (the one closest to refuting it); and that smallest best margin, the sub-problem's score (<c>[B]</c>).
    /// </summary>
    public (Tensor Row, Tensor Score) Target(Tensor margins)
    {
        var m = margins.to_type(ScalarType.Float32);
        var perRow = m.unsqueeze(1) + Outside.unsqueeze(0);           // [B, K, S], −inf outside each disjunct
        var (best, bestRow) = perRow.max(2);                            // [B, K]
        var (score, k) = best.min(1);                                   // [B]
        var row = bestRow.gather(1, k.unsqueeze(1)).squeeze(1);         // [B]
        return (row, score);
    }

    /// <summary>Which outputs <c>[P, m]</c> satisfy the unsafe condition (some disjunct with all rows holding) → <c>[P]</c> bool.</summary>
    public Tensor Violates(Tensor outputs)
    {
        var values = matmul(outputs.to_type(C.dtype), C.t());           // [P, S]
        var fails = values.gt(Rhs.unsqueeze(0)).to_type(ScalarType.Float32);
        var failing = matmul(fails, Membership);                        // [P, K]: failing rows per disjunct
        return failing.eq(0).any(1);
    }

    public void Dispose()
    {
        C.Dispose(); Rhs.Dispose(); C64.Dispose(); Rhs64.Dispose(); Membership.Dispose(); Outside.Dispose();
    }
}
