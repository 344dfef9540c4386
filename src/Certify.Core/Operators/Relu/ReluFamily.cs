using Certify.Exact;
using Certify.Graph;
using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>
/// Piecewise-linear activations: <see cref="ReluOp"/>, <see cref="LeakyReluOp"/>, <see cref="SignOp"/> (a step) and
/// <see cref="ClipOp"/>. Import in <c>ReluImport.cs</c>.
/// </summary>
internal static class ReluFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(ReluOp), Rule = new ReluRule(),
            OnnxImports = new[] { new OnnxImport("Relu", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new ReluOp()))) },
            OnnxExport = (_, o) => o.AddNode("Relu"),
            ExactEncoder = ReluExact.Relu,
        },
        new OperatorDefinition
        {
            OpType = typeof(LeakyReluOp), Rule = new LeakyReluRule(),
            OnnxImports = new[] { new OnnxImport("LeakyRelu", OnnxGraphReader.Builtin((r, x) => r.LeakyRelu(x))) },
            OnnxExport = (op, o) => o.AddNode("LeakyRelu", Float("alpha", ((LeakyReluOp)op).Alpha)),
            ExactEncoder = ReluExact.LeakyRelu,
        },
        new OperatorDefinition
        {
            OpType = typeof(SignOp), Rule = new SignRule(),
            OnnxImports = new[] { new OnnxImport("Sign", OnnxGraphReader.Builtin((r, x) => r.Unary(x, new SignOp()))) },
            OnnxExport = (_, o) => o.AddNode("Sign"),
        },
        new OperatorDefinition
        {
            OpType = typeof(ClipOp), Rule = new ClipRule(),
            OnnxImports = new[] { new OnnxImport("Clip", OnnxGraphReader.Builtin((r, x) => r.Clip(x))) },
            OnnxExport = ExportClip,
            ExactEncoder = ReluExact.Clip,
        },
    };

    /// <summary>Opset 13 takes the limits as optional inputs; an infinite limit is left out (no clipping on that side).</summary>
    static void ExportClip(Op op, IOnnxExportContext o)
    {
        var c = (ClipOp)op;
        o.AddNode("Clip", o.Node.Name, new[] { o.Inputs[0], double.IsNegativeInfinity(c.Min) ? "" : o.ScalarInitializer(c.Min), double.IsPositiveInfinity(c.Max) ? "" : o.ScalarInitializer(c.Max) }, o.Output);
    }
}
