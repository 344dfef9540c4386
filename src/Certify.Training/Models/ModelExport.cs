using Certify.Import;
using Certify.Runtime;
using static TorchSharp.torch;

namespace Certify.Training.Models;

/// <summary>Writes a trained network as ONNX through the project's exporter and checks the file with ONNX Runtime.</summary>
public static class ModelExport
{
    /// <summary>
    /// Exports <paramref name="net"/>'s graph (float32, detached) to <paramref name="path"/>, then re-imports the file and
    /// compares the re-imported graph with ONNX Runtime on <paramref name="checkPoints"/> random images.
    /// </summary>
    /// <returns>The agreement between our re-imported graph and ONNX Runtime on the written file.</returns>
    public static AgreementResult Export(TrainableNetwork net, string path, int checkPoints = 16)
    {
        Certify.Graph.ComputationGraph frozen;
        using (no_grad()) frozen = net.Frozen(ScalarType.Float32);
        OnnxExporter.Export(frozen, path);
        return CheckAgainstRuntime(path, checkPoints);
    }

    /// <summary>Re-imports the ONNX file at <paramref name="path"/> and compares it with ONNX Runtime on random pixel images.</summary>
    public static AgreementResult CheckAgainstRuntime(string path, int points = 16, int seed = 0)
    {
        var graph = OnnxImporter.Import(path);
        using var ort = new OnnxRuntimeModel(path);
        var lo = new double[graph.InputSize];
        var hi = Enumerable.Repeat(1.0, (int)graph.InputSize).ToArray();
        return GraphAgreement.Compare(graph, ort, GraphAgreement.RandomPoints(lo, hi, points, seed));
    }
}
