using Certify.Operators;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

// Division by the data path and Gemm of two variables. x / y becomes x · Reciprocal(y): the product is bounded with
// McCormick planes (MulRule) and the reciprocal with its convex/concave relaxation, which refuses a divisor interval
// containing 0 (ReciprocalRule). c / y becomes Reciprocal(y) scaled by c. A Gemm whose two factors depend on the input
// becomes the same Mul-and-ReduceSum product as MatMul of two variables.
internal sealed partial class OnnxGraphReader
{
    /// <summary>ONNX Div: by a variable (x / y, c / y) here, by a constant as before (<see cref="Binary"/>).</summary>
    internal void DivOrReciprocal(OnnxValue?[] inputs)
    {
        if (inputs.Length < 2 || inputs[0] is null || inputs[1] is null) throw Fail("needs two inputs");
        if (inputs[1] is not VarValue y) { Binary(inputs, BinaryKind.Div); return; }
        var r = y with { Id = Add(new ReciprocalOp(), OutName() + ":reciprocal", y.Id) };
        if (inputs[0] is VarValue x) { Set(0, BinaryVariables(x, r, BinaryKind.Mul)); return; }
        var c = ((ConstValue)inputs[0]!).Value.to_type(ScalarType.Float64);
        Set(0, AffineConst(r, c, null));
    }

    /// <summary>ONNX Gemm: of two variables here (<c>alpha·A'·B' + beta·C</c>), otherwise as before (<see cref="Gemm"/>).</summary>
    internal void GemmOrBilinear(OnnxValue?[] inputs)
    {
        if (!(inputs.Length >= 2 && inputs[0] is VarValue a && inputs[1] is VarValue b)) { Gemm(inputs); return; }
        if (a.Rank != 2 || b.Rank != 2) throw Fail("needs 2-d operands");
        double alpha = OnnxAttributes.Float(_node, "alpha", 1), beta = OnnxAttributes.Float(_node, "beta", 1);
        VarValue T(VarValue v, string tag) =>
            new(Add(new TransposeOp(new long[] { 1, 0 }), OutName() + tag, Unbatch(v).Id), new[] { v.Shape[1], v.Shape[0] }, false);
        if (OnnxAttributes.Int(_node, "transA", 0) != 0) a = T(a, ":At");
        if (OnnxAttributes.Int(_node, "transB", 0) != 0) b = T(b, ":Bt");
        // The product keeps the ONNX output's name; what follows gets names of its own (two graph nodes named alike
        // would export to an invalid ONNX file).
        var cv = inputs.Length > 2 ? inputs[2] as VarValue : null;
        var c = cv is null ? Const(inputs, 2, "C") : null;
        var shift = c is not null && c.numel() > 0 ? c.to_type(ScalarType.Float64) * beta : null;
        var y = MatMulVariables(a, b);
        if (alpha != 1 || shift is not null)
            y = AffineNamed(y, alpha != 1 ? tensor(alpha, ScalarType.Float64) : null, shift, OutName() + ":scaled");
        if (cv is not null)
        {
            var scaled = beta == 1 ? cv : AffineNamed(cv, tensor(beta, ScalarType.Float64), null, OutName() + ":beta");
            var (p, q) = SameShape(y, scaled);
            y = p with { Id = Add(new AddOp(), OutName() + ":plusC", p.Id, q.Id) };
        }
        Set(0, y);
    }
}
