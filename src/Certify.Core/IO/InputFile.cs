namespace Certify.IO;

/// <summary>
/// Reads input files (networks, properties, instance lists) with a size limit, so that hostile input such as
/// <c>/dev/zero</c>, a FIFO that never ends or a multi-gigabyte file ends in a one-line error instead of exhausting memory
/// and dying. Every failure is reported through the caller's exception factory so that the message names the file in the
/// caller's own vocabulary (an <c>ImportException</c> for networks, a <c>VnnLibException</c> for properties).
/// </summary>
public static class InputFile
{
    /// <summary>Largest network file read: 2 GiB, protobuf's own limit for one message (larger ONNX models keep their weights in external data, which Certify does not read).</summary>
    public const long MaxModelBytes = (2L << 30) - 1;

    /// <summary>Largest property (VNNLIB) text read, after decompression: 1 GiB (the largest VNN-COMP properties are a few hundred MB).</summary>
    public const long MaxPropertyBytes = 1L << 30;

    /// <summary>Largest instance list or results file read: 256 MiB.</summary>
    public const long MaxListBytes = 256L << 20;

    /// <summary>
    /// Reads the whole file, refusing anything but a regular file (devices and pipes have no size to check in advance) and
    /// files over <paramref name="maxBytes"/>. <paramref name="error"/> turns a problem description into the exception thrown.
    /// </summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, Func<string, Exception> error)
    {
        var info = Describe(path, error);
        if (info.Length > maxBytes) throw error($"the file is {Size(info.Length)}, more than the {Size(maxBytes)} Certify reads");
        if (info.Length == 0 && YieldsData(info.FullName)) throw error("not a regular file (a device or a pipe); give a file");
        try { return File.ReadAllBytes(info.FullName); }
        catch (Exception e) when (IsIo(e)) { throw error($"cannot read the file ({e.Message})"); }
    }

    /// <summary>The file's lines (UTF-8, any line ending), read as <see cref="ReadAllBytes"/> reads: a regular file of at most <paramref name="maxBytes"/>.</summary>
    public static string[] ReadAllLines(string path, long maxBytes, Func<string, Exception> error)
    {
        var bytes = ReadAllBytes(path, maxBytes, error);
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines.ToArray();
    }

    /// <summary>
    /// Opens the file for streaming, with reading capped at <paramref name="maxBytes"/> (the cap also holds for what a
    /// decompressor wrapped around the stream yields, when the caller wraps the result of <see cref="Cap"/>).
    /// </summary>
    public static Stream Open(string path, long maxBytes, Func<string, Exception> error)
    {
        var info = Describe(path, error);
        if (info.Length > maxBytes) throw error($"the file is {Size(info.Length)}, more than the {Size(maxBytes)} Certify reads");
        try { return Cap(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), maxBytes, error); }
        catch (Exception e) when (IsIo(e)) { throw error($"cannot read the file ({e.Message})"); }
    }

    /// <summary>A read-only view of <paramref name="inner"/> that throws <paramref name="error"/> once more than <paramref name="maxBytes"/> are read.</summary>
    public static Stream Cap(Stream inner, long maxBytes, Func<string, Exception> error) => new CappedStream(inner, maxBytes, error);

    /// <summary>
    /// Checks that <paramref name="path"/> names an existing file and returns its information. A file that reports no size
    /// but yields data is a device or a pipe (<c>/dev/zero</c>, <c>/dev/urandom</c>): .NET exposes no file type on Unix,
    /// so one byte is read to tell it from an empty file. Such a file is refused where the whole file must be held in
    /// memory (<see cref="ReadAllBytes"/>) and capped where it is streamed (<see cref="Open"/>).
    /// </summary>
    static FileInfo Describe(string path, Func<string, Exception> error)
    {
        FileInfo info;
        try { info = new FileInfo(path); }
        catch (Exception e) when (IsIo(e)) { throw error($"not a usable path ({e.Message})"); }
        if (Directory.Exists(path)) throw error("is a folder, not a file");
        if (!info.Exists) throw error("no such file");
        // A symbolic link reports its own length, not its target's: judge the file it leads to (a link to /dev/zero).
        try
        {
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
            {
                if (!target.Exists) throw error($"is a link to {target.FullName}, which does not exist");
                return target;
            }
        }
        catch (IOException e) { throw error($"is a link that cannot be followed ({e.Message})"); }
        return info;
    }

    /// <summary>True when a file reporting length 0 yields data (a device or a pipe, not a regular file).</summary>
    static bool YieldsData(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            return fs.ReadByte() >= 0;
        }
        catch (Exception e) when (IsIo(e)) { return false; }
    }

    static bool IsIo(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.SecurityException;

    static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F1} GiB" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F1} MiB" : $"{bytes:N0} bytes";

    sealed class CappedStream(Stream inner, long max, Func<string, Exception> error) : Stream
    {
        long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            _read += n;
            if (_read > max) throw error($"more than {Size(max)} of content; Certify reads at most that much");
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
