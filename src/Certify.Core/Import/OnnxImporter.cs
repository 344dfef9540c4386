using Certify.Graph;
using Certify.Import.Onnx;
using Certify.Operators;

namespace Certify.Import;

/// <summary>
/// Reads an ONNX model into Certify's layer graph. Constants are folded, arithmetic with constants becomes
/// <see cref="Certify.Operators.AffineOp"/>/<see cref="Certify.Operators.LinearOp"/>, shape operators become Reshape/Slice/Gather, and
/// every tensor gets a leading batch dimension (a symbolic or unit first input dimension is the batch; otherwise a
/// virtual one is added). A model with several inputs imports as a graph with one flat input holding them all, each
/// flattened row-major and concatenated in declaration order (the VNN-COMP convention for the VNNLIB <c>X_i</c>; ONNX
/// Runtime is fed the same way by <see cref="Runtime.OnnxRuntimeModel"/>). Unsupported content gives an
/// <see cref="ImportException"/> naming the file and node.
/// </summary>
public static class OnnxImporter
{
    /// <summary>
    /// The ONNX operators (default domain) Certify imports: those of every operator definition (built-in families first,
    /// then operators registered at run time, see <see cref="OperatorRegistry"/>), then the ones the reader handles
    /// itself (Identity, Dropout, Constant, ConstantOfShape, Shape, Cast). Others are accepted only when constant-folded.
    /// </summary>
    public static IReadOnlyList<string> SupportedOperators => OnnxGraphReader.SupportedOperators;

    /// <summary>Imports the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="ImportException">the file is missing, malformed or uses something unsupported.</exception>
    public static ComputationGraph Import(string path)
    {
        // Size-checked read: a device (/dev/zero) or a file over protobuf's 2 GiB limit is refused with one line.
        var bytes = Certify.IO.InputFile.ReadAllBytes(path, Certify.IO.InputFile.MaxModelBytes, problem => new ImportException($"{path}: {problem}"));
        return Import(bytes, path);
    }

    /// <summary>Imports a model held in memory; <paramref name="displayName"/> names it in messages and as the graph's source.</summary>
    public static ComputationGraph Import(byte[] model, string displayName) => OnnxGraphReader.Read(model, displayName);

    /// <summary>Imports a model read from <paramref name="stream"/>.</summary>
    public static ComputationGraph Import(Stream stream, string displayName)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Import(ms.ToArray(), displayName);
    }
}
