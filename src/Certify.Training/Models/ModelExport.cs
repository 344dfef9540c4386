namespace Certify.Training.Models;

/// <summary>Writes a trained network as ONNX through the project's exporter (Certify.Import.OnnxExporter).</summary>
public static class ModelExport
{
    /// <summary>Exports <paramref name="net"/>'s graph (float32) to <paramref name="path"/>.</summary>
    public static void Export(TrainableNetwork net, string path) =>
        throw new NotSupportedException("ONNX export needs Certify.Import.OnnxExporter, which is not merged into this branch yet");
}
