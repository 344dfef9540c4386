namespace Certify.Tests.Cli;

/// <summary>
/// <c>benchmarks/vnncomp/run_instance.sh</c> chooses the settings file from its CATEGORY argument: the category's own
/// file, the same without a year suffix, or <c>default.yaml</c>, and never a path outside <c>configs/</c>. The tool it
/// starts is a stand-in (through the <c>CERTIFY</c> variable the fault drill also uses) that records its arguments.
/// </summary>
public sealed class RunInstanceScriptTests
{
    static string Configs => Path.Combine(TestPaths.RepoRoot, "benchmarks", "vnncomp", "configs");

    [Theory]
    [InlineData("acasxu", "acasxu.yaml")]
    [InlineData("acasxu_2023", "acasxu.yaml")]
    [InlineData("MNIST_FC", "mnist_fc.yaml")]
    [InlineData("mnist_fc_2021", "mnist_fc.yaml")]
    [InlineData("oval21", "oval21.yaml")]
    [InlineData("cifar2020", "default.yaml")]
    [InlineData("no_such_category", "default.yaml")]
    [InlineData("../../etc/passwd", "default.yaml")]
    [InlineData("", "default.yaml")]
    public void The_category_picks_its_config_or_the_default(string category, string expected)
    {
        var dir = CliFiles.TempDir();
        try
        {
            var argsFile = Path.Combine(dir, "args.txt");
            var fake = CliFiles.Write(dir, "fake-certify", "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"$FAKE_ARGS\"\n" +
                "while [ $# -gt 0 ]; do [ \"$1\" = --results ] && echo unsat > \"$2\"; shift; done\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var results = Path.Combine(dir, "result.txt");
            var r = CliProcess.Start(new[] { "bash", Path.Combine(TestPaths.RepoRoot, "benchmarks", "vnncomp", "run_instance.sh"), "v1", category, "net.onnx", "prop.vnnlib", results, "10" },
                new Dictionary<string, string?> { ["CERTIFY"] = fake, ["FAKE_ARGS"] = argsFile, ["CERTIFY_VNNCOMP_STATE"] = Path.Combine(dir, "state") });
            Assert.True(r.Code == 0, r.Stderr);
            var args = File.ReadAllLines(argsFile);
            int at = Array.IndexOf(args, "--config");
            Assert.True(at >= 0 && at + 1 < args.Length, "no --config passed: " + string.Join(' ', args));
            Assert.Equal(Path.Combine(Configs, expected), args[at + 1]);
            Assert.Equal("10", args[Array.IndexOf(args, "--timeout") + 1]);             // the instance's TIMEOUT overrides the file's
            Assert.Equal("unsat", File.ReadAllText(results).Trim());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
