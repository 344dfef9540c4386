using Certify.Graph;

namespace Certify.Training.Models;

/// <summary>Reads a trained model for evaluation: an ONNX file (through the project's importer) or a training checkpoint.</summary>
public static class ModelFiles
{
    /// <summary>The graph in <paramref name="path"/>: <c>.ckpt</c> (see <see cref="Checkpoint"/>) or <c>.onnx</c>.</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="InvalidDataException">an unreadable checkpoint, or an unsupported extension.</exception>
    /// <exception cref="Import.ImportException">an ONNX file the importer rejects.</exception>
    public static ComputationGraph Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file", path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".ckpt")
        {
            var (net, _) = Checkpoint.Load(path);
            return net.Frozen(TorchSharp.torch.ScalarType.Float32);
        }
        if (ext == ".onnx") return LoadOnnx(path);
        throw new InvalidDataException($"{path}: unsupported model file '{ext}'; supported: .onnx, .ckpt (a Certify training checkpoint)");
    }

    static ComputationGraph LoadOnnx(string path) => Import.OnnxImporter.Import(path);
}
