using Certify.Cli;
using Certify.Cli.Commands;

namespace Certify.Tests.Training;

/// <summary><c>certify train</c> refuses bad numbers and unwritable outputs before any training starts.</summary>
public sealed class TrainCommandTests
{
    [Theory]
    [InlineData("--epochs", "0")]
    [InlineData("--batch-size", "-1")]
    [InlineData("--lr", "0")]
    [InlineData("--eps", "-0.1")]
    [InlineData("--kappa-end", "2")]
    [InlineData("--max-batches", "0")]
    [InlineData("--method", "adversarial")]
    public void Bad_options_are_refused(string option, string value)
    {
        Assert.Contains(CommandHarness.ParseErrors<TrainCommand>("train", option, value), e => e.StartsWith(option));
    }

    [Fact]
    public void An_out_path_in_a_missing_folder_is_refused_before_training()
    {
        var path = Path.Combine(Path.GetTempPath(), $"certify-none-{Guid.NewGuid():N}", "model.onnx");
        // No --cache: the check comes before MNIST is loaded.
        var e = Assert.Throws<CliException>(() => CommandHarness.Run<TrainCommand>("train", "--out", path));
        Assert.Contains("--out", e.Message);
        Assert.Contains("does not exist", e.Message);
    }
}
