using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Graph;

/// <summary>
/// An operator of Certify's layer graph, produced by the importers after normalisation (constants folded,
/// Sub/Div/BatchNorm turned into <see cref="Certify.Operators.AffineOp"/>, Flatten and friends into
/// <see cref="Certify.Operators.ReshapeOp"/>) or built in code. An op holds its own parameters and computes its output
/// from the outputs of its input nodes. Every tensor carries a leading batch dimension: inputs are
/// <c>[B, *inputShape]</c> and the output is <c>[B, *outputShape]</c>. Axes stored in ops count sample dimensions only
/// (axis 0 is the first dimension after batch).
/// <para>
/// The built-in ops live in namespace <c>Certify.Operators</c>, one folder per family under <c>Operators/</c>, each op
/// beside its bound rule and its ONNX import and export; an <see cref="Certify.Operators.OperatorDefinition"/> ties
/// them together and <see cref="Certify.Operators.OperatorRegistry"/> lists them all, operators registered from
/// outside Certify included (docs/operators.md).
/// </para>
/// </summary>
public abstract class Op
{
    /// <summary>Short operator name shown to users, e.g. "Linear", "Relu".</summary>
    public abstract string Kind { get; }

    /// <summary>Number of variable (graph) inputs this op takes; <c>-1</c> for variadic (Concat).</summary>
    public virtual int Arity => 1;

    /// <summary>True when the output is an affine function of the inputs (bounded exactly by linear rules).</summary>
    public virtual bool IsAffine => false;

    // ---- traits the algorithms read instead of testing op types (so that they name no operator) ----

    /// <summary>
    /// True when the op only moves data: each output element is one element of one input times a constant plus a
    /// constant (or a constant alone), and no input element reaches two output elements (Reshape, Transpose, Slice,
    /// Pad, elementwise Affine, Concat, Gather without repeated indices). Interval bounds of such an op are exact when its
    /// inputs' are and the inputs are distinct nodes (a Concat of one node with itself repeats elements; the bound engine
    /// checks that). False is always safe: it only costs CROWN passes that cannot tighten anything.
    /// </summary>
    public virtual bool MovesData => false;

    /// <summary>
    /// True for an affine op of one input whose interval rule is exact for one layer over a box of independent inputs
    /// (the centre/radius form <c>M·c + b ± |M|·r</c>: Linear, Conv, ConvTranspose, AvgPool, Reduce). Over an input whose
    /// elements are independent copies of input elements, its interval bounds are the exact range. False is always safe.
    /// </summary>
    public virtual bool MixesInputs => false;

    /// <summary>Computes the output for batched inputs (each <c>[B, ...]</c>), in the inputs' dtype and device.</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>The op's parameter tensors (weights, biases, constants), for counting and conversion.</summary>
    public virtual IEnumerable<Tensor> Parameters => Array.Empty<Tensor>();

    /// <summary>
    /// Name of parameter tensor <paramref name="k"/> (in <see cref="Parameters"/> order) in messages, e.g. "weight";
    /// by default "parameter k".
    /// </summary>
    public virtual string ParameterName(int k) => $"parameter {k}";

    /// <summary>
    /// The first scalar attribute of the op that Certify cannot accept (see <see cref="FiniteParameters"/>: a NaN or
    /// infinite slope, exponent or pad value; a NaN limit), as its name and value, or null. Parameter tensors are checked
    /// separately; this covers numbers the op holds outside them.
    /// </summary>
    public virtual (string Name, double Value)? NonFiniteAttribute() => null;

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>A copy of this op whose parameter tensors are <paramref name="map"/> applied to this op's (used for dtype/device moves).</summary>
    public virtual Op MapParameters(Func<Tensor, Tensor> map) => this;

    /// <summary>Attributes for display, e.g. "stride=2 pad=1".</summary>
    public virtual string Describe() => "";

    public override string ToString() { var d = Describe(); return d.Length == 0 ? Kind : $"{Kind}({d})"; }

    /// <summary>Batch-first helper: the shape of <paramref name="x"/> with its batch size followed by <paramref name="sample"/>.</summary>
    protected static long[] WithBatch(Tensor x, IReadOnlyList<long> sample)
    {
        var s = new long[sample.Count + 1];
        s[0] = x.shape[0];
        for (int i = 0; i < sample.Count; i++) s[i + 1] = sample[i];
        return s;
    }

    /// <summary>Shape text like <c>[1, 28, 28]</c>.</summary>
    public static string ShapeText(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
