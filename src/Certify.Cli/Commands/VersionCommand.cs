using System.CommandLine;

namespace Certify.Cli.Commands;

/// <summary><c>certify version</c>: versions of Certify and of the native libraries it loads.</summary>
public sealed class VersionCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("version", "Print the versions of Certify and of its native dependencies.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"certify {typeof(VersionCommand).Assembly.GetName().Version}");
            Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, libtorch threads: {TorchSharp.torch.get_num_threads()}");
            Console.WriteLine($"ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}");
            return 0;
        });
        return cmd;
    }
}
