using Certify.Cli;
using Certify.Cli.Commands;
using Certify.Verification.Benchmarks;

namespace Certify.Tests.Training;

/// <summary><c>certify mnist-properties</c>: its instance list is one <c>certify run</c> can read, and bad output paths are one-line errors.</summary>
public sealed class MnistPropertiesCommandTests
{
    static int Run(params string[] args) => CommandHarness.Run<MnistPropertiesCommand>(args);

    [SkippableFact]
    public void The_instance_list_names_the_model_so_that_run_finds_it()
    {
        var cache = TrainingTestData.RequireMnist();
        var dir = Directory.CreateTempSubdirectory("certify-props-cmd-").FullName;
        try
        {
            // The model as a user types it: relative to the working folder, which is not the --out folder.
            var model = Path.Combine(TestPaths.RepoRoot, "examples", "mnist", "cnn-small-ibp.onnx");
            var typed = Path.GetRelativePath(Environment.CurrentDirectory, model);
            Assert.False(Path.IsPathRooted(typed));
            var outDir = Path.Combine(dir, "props");
            Assert.Equal(0, Run("mnist-properties", "--count", "3", "--out", outDir, "--instances-for", typed, "--cache", cache));
            var instances = InstanceList.Load(Path.Combine(outDir, "instances.csv"));
            Assert.Equal(3, instances.Count);
            Assert.All(instances, i => Assert.Equal(model, i.Onnx));          // the old list named it relative to the wrong folder
            Assert.All(instances, i => Assert.True(File.Exists(i.Vnnlib), i.Vnnlib));
            Assert.All(instances, i => Assert.Equal(60, i.TimeoutSeconds));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void An_out_folder_that_is_a_file_is_a_one_line_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            // No --cache: the check comes before MNIST is loaded or fetched.
            var e = Assert.Throws<CliException>(() => Run("mnist-properties", "--count", "1", "--out", file));
            Assert.Equal($"--out {file}: is a file; give a folder", e.Message);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_missing_model_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("certify-props-cmd-").FullName;
        try
        {
            var e = Assert.Throws<CliException>(() => Run("mnist-properties", "--out", dir, "--instances-for", Path.Combine(dir, "none.onnx")));
            Assert.Contains("none.onnx: no such file", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--first", "-1")]
    [InlineData("--eps", "-0.1")]
    [InlineData("--timeout", "0")]
    [InlineData("--timeout", "abc")]
    public void Bad_numbers_are_refused(string option, string value)
    {
        Assert.NotEmpty(CommandHarness.ParseErrors<MnistPropertiesCommand>("mnist-properties", option, value));
    }
}
