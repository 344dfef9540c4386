using Certify.Graph;
using Certify.Import;

namespace Certify.Cli.Commands;

/// <summary>Loads a network for the CLI by extension (.onnx; .nnet once <c>Certify.Import.NNetReader</c> exists), turning import errors into one-line CLI errors.</summary>
internal static class ModelLoading
{
    public static ComputationGraph Load(string path)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: no such file");
        try
        {
            var ext = Path.GetExtension(path).ToLowerInvariant();
            if (ext == ".onnx") return OnnxImporter.Import(path);
            if (ext == ".nnet") return ReadNNet(path);
            throw new CliException($"{path}: unknown model format '{ext}'; supported: .onnx, .nnet");
        }
        catch (ImportException e) { throw new CliException(e.Message); }
    }

    /// <summary>
    /// Hook for the .nnet reader: calls <c>Certify.Import.NNetReader.Read(string)</c> when that class is part of the
    /// build (found by reflection so this command does not depend on it at compile time).
    /// </summary>
    static ComputationGraph ReadNNet(string path)
    {
        var reader = typeof(OnnxImporter).Assembly.GetType("Certify.Import.NNetReader")
            ?? throw new CliException($"{path}: .nnet files are not supported by this build yet");
        var read = reader.GetMethod("Read", new[] { typeof(string) }) ?? throw new CliException($"{path}: NNetReader.Read(string) not found");
        try { return (ComputationGraph)read.Invoke(null, new object[] { path })!; }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new CliException(e.InnerException.Message);
        }
    }
}
