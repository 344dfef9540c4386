using Certify.Import;
using Certify.Runtime;
using Certify.Training.Models;
using static TorchSharp.torch;

namespace Certify.Tests.Training;

/// <summary>Trained-model export: the ONNX file re-imports and agrees with ONNX Runtime and with the training graph.</summary>
public sealed class ExportTests
{
    [Theory]
    [InlineData("fc")]
    [InlineData("cnn-small")]
    [InlineData("cnn7")]
    public void ExportedModelReimportsAndAgreesWithOnnxRuntime(string arch)
    {
        using var net = ModelZoo.Create(arch, InitScheme.Kaiming, seed: 11);
        var path = Path.Combine(Path.GetTempPath(), $"certify-export-{arch}-{Guid.NewGuid():N}.onnx");
        try
        {
            var agreement = ModelExport.Export(net, path, checkPoints: 8);
            Assert.Equal(8, agreement.Samples);
            Assert.True(agreement.MaxScaledError <= 1e-4, $"ours vs ONNX Runtime: scaled error {agreement.MaxScaledError}");
            // The re-imported graph computes what the training graph computes.
            var back = OnnxImporter.Import(path).To(ScalarType.Float32);
            var x = rand(4, 1, 28, 28, generator: new Generator(2));
            using var _ = no_grad();
            var ours = net.Forward(x);
            var reimported = back.Forward(x);
            Assert.True(ours.allclose(reimported, rtol: 1e-5, atol: 1e-5), $"max diff {(ours - reimported).abs().max().item<float>()}");
            using var ort = new OnnxRuntimeModel(path);
            Assert.Equal(784, ort.InputSize);
            var first = ort.Run(x[0].reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray());
            for (int k = 0; k < 10; k++) Assert.Equal(ours[0, k].item<float>(), first[k], 4);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ModelFilesReadsCheckpointsAndOnnxAndRejectsOtherFiles()
    {
        using var net = ModelZoo.Create("fc", seed: 4);
        var dir = Directory.CreateTempSubdirectory("certify-modelfiles-").FullName;
        try
        {
            var ckpt = Path.Combine(dir, "m.ckpt");
            var onnx = Path.Combine(dir, "m.onnx");
            Checkpoint.Save(net, 1, ckpt);
            ModelExport.Export(net, onnx, checkPoints: 2);
            var x = rand(2, 1, 28, 28);
            using var _ = no_grad();
            var expected = net.Forward(x);
            Assert.True(ModelFiles.Load(ckpt).Forward(x).allclose(expected, atol: 1e-6));
            Assert.True(ModelFiles.Load(onnx).To(ScalarType.Float32).Forward(x).allclose(expected, rtol: 1e-5, atol: 1e-5));
            var txt = Path.Combine(dir, "m.txt");
            File.WriteAllText(txt, "x");
            Assert.Contains("supported: .onnx, .ckpt", Assert.Throws<InvalidDataException>(() => ModelFiles.Load(txt)).Message);
            Assert.Throws<FileNotFoundException>(() => ModelFiles.Load(Path.Combine(dir, "none.onnx")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
