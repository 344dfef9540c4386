using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>
/// Piecewise-linear operators of several pieces: <see cref="AbsOp"/>, elementwise <see cref="MaxOp"/>/<see cref="MinOp"/>
/// of two variables, <see cref="ReduceMaxOp"/>/<see cref="ReduceMinOp"/>. Import in <c>PiecewiseImport.cs</c> (Max/Min with
/// a constant imports as <c>c + relu(x − c)</c>), exact encodings in <c>PiecewiseExact.cs</c>.
/// </summary>
internal static class PiecewiseFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        ExponentialFamily.Unary<AbsOp>("Abs", new AbsRule()) with { ExactEncoder = PiecewiseExact.Abs },
        new OperatorDefinition
        {
            OpType = typeof(MaxOp), Rule = new MaxRule(),
            OnnxImports = new[] { new OnnxImport("Max", OnnxGraphReader.Builtin((r, x) => r.Extremum(x, max: true))) },
            OnnxExport = (_, o) => o.AddNode("Max"),
            ExactEncoder = node => PiecewiseExact.PairExtremum(node, max: true),
        },
        new OperatorDefinition
        {
            OpType = typeof(MinOp), Rule = new MinRule(),
            OnnxImports = new[] { new OnnxImport("Min", OnnxGraphReader.Builtin((r, x) => r.Extremum(x, max: false))) },
            OnnxExport = (_, o) => o.AddNode("Min"),
            ExactEncoder = node => PiecewiseExact.PairExtremum(node, max: false),
        },
        new OperatorDefinition
        {
            OpType = typeof(ReduceMaxOp), Rule = new ReduceMaxRule(),
            OnnxImports = new[] { new OnnxImport("ReduceMax", OnnxGraphReader.Builtin((r, x) => r.ReduceExtremum(x, max: true))) },
            OnnxExport = (op, o) => o.AddNode("ReduceMax", Ints("axes", ((ReduceMaxOp)op).Axes.Select(a => a + 1)), Int("keepdims", ((ReduceMaxOp)op).KeepDims ? 1 : 0)),
            ExactEncoder = node => PiecewiseExact.ReduceExtremum(node, ((ReduceMaxOp)node.Node.Op).Axes, max: true),
        },
        new OperatorDefinition
        {
            OpType = typeof(ReduceMinOp), Rule = new ReduceMinRule(),
            OnnxImports = new[] { new OnnxImport("ReduceMin", OnnxGraphReader.Builtin((r, x) => r.ReduceExtremum(x, max: false))) },
            OnnxExport = (op, o) => o.AddNode("ReduceMin", Ints("axes", ((ReduceMinOp)op).Axes.Select(a => a + 1)), Int("keepdims", ((ReduceMinOp)op).KeepDims ? 1 : 0)),
            ExactEncoder = node => PiecewiseExact.ReduceExtremum(node, ((ReduceMinOp)node.Node.Op).Axes, max: false),
        },
    };
}
