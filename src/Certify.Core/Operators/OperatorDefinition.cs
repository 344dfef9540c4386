using Certify.Bounds.Rules;
using Certify.Exact;
using Certify.Graph;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Everything Certify knows about one kind of operator, in one place: the <see cref="Op"/> subclass (its forward
/// computation and its traits, e.g. <see cref="Op.IsAffine"/>), its bound rule (IBP, CROWN, forward mode), the ONNX
/// operators it imports, how it is written back to ONNX, and its exact encoding for the MILP and SMT back-ends. The
/// built-in definitions are listed by one small file per family folder (<c>Operators/&lt;Family&gt;/&lt;Family&gt;Family.cs</c>);
/// <see cref="OperatorRegistry"/> collects them, and operators of one's own are added at run time with
/// <see cref="OperatorRegistry.Register(OperatorDefinition)"/>, without editing Certify (docs/operators.md).
/// <para>
/// Everything but the op type and its rule is optional: an op without ONNX import is built in code only
/// (<see cref="GraphBuilder"/>), one without export makes <see cref="Import.OnnxExporter"/> refuse the graph naming the
/// node, and one without an exact encoding makes the exact back-ends answer "not supported" with
/// <see cref="NotExactReason"/>.
/// </para>
/// </summary>
public sealed record OperatorDefinition
{
    readonly string? _name;

    /// <summary>The <see cref="Op"/> subclass this definition describes (exact type: subclasses need their own definition).</summary>
    public required Type OpType { get; init; }

    /// <summary>Its bound rule; <see cref="BoundRule.OpType"/> must be <see cref="OpType"/>. Rules are stateless and shared.</summary>
    public required BoundRule Rule { get; init; }

    /// <summary>Name in lists of supported operators; by default the type name without its "Op" suffix ("AvgPool").</summary>
    public string Name
    {
        get => _name ?? OpType.Name.Replace("Op", "");
        init => _name = value;
    }

    /// <summary>
    /// The ONNX operators (default domain) this definition imports, each with its translator. A translator may emit
    /// other ops too (Gemm with transA adds a Transpose); what matters is that each ONNX operator type has one owner.
    /// </summary>
    public IReadOnlyList<OnnxImport> OnnxImports { get; init; } = Array.Empty<OnnxImport>();

    /// <summary>Writes a node of this op as ONNX nodes, or null when it cannot be exported.</summary>
    public OnnxExportWriter? OnnxExport { get; init; }

    /// <summary>
    /// Writes a node of this op exactly into the solver-agnostic <see cref="PiecewiseLinearModel"/> that the MILP and
    /// SMT back-ends translate, or null when the op has no exact encoding (it is not piecewise linear, or not yet
    /// encoded). Single-input affine ops use <see cref="ExactEncoding.Affine"/>.
    /// </summary>
    public ExactEncoder? ExactEncoder { get; init; }

    /// <summary>
    /// Why there is no exact encoding, ending the error "node … cannot be encoded exactly: …"; null gives "it is not
    /// piecewise linear; the exact back-ends encode …" with the names of the operators that have an encoding.
    /// </summary>
    public string? NotExactReason { get; init; }

    /// <summary>Checks that the parts fit together; throws <see cref="ArgumentException"/> naming the problem.</summary>
    internal void Validate()
    {
        if (!typeof(Op).IsAssignableFrom(OpType) || OpType.IsAbstract)
            throw new ArgumentException($"operator definition '{Name}': {OpType.Name} is not a concrete subclass of Op");
        if (Rule.OpType != OpType)
            throw new ArgumentException($"operator definition '{Name}': its rule {Rule.GetType().Name} bounds {Rule.OpType.Name}, not {OpType.Name}");
        var names = OnnxImports.Select(i => i.OpType).ToList();
        if (names.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"operator definition '{Name}': an ONNX import has no operator type");
        if (names.Distinct().Count() != names.Count)
            throw new ArgumentException($"operator definition '{Name}': an ONNX operator type is listed twice");
    }
}

/// <summary>ONNX operator type <paramref name="OpType"/> (default domain) is imported by <paramref name="Translate"/>.</summary>
public sealed record OnnxImport(string OpType, OnnxTranslator Translate);
