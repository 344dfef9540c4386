namespace Certify.Cli;

/// <summary>
/// Checks output paths before any long work starts: a verification that runs for an hour and then cannot write its
/// verdict has lost the hour. A path is usable when it is not a folder, its folder exists, and a file can be created or
/// opened there for writing; a file created only to test that is removed again. What cannot be known in advance (a disk
/// that fills up later, <c>/dev/full</c>) is caught when writing, by <see cref="Write"/>, as a one-line error.
/// </summary>
public static class OutputFiles
{
    /// <summary>Throws a <see cref="CliException"/> naming <paramref name="option"/> when <paramref name="path"/> cannot be written.</summary>
    public static void Check(string? path, string option)
    {
        if (path is null) return;
        if (path.Length == 0) throw new CliException($"{option}: the path is empty");
        if (Directory.Exists(path)) throw new CliException($"{option} {path}: is a folder; give a file path");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { throw new CliException($"{option} {path}: not a usable path ({e.Message})"); }
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new CliException(File.Exists(folder) ? $"{option} {path}: {folder} is a file, not a folder" : $"{option} {path}: the folder {folder} does not exist");
        bool existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) File.Delete(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CliException($"{option} {path}: cannot be written ({e.Message})");
        }
    }

    /// <summary>Checks a folder that a command will fill: it must not be a file, and it is created when missing.</summary>
    public static void CheckFolder(string path, string option)
    {
        if (File.Exists(path)) throw new CliException($"{option} {path}: is a file; give a folder");
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".certify-write-test-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write)) { }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CliException($"{option} {path}: cannot be written ({e.Message})");
        }
    }

    /// <summary>Runs <paramref name="write"/>, turning an I/O failure (disk full, a path that went away) into a one-line error naming the option.</summary>
    public static void Write(string path, string option, Action write)
    {
        try { write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option} {path}: writing failed ({e.Message})");
        }
    }
}
