namespace Certify.Tests;

/// <summary>Locates the repository and the third-party benchmarks in <c>../shared</c> beside it.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding Certify.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared</c> next to the repository, or null when it is absent.</summary>
    public static string? Shared
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("CERTIFY_SHARED");
            var dir = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(Path.Combine(dir, "bench")) ? dir : null;
        }
    }

    /// <summary>The benchmark folder <c>../shared/bench</c>; skips the calling test with a clear message when absent.</summary>
    public static string RequireBench()
    {
        Skip.If(Shared is null, "../shared/bench is not present beside the repository (set CERTIFY_SHARED to its parent folder)");
        return Path.Combine(Shared!, "bench");
    }

    /// <summary>The reference-bound folder <c>../shared/oracle</c>; skips the calling test when absent.</summary>
    public static string RequireOracle()
    {
        Skip.If(Shared is null, "../shared/oracle is not present beside the repository");
        return Path.Combine(Shared!, "oracle");
    }

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Certify.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Certify.sln not found above " + AppContext.BaseDirectory);
    }
}
