using Certify.Exact;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Data movement: <see cref="ReshapeOp"/> (Flatten, Reshape, Squeeze, Unsqueeze), <see cref="TransposeOp"/>,
/// <see cref="ConcatOp"/>, <see cref="SliceOp"/> (Slice, Split), <see cref="GatherOp"/> with constant indices and
/// <see cref="PadOp"/> with a constant. Import in <c>ShapeImport.cs</c>, export in <c>ShapeExport.cs</c>.
/// </summary>
internal static class ShapeFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(ReshapeOp), Rule = new ReshapeRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Flatten", OnnxGraphReader.Builtin((r, x) => r.Flatten(x))),
                new OnnxImport("Reshape", OnnxGraphReader.Builtin((r, x) => r.Reshape(x))),
                new OnnxImport("Squeeze", OnnxGraphReader.Builtin((r, x) => r.Squeeze(x))),
                new OnnxImport("Unsqueeze", OnnxGraphReader.Builtin((r, x) => r.Unsqueeze(x))),
            },
            OnnxExport = ShapeExport.Reshape,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(TransposeOp), Rule = new TransposeRule(),
            OnnxImports = new[] { new OnnxImport("Transpose", OnnxGraphReader.Builtin((r, x) => r.Transpose(x))) },
            OnnxExport = ShapeExport.Transpose,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(ConcatOp), Rule = new ConcatRule(),
            OnnxImports = new[] { new OnnxImport("Concat", OnnxGraphReader.Builtin((r, x) => r.Concat(x))) },
            OnnxExport = ShapeExport.Concat,
            ExactEncoder = ShapeExact.Concat,
        },
        new OperatorDefinition
        {
            OpType = typeof(SliceOp), Rule = new SliceRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Slice", OnnxGraphReader.Builtin((r, x) => r.Slice(x))),
                new OnnxImport("Split", OnnxGraphReader.Builtin((r, x) => r.Split(x))),
            },
            OnnxExport = ShapeExport.Slice,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(GatherOp), Rule = new GatherRule(),
            OnnxImports = new[] { new OnnxImport("Gather", OnnxGraphReader.Builtin((r, x) => r.Gather(x))) },
            OnnxExport = ShapeExport.Gather,
            ExactEncoder = ExactEncoding.Affine,
        },
        new OperatorDefinition
        {
            OpType = typeof(PadOp), Rule = new PadRule(),
            OnnxImports = new[] { new OnnxImport("Pad", OnnxGraphReader.Builtin((r, x) => r.Pad(x))) },
            OnnxExport = ShapeExport.Pad,
            ExactEncoder = ExactEncoding.Affine,
        },
    };
}
