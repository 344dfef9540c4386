using Certify.Import.Onnx.Proto;

namespace Certify.Import.Onnx;

/// <summary>Typed access to a node's attributes with ONNX defaults.</summary>
internal static class OnnxAttributes
{
    public static AttributeProto? Find(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);

    public static bool Has(NodeProto n, string name) => Find(n, name) is not null;

    public static long Int(NodeProto n, string name, long fallback) => Find(n, name) is { } a ? a.I : fallback;

    public static double Float(NodeProto n, string name, double fallback) => Find(n, name) is { } a ? a.F : fallback;

    public static long[]? Ints(NodeProto n, string name) => Find(n, name) is { } a ? a.Ints.ToArray() : null;

    public static double[]? Floats(NodeProto n, string name) => Find(n, name) is { } a ? a.Floats.Select(f => (double)f).ToArray() : null;

    public static string? String(NodeProto n, string name) => Find(n, name) is { } a ? a.S.ToStringUtf8() : null;
}
