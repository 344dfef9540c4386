using System.IO.MemoryMappedFiles;

namespace Certify.Fuzzing;

/// <summary>
/// The input being run, mirrored into a memory-mapped file, so that an input that kills the process (a stack overflow,
/// which .NET cannot catch, a native crash in libtorch, the kernel's out-of-memory killer) is not lost with it: the
/// page cache keeps what was written even when the process dies, and the next run of the same target finds a non-zero
/// length there and saves the input as a finding. Writing is a copy into mapped memory, cheap enough for every input.
/// </summary>
sealed class InFlightRecord : IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    readonly int _capacity;

    /// <summary>The input a previous run was running when it died, or null.</summary>
    public byte[]? Orphan { get; }

    public InFlightRecord(string path, int capacity)
    {
        _capacity = capacity;
        if (File.Exists(path))
        {
            var old = File.ReadAllBytes(path);
            if (old.Length >= 4)
            {
                int n = BitConverter.ToInt32(old, 0);
                if (n > 0 && n <= old.Length - 4) Orphan = old.AsSpan(4, n).ToArray();
                else if (n == -1) Orphan = [];
            }
            File.Delete(path);
        }
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Create, null, 4 + capacity, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, 4 + capacity);
        Path = path;
    }

    /// <summary>Where the record lives.</summary>
    public string Path { get; }

    /// <summary>Records <paramref name="input"/> as running.</summary>
    public void Begin(byte[] input)
    {
        int n = Math.Min(input.Length, _capacity);
        _view.WriteArray(4, input, 0, n);
        _view.Write(0, n == 0 ? -1 : n);     // -1: an empty input is running (0 means nothing is)
    }

    /// <summary>Records that no input is running.</summary>
    public void End() => _view.Write(0, 0);

    public void Dispose()
    {
        End();
        _view.Dispose();
        _file.Dispose();
        try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
