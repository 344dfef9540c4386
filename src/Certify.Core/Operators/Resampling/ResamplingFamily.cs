using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>
/// Operators that copy or interpolate elements: Expand, Tile, Resize (nearest, linear and cubic modes) and Upsample.
/// Each is affine in its input, so it imports as existing exact ops (a Gather for copies, a Linear per resized axis for
/// interpolation; <c>ResamplingImport.cs</c>, <c>ResizeAxis.cs</c>) and has no op of its own: bounds, exact encodings
/// and export are those of the ops it becomes.
/// </summary>
internal static class ResamplingFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = Array.Empty<OperatorDefinition>();

    public static IEnumerable<OnnxImport> Composites { get; } = new[]
    {
        new OnnxImport("Expand", OnnxGraphReader.Builtin((r, x) => r.Expand(x))),
        new OnnxImport("Tile", OnnxGraphReader.Builtin((r, x) => r.Tile(x))),
        new OnnxImport("Resize", OnnxGraphReader.Builtin((r, x) => r.Resize(x))),
        new OnnxImport("Upsample", OnnxGraphReader.Builtin((r, x) => r.Upsample(x))),
    };
}
