using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Convex or concave monotone functions: <see cref="ExpOp"/>, <see cref="LogOp"/>, <see cref="SqrtOp"/>,
/// <see cref="SoftplusOp"/> and <see cref="ReciprocalOp"/> (convex on y &gt; 0, concave on y &lt; 0; a divisor interval
/// containing 0 is refused by its rule with <see cref="OperatorDomainException"/>). None is piecewise linear, so none has
/// an exact encoding. Division by a variable imports as a product with the reciprocal (<c>Bilinear/BilinearImport.cs</c>).
/// </summary>
internal static class ExponentialFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        Unary<ReciprocalOp>("Reciprocal", new ReciprocalRule()),
        Unary<ExpOp>("Exp", new ExpRule()),
        Unary<LogOp>("Log", new LogRule()),
        Unary<SqrtOp>("Sqrt", new SqrtRule()),
        Unary<SoftplusOp>("Softplus", new SoftplusRule()),
    };

    /// <summary>A one-input operator without attributes, imported from and exported to the ONNX operator of the same meaning.</summary>
    internal static OperatorDefinition Unary<TOp>(string onnx, Bounds.Rules.BoundRule rule) where TOp : Graph.Op, new() => new()
    {
        OpType = typeof(TOp), Rule = rule,
        OnnxImports = new[] { new OnnxImport(onnx, OnnxGraphReader.Builtin((r, x) => r.Unary(x, new TOp()))) },
        OnnxExport = (_, o) => o.AddNode(onnx),
    };
}
