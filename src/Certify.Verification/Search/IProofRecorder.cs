using Certify.Bounds;
using static TorchSharp.torch;

namespace Certify.Verification.Search;

/// <summary>
/// Receives every sub-problem that branch and bound closes with a bound proof, with what proved it, so that a certificate
/// can be written (<c>specs/certificate.md</c>). Called on the search thread inside the batch's dispose scope: copy what
/// is needed, keep no tensor. The search itself never depends on the recorder.
/// </summary>
public interface IProofRecorder
{
    /// <summary>The box a region's search starts from, in the search dtype (the root of that region's tree).</summary>
    void Root(int region, Tensor lower, Tensor upper);

    /// <summary>Sub-problems closed in one batch.</summary>
    void Closed(ClosedDomains domains);
}

/// <summary>
/// Sub-problems of one bounded batch, of which those marked in <see cref="Closed"/> were proven safe by
/// <see cref="Bounds"/> (whose batch row for sub-problem i is <c>BoundsIndex[i]</c>).
/// </summary>
/// <param name="Region">The region searched.</param>
/// <param name="Lower">Input boxes <c>[b, n]</c> (search dtype).</param>
/// <param name="Upper">Input boxes <c>[b, n]</c>.</param>
/// <param name="Split">ReLU split states <c>[b, R]</c> (−1, 0, +1), null for input splitting.</param>
/// <param name="Closed">Which of the b were proven <c>[b]</c> bool.</param>
/// <param name="Bounds">The bounds that proved them (row lower bounds, every node's bounds, alpha slopes when optimised).</param>
/// <param name="BoundsIndex">Row of <see cref="Bounds"/> per sub-problem <c>[b]</c> long.</param>
public sealed record ClosedDomains(int Region, Tensor Lower, Tensor Upper, Tensor? Split, Tensor Closed, BoundResult Bounds, Tensor BoundsIndex);
