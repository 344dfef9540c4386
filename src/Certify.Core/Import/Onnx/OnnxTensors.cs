using Certify.Import.Onnx.Proto;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Import.Onnx;

/// <summary>
/// Conversion between ONNX <see cref="TensorProto"/> and torch tensors. On import every floating type becomes float64
/// (exact for float16/float32 values), every integer type int64 and booleans bool, so constant folding has one
/// representation per kind. On export weights are written as float32 <c>raw_data</c>.
/// </summary>
internal static class OnnxTensors
{
    /// <summary>True for the ONNX element types that Certify treats as real numbers.</summary>
    public static bool IsFloat(int dataType) => dataType is (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Double
        or (int)TensorProto.Types.DataType.Float16 or (int)TensorProto.Types.DataType.Bfloat16;

    /// <summary>Readable name of an ONNX element type.</summary>
    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant() : $"type {dataType}";

    /// <summary>Reads <paramref name="t"/>; <paramref name="where"/> prefixes error messages (file and node).</summary>
    public static Tensor ToTorch(TensorProto t, string where)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new ImportException($"{where}: tensor '{t.Name}' keeps its data in an external file, which is not supported; save the model with the weights inside");
        var dims = t.Dims.ToArray();
        if (dims.Any(d => d < 0)) throw new ImportException($"{where}: tensor '{t.Name}' has a negative dimension {Graph.Op.ShapeText(dims)}");
        // Checked before libtorch sees the dims: a product that overflows escaped as libtorch's "numel: integer
        // multiplication overflow" (the fuzzer), and one within range but beyond the data is refused below anyway.
        // Each dimension too: [0, 2^62] has no elements but overflowed libtorch's stride calculation (the fuzzer).
        if (dims.Any(d => d > Graph.ShapeLimits.MaxConstantElements))
            throw new ImportException($"{where}: tensor '{t.Name}' has a dimension of more than {Graph.ShapeLimits.MaxConstantElements:N0} elements {Graph.Op.ShapeText(dims)}");
        if (Graph.ShapeLimits.Problem(dims, Graph.ShapeLimits.MaxConstantElements) is { } tooBig)
            throw new ImportException($"{where}: tensor '{t.Name}': {tooBig}");
        long n = dims.Aggregate(1L, (a, b) => a * b);
        var raw = t.HasRawData ? t.RawData.Span : ReadOnlySpan<byte>.Empty;
        bool useRaw = t.HasRawData;
        var dt = (TensorProto.Types.DataType)t.DataType;
        double[]? f = null; long[]? l = null; bool[]? b = null;
        switch (dt)
        {
            case TensorProto.Types.DataType.Float:
                f = useRaw ? Raw<float>(raw, n, t, where).Select(x => (double)x).ToArray() : t.FloatData.Select(x => (double)x).ToArray(); break;
            case TensorProto.Types.DataType.Double:
                f = useRaw ? Raw<double>(raw, n, t, where) : t.DoubleData.ToArray(); break;
            case TensorProto.Types.DataType.Float16:
                f = useRaw ? Raw<Half>(raw, n, t, where).Select(x => (double)x).ToArray()
                           : t.Int32Data.Select(x => (double)BitConverter.UInt16BitsToHalf((ushort)x)).ToArray(); break;
            case TensorProto.Types.DataType.Bfloat16:
                f = (useRaw ? Raw<ushort>(raw, n, t, where) : t.Int32Data.Select(x => (ushort)x).ToArray())
                    .Select(x => (double)BitConverter.Int32BitsToSingle(x << 16)).ToArray(); break;
            case TensorProto.Types.DataType.Int64:
                l = useRaw ? Raw<long>(raw, n, t, where) : t.Int64Data.ToArray(); break;
            case TensorProto.Types.DataType.Int32:
                l = useRaw ? Raw<int>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Int32Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Int16:
                l = useRaw ? Raw<short>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Int32Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Int8:
                l = useRaw ? Raw<sbyte>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Int32Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Uint8:
                l = useRaw ? Raw<byte>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Int32Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Uint16:
                l = useRaw ? Raw<ushort>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Int32Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Uint32:
                l = useRaw ? Raw<uint>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Uint64Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Uint64:
                l = useRaw ? Raw<ulong>(raw, n, t, where).Select(x => (long)x).ToArray() : t.Uint64Data.Select(x => (long)x).ToArray(); break;
            case TensorProto.Types.DataType.Bool:
                b = useRaw ? Raw<byte>(raw, n, t, where).Select(x => x != 0).ToArray() : t.Int32Data.Select(x => x != 0).ToArray(); break;
            default:
                throw new ImportException($"{where}: tensor '{t.Name}' has element type {TypeName(t.DataType)}, which is not supported (float, double, float16, integers and bool are)");
        }
        long count = f?.LongLength ?? l?.LongLength ?? b!.LongLength;
        if (count != n)
            throw new ImportException($"{where}: tensor '{t.Name}' of shape {Graph.Op.ShapeText(dims)} holds {count} values instead of {n}");
        if (f is not null) return torch.tensor(f, dims, ScalarType.Float64);
        if (l is not null) return torch.tensor(l, dims, ScalarType.Int64);
        return torch.tensor(b!, dims);
    }

    static T[] Raw<T>(ReadOnlySpan<byte> raw, long n, TensorProto t, string where) where T : unmanaged
    {
        int size = System.Runtime.InteropServices.Marshal.SizeOf<T>();
        if (raw.Length != n * size)
            throw new ImportException($"{where}: tensor '{t.Name}' has {raw.Length} bytes of raw data, expected {n * size} for shape {Graph.Op.ShapeText(t.Dims)}");
        // ONNX raw data is little-endian, as is every platform .NET runs Certify on.
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }

    /// <summary>A float32 initializer holding <paramref name="t"/> (any float dtype), with raw little-endian data.</summary>
    public static TensorProto FloatTensor(string name, Tensor t)
    {
        var values = t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var p = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        p.Dims.AddRange(t.shape);
        p.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return p;
    }

    /// <summary>An int64 initializer of shape <paramref name="dims"/> (a 1-d vector when null).</summary>
    public static TensorProto Int64Tensor(string name, long[] values, long[]? dims = null)
    {
        var p = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        p.Dims.AddRange(dims ?? new[] { (long)values.Length });
        p.Int64Data.AddRange(values);
        return p;
    }

    /// <summary>The values of an integer tensor as longs.</summary>
    public static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();

    /// <summary>The values of a tensor as doubles.</summary>
    public static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
