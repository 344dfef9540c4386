using Certify.Graph;
using Certify.Import;

namespace Certify.Cli.Commands;

/// <summary>Loads a network for the CLI by extension (.onnx or .nnet), turning import errors into one-line CLI errors.</summary>
internal static class ModelLoading
{
    public static ComputationGraph Load(string path)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: no such file");
        try
        {
            return Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".onnx" => OnnxImporter.Import(path),
                ".nnet" => NNetReader.Read(path),
                var ext => throw new CliException($"{path}: unknown model format '{ext}'; supported: .onnx, .nnet"),
            };
        }
        catch (ImportException e) { throw new CliException(e.Message); }
        catch (NNetException e) { throw new CliException(e.Message); }
    }
}
