using Certify.Graph;
using Certify.Import.Onnx;

namespace Certify.Operators;

/// <summary>ONNX export of the affine maps: Gemm for a Linear on 1-d samples, MatMul (and Add) otherwise; Mul and Add for Affine.</summary>
internal static class LinearExport
{
    public static void Linear(Op op, IOnnxExportContext o)
    {
        var l = (LinearOp)op;
        var (x, y, name) = (o.Inputs[0], o.Output, o.Node.Name);
        if (o.InputShape(0).Length == 1)
        {
            o.AddNode("Gemm", name, l.Bias is null ? new[] { x, o.Initializer(l.Weight) } : new[] { x, o.Initializer(l.Weight), o.Initializer(l.Bias) }, y, OnnxAttribute.Int("transB", 1));
            return;
        }
        if (l.Bias is null) o.AddNode("MatMul", name, new[] { x, o.Initializer(l.Weight.t()) }, y);
        else
        {
            o.AddNode("MatMul", name, new[] { x, o.Initializer(l.Weight.t()) }, y + ":mm");
            o.AddNode("Add", name + ":bias", new[] { y + ":mm", o.Initializer(l.Bias) }, y);
        }
    }

    public static void Affine(Op op, IOnnxExportContext o)
    {
        var a = (AffineOp)op;
        var (x, y, name) = (o.Inputs[0], o.Output, o.Node.Name);
        if (a.Scale is null && a.Shift is null) { o.AddNode("Identity"); return; }
        var mid = a.Shift is null ? y : y + ":scaled";
        if (a.Scale is not null) o.AddNode("Mul", name, new[] { x, o.Initializer(a.Scale) }, mid);
        if (a.Shift is not null) o.AddNode("Add", name + ":shift", new[] { a.Scale is null ? x : mid, o.Initializer(a.Shift) }, y);
    }
}
