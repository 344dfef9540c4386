using System.Runtime.InteropServices;

namespace Certify.Cli.Parallel;

/// <summary>
/// Counts the lines of a file that another Certify process holds locked, for the progress of <c>run --jobs</c>. A
/// worker's results file is locked for its whole run (<see cref="Commands.RunResultsFile"/>: .NET's <c>FileShare.None</c> is an
/// advisory <c>flock</c>), and .NET refuses to open a file so locked even for reading, so the count goes through
/// <c>open(2)</c> and <c>read(2)</c>, which advisory locks do not stop. Progress only: any failure counts as 0 lines, and
/// the rows themselves are read with the results reader once the worker has ended and released the file.
/// </summary>
static class LockedFileLines
{
    // DllImport rather than LibraryImport: the generated marshalling needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "open")]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "read")]
    static extern nint Read(int fd, [Out] byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);

    /// <summary>The number of complete lines (newline characters) in <paramref name="path"/>; 0 when it cannot be read.</summary>
    public static int Count(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return 0;
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) return 0;
        try
        {
            int lines = 0;
            var buffer = new byte[64 * 1024];
            for (nint got; (got = Read(fd, buffer, buffer.Length)) > 0;)
                lines += buffer.AsSpan(0, (int)got).Count((byte)'\n');
            return lines;
        }
        finally { Close(fd); }
    }
}
