using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Increasing S-shaped activations, <see cref="SigmoidOp"/> and <see cref="TanhOp"/>, sharing the tangent/chord
/// relaxation of <see cref="SShapedRule{TOp}"/>. Not piecewise linear: the exact back-ends do not encode them.
/// </summary>
internal static class SShapedFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(SigmoidOp), Rule = new SigmoidRule(),
            OnnxImports = new[] { new OnnxImport("Sigmoid", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new SigmoidOp()))) },
            OnnxExport = (_, o) => o.AddNode("Sigmoid"),
        },
        new OperatorDefinition
        {
            OpType = typeof(TanhOp), Rule = new TanhRule(),
            OnnxImports = new[] { new OnnxImport("Tanh", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new TanhOp()))) },
            OnnxExport = (_, o) => o.AddNode("Tanh"),
        },
    };
}
