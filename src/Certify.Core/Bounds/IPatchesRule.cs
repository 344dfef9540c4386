using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// A rule whose op is a 2-d sliding-window linear map over one input <c>[C, H, W]</c> (a convolution without groups or
/// dilation): <c>y[o, i, j] = Σ W[o, c, p, q] · x[c, i·s − pad + p, j·s − pad + q] + b[o]</c>, zero outside x. Such a map
/// lets CROWN keep the coefficients of a row that starts at one output neuron as a small patch per row
/// (<see cref="ConvPatches"/>: <c>[C, K, K]</c> around the row's window, auto_LiRPA's "patches" idea) instead of a dense
/// <c>[C·H·W]</c> row, which is what makes intermediate bounds of image networks affordable.
/// The window arithmetic is generic and lives in <see cref="ConvPatches"/>; the op-specific parts (its geometry, and the
/// transposed map of a batch of patches) are the rule's.
/// </summary>
public interface IPatchesRule
{
    /// <summary>The geometry of the map, or null when this node is not a plain 2-d window map (the dense path is used then).</summary>
    PatchWindow? Window(Node node);

    /// <summary>
    /// Coefficients of the map's input from patches of coefficients of its output: <c>[N, Cout, K, K']</c> (a window of the
    /// output, entries outside the output already zero) → <c>[N, Cin, (K − 1)·s + k, (K' − 1)·s' + k']</c> (the input window
    /// they reach: the transposed map with the op's stride and no padding).
    /// </summary>
    Tensor TransposePatches(Node node, Tensor patches);
}

/// <summary>
/// The geometry of a 2-d window map: its weight <c>[Cout, Cin, kh, kw]</c> (for the first step of a pass that starts at the
/// map's output), strides and begin pads per axis, and bias <c>[Cout]</c> (null: none).
/// </summary>
public sealed record PatchWindow(Tensor Weight, Tensor? Bias, long[] Stride, long[] Pad);
