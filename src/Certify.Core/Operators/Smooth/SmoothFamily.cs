using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Smooth activations: <see cref="AtanOp"/> and <see cref="ErfOp"/> (S-shaped, the tangent/chord relaxation of
/// <see cref="SShapedRule{TOp}"/>) and <see cref="GeluOp"/> (sampled chord-slope lines widened by a curvature gap).
/// Import of GELU in <c>SmoothImport.cs</c>; opset 13 has no Gelu, so it is exported as its erf formula.
/// </summary>
internal static class SmoothFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        ExponentialFamily.Unary<AtanOp>("Atan", new AtanRule()),
        ExponentialFamily.Unary<ErfOp>("Erf", new ErfRule()),
        new OperatorDefinition
        {
            OpType = typeof(GeluOp), Rule = new GeluRule(),
            OnnxImports = new[] { new OnnxImport("Gelu", OnnxGraphReader.Builtin((r, x) => r.Gelu(x))) },
            OnnxExport = ExportGelu,
        },
    };

    /// <summary>½·x·(1 + erf(x/√2)), the same function, in opset-13 operators.</summary>
    static void ExportGelu(Graph.Op op, IOnnxExportContext o)
    {
        string x = o.Inputs[0], y = o.Output, name = o.Node.Name;
        o.AddNode("Mul", name + ":scaled", new[] { x, o.ScalarInitializer(1 / Math.Sqrt(2)) }, y + ":scaled");
        o.AddNode("Erf", name + ":erf", new[] { y + ":scaled" }, y + ":erf");
        o.AddNode("Add", name + ":plus1", new[] { y + ":erf", o.ScalarInitializer(1) }, y + ":plus1");
        o.AddNode("Mul", name + ":times", new[] { x, y + ":plus1" }, y + ":times");
        o.AddNode("Mul", name, new[] { y + ":times", o.ScalarInitializer(0.5) }, y);
    }
}
