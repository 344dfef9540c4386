using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>
/// <see cref="SoftmaxOp"/> along one sample axis: interval bounds only (CROWN reports it as an IBP fallback). Import in
/// <c>SoftmaxImport.cs</c>.
/// </summary>
internal static class SoftmaxFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(SoftmaxOp), Rule = new SoftmaxRule(),
            OnnxImports = new[] { new OnnxImport("Softmax", OnnxGraphReader.Builtin((r, x) => r.Softmax(x))) },
            OnnxExport = (op, o) => o.AddNode("Softmax", Int("axis", ((SoftmaxOp)op).Axis + 1)),
        },
    };
}
