using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Periodic activations, <see cref="SinOp"/> and <see cref="CosOp"/>: exact interval ranges and the chord ± (u−l)²/8
/// relaxation of <see cref="SinRule"/>. Not piecewise linear: the exact back-ends do not encode them.
/// </summary>
internal static class PeriodicFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(SinOp), Rule = new SinRule(),
            OnnxImports = new[] { new OnnxImport("Sin", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new SinOp()))) },
            OnnxExport = (_, o) => o.AddNode("Sin"),
        },
        new OperatorDefinition
        {
            OpType = typeof(CosOp), Rule = new CosRule(),
            OnnxImports = new[] { new OnnxImport("Cos", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new CosOp()))) },
            OnnxExport = (_, o) => o.AddNode("Cos"),
        },
    };
}
