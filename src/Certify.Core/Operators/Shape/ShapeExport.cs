using Certify.Graph;
using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>ONNX export of the data-movement ops. Sample axes become ONNX axes by adding 1 (the batch is axis 0).</summary>
internal static class ShapeExport
{
    public static void Reshape(Op op, IOnnxExportContext o) =>
        o.AddNode("Reshape", o.Node.Name, new[] { o.Inputs[0], o.IntsInitializer(new long[] { 0 }.Concat(((ReshapeOp)op).Shape).ToArray()) }, o.Output);

    public static void Transpose(Op op, IOnnxExportContext o) =>
        o.AddNode("Transpose", Ints("perm", new long[] { 0 }.Concat(((TransposeOp)op).Perm.Select(p => p + 1))));

    public static void Concat(Op op, IOnnxExportContext o) => o.AddNode("Concat", Int("axis", ((ConcatOp)op).Axis + 1));

    public static void Slice(Op op, IOnnxExportContext o)
    {
        var s = (SliceOp)op;
        o.AddNode("Slice", o.Node.Name, new[] { o.Inputs[0], o.IntsInitializer(new[] { s.Start }), o.IntsInitializer(new[] { s.End }), o.IntsInitializer(new long[] { s.Axis + 1 }), o.IntsInitializer(new[] { s.Step }) }, o.Output);
    }

    public static void Gather(Op op, IOnnxExportContext o)
    {
        var ga = (GatherOp)op;
        o.AddNode("Gather", o.Node.Name, new[] { o.Inputs[0], ga.ScalarIndex ? o.IntsInitializer(new[] { ga.Indices[0] }, scalar: true) : o.IntsInitializer(ga.Indices) }, o.Output, Int("axis", ga.Axis + 1));
    }

    public static void Pad(Op op, IOnnxExportContext o)
    {
        var p = (PadOp)op;
        int r = p.Pads.Length / 2;
        var pads = new long[] { 0 }.Concat(p.Pads.Take(r)).Append(0).Concat(p.Pads.Skip(r)).ToArray();
        o.AddNode("Pad", o.Node.Name, new[] { o.Inputs[0], o.IntsInitializer(pads), o.ScalarInitializer(p.Value) }, o.Output, String("mode", "constant"));
    }
}
