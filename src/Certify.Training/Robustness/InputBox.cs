using static TorchSharp.torch;

namespace Certify.Training.Robustness;

/// <summary>The L∞ ball of radius ε around a batch of images, intersected with the pixel domain [0, 1].</summary>
public static class InputBox
{
    /// <summary>Lower and upper corners <c>[B, ...]</c> of <c>{x' : |x' - x|∞ ≤ eps} ∩ [0, 1]ⁿ</c>.</summary>
    public static (Tensor Lower, Tensor Upper) Around(Tensor x, double eps) =>
        ((x - eps).clamp_min(0), (x + eps).clamp_max(1));

    /// <summary>
    /// The specification matrix of the margins <c>y_label − y_j</c>, one row for each <c>j ≠ label</c>:
    /// <c>[B, K−1, K]</c>, row r of sample b is <c>e_label − e_j</c> with j running over the other classes in order.
    /// </summary>
    public static Tensor MarginSpec(Tensor labels, int numClasses, ScalarType dtype, Device? device = null)
    {
        long b = labels.shape[0];
        var id = eye(numClasses, dtype: dtype, device: device ?? labels.device);          // [K, K]
        var target = id.index_select(0, labels).unsqueeze(1);                              // [B, 1, K]
        // The other classes of each sample: for label l, j = r if r < l else r + 1, r = 0..K-2.
        var r = arange(numClasses - 1, dtype: ScalarType.Int64, device: labels.device).unsqueeze(0).expand(b, -1); // [B, K-1]
        var others = r + (r >= labels.unsqueeze(1)).to_type(ScalarType.Int64);            // [B, K-1]
        var otherRows = id.index_select(0, others.reshape(-1)).reshape(b, numClasses - 1, numClasses); // [B, K-1, K]
        return target - otherRows;
    }

    /// <summary>
    /// Cross-entropy of the worst case allowed by the margin lower bounds <paramref name="marginLower"/> <c>[B, K−1]</c>:
    /// the logits <c>(0, −m_1, …, −m_{K−1})</c> with the true class first. Its value upper-bounds the cross-entropy of every
    /// input in the box, which is the robust loss of Wong &amp; Kolter 2018 and Gowal et al. 2018.
    /// </summary>
    public static Tensor WorstCaseCrossEntropy(Tensor marginLower)
    {
        var logits = cat([zeros(marginLower.shape[0], 1, dtype: marginLower.dtype, device: marginLower.device), -marginLower], 1);
        var target = zeros(marginLower.shape[0], dtype: ScalarType.Int64, device: marginLower.device);
        return nn.functional.cross_entropy(logits, target);
    }
}
