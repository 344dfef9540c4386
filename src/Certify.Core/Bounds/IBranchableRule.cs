using Certify.Graph;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// A bound rule of an elementwise nonlinear op of one input whose neurons branch and bound may split (GenBaB's "general
/// nonlinearity" branching). Splitting neuron j of such a node at a point p makes two sub-problems: one where the node's
/// input satisfies <c>x_j ≥ p</c> and one where <c>x_j ≤ p</c>. Together they cover every input of the parent, so the
/// split is sound whatever p is; each child's relaxation is then computed on its narrower interval (the engine clips the
/// input's bounds, <see cref="SubproblemInputs.Splits"/>) and, with beta-CROWN, the constraint <c>s·(x_j − p) ≥ 0</c>
/// (s = +1 for the upper child, −1 for the lower one) enters the final bound as a Lagrange term.
/// <para>
/// The rule owns the operator-specific half of that story: whether its node is branchable at all, which neurons are worth
/// splitting, where to split them, and how loose its relaxation is (the branching score). Every method is elementwise:
/// its tensors may have any shape (the brancher hands it <c>[b, size]</c> slices or one neuron per sub-problem), so
/// the op's attributes must be scalars. ReLU is the special case p = 0 with an exact split.
/// </para>
/// </summary>
public interface IBranchableRule
{
    /// <summary>Whether branch and bound may split this node's neurons (false, e.g., for LeakyReLU with slope 1).</summary>
    bool IsBranchable(Node node);

    /// <summary>
    /// True when the split point is always 0 and the op is linear on each side of it (ReLU, LeakyReLU, Abs): one split makes
    /// the neuron's relaxation exact, so a sub-problem needs only the split's sign per neuron (the compact representation
    /// of <c>NeuronBrancher</c>); otherwise a neuron may be split again and the sub-problem carries clip bounds per neuron.
    /// </summary>
    bool ExactSplitAtZero(Node node);

    /// <summary>Neurons whose relaxation a split would tighten (bool, the shape of <paramref name="l"/>): e.g. <c>l &lt; 0 &lt; u</c> for ReLU.</summary>
    Tensor Unstable(Node node, Tensor l, Tensor u);

    /// <summary>
    /// The split point of each neuron, strictly inside <c>(l, u)</c> where <see cref="Unstable"/> holds (elsewhere any
    /// finite value). Soundness does not depend on it; only the search's speed does.
    /// </summary>
    Tensor BranchPoint(Node node, Tensor l, Tensor u);

    /// <summary>
    /// How far the relaxation's lower line lies below the function and its upper line above it, at most, on
    /// <c>[l, u]</c> (each ≥ 0, the shape of <paramref name="l"/>): the loss a coefficient of that sign pays for the
    /// relaxation. Used only to score candidate splits, so an estimate is enough.
    /// </summary>
    (Tensor Lower, Tensor Upper) RelaxationError(Node node, Tensor l, Tensor u);
}
