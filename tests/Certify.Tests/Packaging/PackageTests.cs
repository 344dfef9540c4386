using System.Text.Json;
using System.Text.RegularExpressions;

namespace Certify.Tests.Packaging;

/// <summary>
/// Certify as a user outside this repository gets it: the library packages in a fresh console application, and the
/// command installed as a .NET tool. Everything happens in a temporary folder outside the repository, whose nuget.config
/// adds the local feed to the machine's usual package sources (<see cref="PackageFeed"/>).
/// <para>Slow tier (trait <c>Tier=slow</c>: select with <c>--filter Tier=slow</c>, leave out with <c>--filter Tier!=slow</c>),
/// but part of the default suite: packing the tool takes about two minutes, once for both tests.</para>
/// </summary>
[Trait("Tier", "slow")]
public sealed class PackageTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    static string Example(string relative) => Path.Combine(TestPaths.RepoRoot, "examples", "mnist", relative);
    static readonly string Model = Example("cnn-small-ibp.onnx");
    static readonly string Property = Example("properties/mnist_test0001_eps0.1.vnnlib");

    /// <summary>
    /// The README's three library lines, run from a new console application that only adds the package: it builds,
    /// loads TorchSharp and Z3 (the native fixes came with the package), runs with blocking GC (the package set it), and
    /// gives the verdict that the verifier in this process gives for the same instance. With background GC forced on
    /// through the environment it stops at once with Certify's message.
    /// </summary>
    [Fact]
    public void ReadmeLibraryExampleRunsInAFreshApplication()
    {
        var feedDir = feed.Libraries;
        var dir = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(feed.Root, "packages")}" /></config>
              <packageSources><add key="certify-local" value="{feedDir}" /></packageSources>
              <fallbackPackageFolders><add key="machine" value="{MachinePackages()}" /></fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), ReadmeLibraryLines());
        Dotnet.Check(dir, "add", "package", "Certify.Verification", "--version", feed.LibraryVersion);
        Dotnet.Check(dir, "build", "-nodeReuse:false", "-p:UseSharedCompilation=false");
        var bin = Path.Combine(dir, "bin", "Debug", "net10.0");

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(bin, "App.runtimeconfig.json"))))
            Assert.False(config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.True(File.Exists(Path.Combine(bin, "libz3.so")), "the package's targets did not build the libz3.so bridge beside the application");

        var run = Dotnet.Run(dir, "dotnet", [Path.Combine(bin, "App.dll"), Model, Property]);
        Assert.True(run.Code == 0, $"the application exited {run.Code}\n{run.Stdout}\n{run.Stderr}");
        var expected = Certify.Verification.Verifier.Verify(Model, Property, new Certify.Verification.VerifierOptions { Timeout = WorkBudgets.HangGuard });
        Assert.Equal(expected.Verdict.Word, run.Stdout.Split(' ', '\n')[0]);
        Assert.Equal("unsat", expected.Verdict.Word);   // the README's claim for this example

        var background = Dotnet.Run(dir, "dotnet", [Path.Combine(bin, "App.dll"), Model, Property], new Dictionary<string, string?> { ["DOTNET_gcConcurrent"] = "1" });
        Assert.NotEqual(0, background.Code);
        Assert.Contains("Certify needs blocking garbage collection", background.Stderr);
    }

    /// <summary>
    /// <c>dotnet tool install Certify.Tool</c> from the folder feed into a tool path, then the installed <c>certify verify</c>
    /// on the bundled example: exit 0 and the verdict the library gives; <c>certify version</c> names this version; with
    /// background GC forced on, one line and exit 3.
    /// </summary>
    [Fact]
    public void ToolInstallsAndVerifiesTheBundledExample()
    {
        var feedDir = feed.Tool;
        var dir = Directory.CreateDirectory(Path.Combine(feed.Root, "tool")).FullName;
        var tools = Path.Combine(dir, "bin");
        Dotnet.Check(dir, "tool", "install", "Certify.Tool", "--tool-path", tools, "--add-source", feedDir, "--version", "0.1.0");
        var certify = Path.Combine(tools, "certify");
        Assert.True(File.Exists(certify), $"no {certify} after the install");

        var verify = Dotnet.Run(dir, certify, ["verify", Model, Property, "--timeout", WorkBudgets.HangGuard.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(verify.Code == 0, $"certify verify exited {verify.Code}\n{verify.Stdout}\n{verify.Stderr}");
        var expected = Certify.Verification.Verifier.Verify(Model, Property, new Certify.Verification.VerifierOptions { Timeout = WorkBudgets.HangGuard });
        Assert.Equal(expected.Verdict.Word, verify.Stdout.Split(' ', '\n')[0]);

        var version = Dotnet.Run(dir, certify, ["version"]);
        Assert.Equal(0, version.Code);
        Assert.StartsWith("certify 0.1.0", version.Stdout);

        var background = Dotnet.Run(dir, certify, ["version"], new Dictionary<string, string?> { ["DOTNET_gcConcurrent"] = "1" });
        Assert.Equal(Certify.Cli.ExitCodes.InternalError, background.Code);
        Assert.Single(background.Stderr.Trim().Split('\n'));
        Assert.Contains("Certify needs blocking garbage collection", background.Stderr);
    }

    /// <summary>
    /// The README's library example (the csharp block after "As a library"), with the file names replaced by the
    /// program's arguments and its 60 s limit by the test's hang guard (a verdict of a test comes from work, not a clock).
    /// </summary>
    static string ReadmeLibraryLines()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var m = Regex.Match(readme, @"As a library[^\n]*\n+```csharp\n(?<code>.*?)```", RegexOptions.Singleline);
        Assert.True(m.Success, "README.md has no ```csharp block after 'As a library'");
        var code = m.Groups["code"].Value;
        foreach (var s in new[] { "\"net.onnx\"", "\"prop.vnnlib\"", "TimeSpan.FromSeconds(60)" })
            Assert.True(code.Contains(s), $"the README's library example no longer contains {s}; update this test with it");
        return code.Replace("\"net.onnx\"", "args[0]").Replace("\"prop.vnnlib\"", "args[1]")
                   .Replace("TimeSpan.FromSeconds(60)", $"TimeSpan.FromMinutes({WorkBudgets.HangGuard.TotalMinutes})");
    }

    /// <summary>The machine's package folder (NUGET_PACKAGES, else ~/.nuget/packages), where the dependencies already are.</summary>
    static string MachinePackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
