using Certify.Exact;
using Certify.Graph;
using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>
/// Arithmetic on the data path: <see cref="AddOp"/> and <see cref="MulOp"/> of two variables (with a constant operand
/// the ONNX Add/Sub/Mul/Div become an <see cref="AffineOp"/>), <see cref="PowOp"/> with a constant exponent, and
/// <see cref="ReduceOp"/> (sums and means over axes). Import in <c>ArithmeticImport.cs</c>.
/// </summary>
internal static class ArithmeticFamily
{
    public static IEnumerable<OperatorDefinition> Definitions { get; } = new[]
    {
        new OperatorDefinition
        {
            OpType = typeof(AddOp), Rule = new AddRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Add", OnnxGraphReader.Builtin((r, x) => r.Binary(x, BinaryKind.Add))),
                new OnnxImport("Sub", OnnxGraphReader.Builtin((r, x) => r.Binary(x, BinaryKind.Sub))),
            },
            OnnxExport = (_, o) => o.AddNode("Add"),
            ExactEncoder = EncodeAdd,
        },
        new OperatorDefinition
        {
            OpType = typeof(MulOp), Rule = new MulRule(),
            OnnxImports = new[]
            {
                new OnnxImport("Mul", OnnxGraphReader.Builtin((r, x) => r.Binary(x, BinaryKind.Mul))),
                new OnnxImport("Div", OnnxGraphReader.Builtin((r, x) => r.DivOrReciprocal(x))),   // by a variable: Bilinear/BilinearImport.cs
            },
            OnnxExport = (_, o) => o.AddNode("Mul"),
        },
        new OperatorDefinition
        {
            OpType = typeof(PowOp), Rule = new PowRule(),
            OnnxImports = new[] { new OnnxImport("Pow", OnnxGraphReader.Builtin((r, x) => r.Pow(x))) },
            OnnxExport = (op, o) => o.AddNode("Pow", o.Node.Name, new[] { o.Inputs[0], o.ScalarInitializer(((PowOp)op).Exponent) }, o.Output),
        },
        new OperatorDefinition
        {
            OpType = typeof(ReduceOp), Rule = new ReduceRule(),
            OnnxImports = new[]
            {
                new OnnxImport("ReduceSum", OnnxGraphReader.Builtin((r, x) => r.Reduce(x, ReduceKind.Sum))),
                new OnnxImport("ReduceMean", OnnxGraphReader.Builtin((r, x) => r.Reduce(x, ReduceKind.Mean))),
            },
            OnnxExport = ExportReduce,
            ExactEncoder = ExactEncoding.Affine,
        },
    };

    /// <summary>The sum of the operands' expressions, element by element (operands that broadcast are not encoded).</summary>
    static LinExpr[] EncodeAdd(IExactEncodingContext node)
    {
        var a = node.Input(0); var b = node.Input(1);
        if (a.Count != node.Node.Size || b.Count != node.Node.Size)
            throw node.NotSupported($"operands of sizes {a.Count} and {b.Count} broadcast; only equal shapes are encoded");
        return a.Select((e, j) => e + b[j]).ToArray();
    }

    /// <summary>Opset 13 takes ReduceSum's axes as an input but ReduceMean's as an attribute (until opset 18).</summary>
    static void ExportReduce(Op op, IOnnxExportContext o)
    {
        var rd = (ReduceOp)op;
        if (rd.Reduction == ReduceKind.Sum)
            o.AddNode("ReduceSum", o.Node.Name, new[] { o.Inputs[0], o.IntsInitializer(rd.Axes.Select(a => a + 1).ToArray()) }, o.Output, Int("keepdims", rd.KeepDims ? 1 : 0));
        else
            o.AddNode("ReduceMean", Ints("axes", rd.Axes.Select(a => a + 1)), Int("keepdims", rd.KeepDims ? 1 : 0));
    }
}
