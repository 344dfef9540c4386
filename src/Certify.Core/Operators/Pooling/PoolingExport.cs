using Certify.Graph;
using Certify.Import.Onnx;
using static Certify.Import.Onnx.OnnxAttribute;

namespace Certify.Operators;

/// <summary>ONNX export of the pooling ops (pads are symmetric, written as begins then ends).</summary>
internal static class PoolingExport
{
    public static void MaxPool(Op op, IOnnxExportContext o)
    {
        var m = (MaxPoolOp)op;
        o.AddNode("MaxPool", Ints("kernel_shape", m.Kernel), Ints("strides", m.Strides), Ints("pads", m.Pads.Concat(m.Pads)),
            Ints("dilations", m.Dilations), Int("ceil_mode", m.CeilMode ? 1 : 0));
    }

    public static void AvgPool(Op op, IOnnxExportContext o)
    {
        var a = (AvgPoolOp)op;
        o.AddNode("AveragePool", Ints("kernel_shape", a.Kernel), Ints("strides", a.Strides), Ints("pads", a.Pads.Concat(a.Pads)),
            Int("count_include_pad", a.CountIncludePad ? 1 : 0), Int("ceil_mode", a.CeilMode ? 1 : 0));
    }
}
