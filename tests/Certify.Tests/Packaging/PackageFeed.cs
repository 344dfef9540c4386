using System.Reflection;
using Certify.Tests.Cli;

namespace Certify.Tests.Packaging;

/// <summary>
/// A local folder feed with this checkout's packages, made once for the packaging tests (a class fixture) and deleted
/// after them: the library packages (Certify.Core, Certify.Solvers, Certify.Verification) and, on first request, the
/// tool (Certify.Tool and Certify.Tool.linux-x64).
/// <para>Cost: the libraries are packed from the build the tests run on (<c>--no-build</c>, the test assembly's
/// configuration: seconds). The tool package is a RID-specific publish, so packing it compiles certify.dll once more
/// for linux-x64 (under bin/CONFIG/net10.0/linux-x64, beside the portable build, which is not touched) and compresses
/// libtorch: about two minutes, once.</para>
/// <para>The library packages get a version of their own per run (<see cref="LibraryVersion"/>) and the consuming
/// application a package folder of its own, so that no package cache can hand it an older build of the same version;
/// the packages it depends on come, unchanged, from the machine's package folder as a read-only fallback (offline).</para>
/// </summary>
public sealed class PackageFeed : IDisposable
{
    /// <summary>Temporary folder (outside the repository) holding the feed and everything the tests make.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("certify-packaging-").FullName;

    /// <summary>The folder feed.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>Version of the library packages in <see cref="Feed"/>: the repository's, with a unique pre-release tag.</summary>
    public string LibraryVersion { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    /// <summary>Configuration the tests (and so the libraries they load) were built in.</summary>
    public static string Configuration =>
        typeof(PackageFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    readonly Lazy<string> _libraries, _tool;

    public PackageFeed()
    {
        _libraries = new Lazy<string>(() =>
        {
            foreach (var p in new[] { "Certify.Checker", "Certify.Core", "Certify.Solvers", "Certify.Verification" })
                Dotnet.Check(TestPaths.RepoRoot, "pack", Src(p), "--no-build", "--no-restore", "-c", Configuration, "-o", Feed, $"-p:Version={LibraryVersion}");
            return Feed;
        });
        _tool = new Lazy<string>(() =>
        {
            // The publish the package is made from goes to the temporary folder (600 MB of native libraries), not into bin/.
            Dotnet.Check(TestPaths.RepoRoot, "pack", Src("Certify.Cli"), "--no-restore", "-c", Configuration, "-o", Feed,
                         $"-p:PublishDir={Path.Combine(Root, "publish")}/");
            return Feed;
        });
    }

    /// <summary>The feed with the library packages (packed on first call).</summary>
    public string Libraries => _libraries.Value;

    /// <summary>The feed with the tool packages (packed on first call).</summary>
    public string Tool => _tool.Value;

    static string Src(string project) => Path.Combine(TestPaths.RepoRoot, "src", project, project + ".csproj");

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Runs the .NET SDK as a user would from a shell, isolated from the test host's own MSBuild and build servers.</summary>
public static class Dotnet
{
    /// <summary>Guard for one SDK command (a pack compresses libtorch; on a loaded 2-core machine that takes minutes).</summary>
    static readonly TimeSpan Guard = TimeSpan.FromMinutes(20);

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="dir"/> and fails the test, with the output, unless it exits 0.</summary>
    public static CliProcess.Outcome Check(string dir, params string[] args)
    {
        var o = Run(dir, null, args);
        Assert.True(o.Code == 0, $"dotnet {string.Join(' ', args)} (in {dir}) exited {o.Code}\n{Tail(o.Stdout)}\n{Tail(o.Stderr)}");
        return o;
    }

    /// <summary>Runs <paramref name="program"/> (the SDK when null) with arguments in <paramref name="dir"/>.</summary>
    public static CliProcess.Outcome Run(string dir, string? program, IEnumerable<string> args, IDictionary<string, string?>? env = null)
    {
        // `dotnet test` hands its MSBuild location to the test host; a child build must find its own, as from a shell.
        var environment = new Dictionary<string, string?>();
        foreach (var k in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.Ordinal)))
            environment[k] = null;
        // No build server or reused node may outlive the command: one would hold the output pipes open (and the read
        // would wait for it) and keep running after the test.
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["UseSharedCompilation"] = "false";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string?>()) environment[k] = v;
        return CliProcess.Start(new[] { program ?? "dotnet" }.Concat(args), environment, dir, Guard);
    }

    static string Tail(string s) => s.Length > 4000 ? "..." + s[^4000..] : s;
}
