using Certify.Exact;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Affine maps: <see cref="LinearOp"/> (<c>x·Wᵀ + b</c> on the last axis: Gemm, MatMul with a constant factor) and
/// <see cref="AffineOp"/> (elementwise <c>x·scale + shift</c>: arithmetic with constants, Neg, BatchNormalization).
/// Import in <c>LinearImport.cs</c>, export in <c>LinearExport.cs</c>.
/// </summary>
internal static class LinearFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(LinearOp), Rule = new LinearRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Gemm", OnnxGraphReader.Builtin((r, x) => r.GemmOrBilinear(x))),   // of two variables: Bilinear/BilinearImport.cs
                new OnnxImport("MatMul", OnnxGraphReader.Builtin((r, x) => r.MatMul(x))),
            },
            OnnxExport = LinearExport.Linear,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(AffineOp), Rule = new AffineOpRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Neg", OnnxGraphReader.Builtin((r, x) => r.Neg(x))),
                new OnnxImport("BatchNormalization", OnnxGraphReader.Builtin((r, x) => r.BatchNorm(x))),
            },
            OnnxExport = LinearExport.Affine,
            ExactEncoder = ExactEncoding.Affine,
        },
    };
}
