using Certify.Exact;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Convolutions: <see cref="ConvOp"/> (1-d to 3-d) and <see cref="ConvTransposeOp"/> (1-d, 2-d), both through
/// <see cref="TransposedConvolution"/> where libtorch's transposed kernel is involved. Import in
/// <c>ConvolutionImport.cs</c>, export in <c>ConvolutionExport.cs</c>.
/// </summary>
internal static class ConvolutionFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(ConvOp), Rule = new ConvRule(),
            OnnxImports = new[] { new OnnxImport("Conv", OnnxGraphReader.Builtin((r, x) => r.Conv(x))) },
            OnnxExport = ConvolutionExport.Conv,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(ConvTransposeOp), Rule = new ConvTransposeRule(),
            OnnxImports = new[] { new OnnxImport("ConvTranspose", OnnxGraphReader.Builtin((r, x) => r.ConvTranspose(x))) },
            OnnxExport = ConvolutionExport.ConvTranspose,
            ExactEncoder = ExactEncoding.Affine,
        },
    };
}
