using Certify.Exact;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Pooling over <c>[B, C, *spatial]</c>: <see cref="AvgPoolOp"/> (AveragePool; GlobalAveragePool imports as a mean
/// <see cref="ReduceOp"/>) and <see cref="MaxPoolOp"/>. Import in <c>PoolingImport.cs</c>, export in <c>PoolingExport.cs</c>.
/// </summary>
internal static class PoolingFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(AvgPoolOp), Rule = new AvgPoolRule(),
            OnnxImports = new[]
            {
                new OnnxImport("AveragePool", OnnxGraphReader.Builtin((r, x) => r.AveragePool(x))),
                new OnnxImport("GlobalAveragePool", OnnxGraphReader.Builtin((r, x) => r.GlobalAveragePool(x))),
            },
            OnnxExport = PoolingExport.AvgPool,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(MaxPoolOp), Rule = new MaxPoolRule(),
            OnnxImports = new[] { new OnnxImport("MaxPool", OnnxGraphReader.Builtin((r, x) => r.MaxPool(x))) },
            OnnxExport = PoolingExport.MaxPool,
            ExactEncoder = PoolingExact.MaxPool,
        },
    };
}
