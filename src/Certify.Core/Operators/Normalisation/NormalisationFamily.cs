using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// LayerNormalization, imported as existing ops (<c>NormalisationImport.cs</c>): a Linear for centring, Pow 2,
/// ReduceMean, + ε, Sqrt, Reciprocal, a McCormick product and an Affine. Sound, loose at the product. (Batch
/// normalisation is affine at inference and folds into <see cref="AffineOp"/>, in <c>Linear/</c>.)
/// </summary>
internal static class NormalisationFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = Array.Empty<OperatorDefinition>();

    public static IEnumerable<OnnxImport> Composites { get; } = new[]
    {
        new OnnxImport("LayerNormalization", OnnxGraphReader.Builtin((r, x) => r.LayerNorm(x))),
    };
}
