// MSBuild task (compiled by RoslynCodeTaskFactory from build/NativeDeps.targets).
// Why: TorchSharp-cpu 0.107.0's libLibTorchSharp.so declares that it needs GLIBCXX_3.4.32 (GCC 13), but
// the only symbol it takes from that version, std::ios_base_library_init(), is referenced by an assembler
// `.globl` directive from GCC 13's <iostream> and never called or relocated. The dynamic loader refuses
// the library on Debian 12 (libstdc++ 3.4.30) only because of the version check. Marking that version need
// VER_FLG_WEAK turns the hard error into nothing: glibc skips weak version needs it cannot satisfy.
// The patch is idempotent and touches two bytes of the copy in the build output, never the NuGet cache.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenElfVersionNeeds : Task
{
    /// <summary>ELF shared objects to patch (missing files are skipped).</summary>
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Semicolon-separated version names to mark weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Versions { get; set; } = "";

    public override bool Execute()
    {
        var wanted = Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                int n = Patch(path, wanted);
                if (n > 0) Log.LogMessage(MessageImportance.High, $"certify: marked {n} version need(s) weak in {path}");
            }
            catch (Exception e)
            {
                Log.LogError($"certify: could not patch {path}: {e.Message}");
                return false;
            }
        }
        return true;
    }

    static int Patch(string path, string[] wanted)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        const uint SHT_GNU_verneed = 0x6ffffffe;
        const ushort VER_FLG_WEAK = 0x2;
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != SHT_GNU_verneed) continue;
            long off = BitConverter.ToInt64(b, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(b, (int)sh + 0x28);
            long strOff = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = off;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long vna = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int i = 0; i < cnt; i++)
                {
                    string name = ReadCString(b, strOff + BitConverter.ToUInt32(b, (int)vna + 8));
                    int flagsAt = (int)vna + 4;
                    ushort flags = BitConverter.ToUInt16(b, flagsAt);
                    if (Array.IndexOf(wanted, name) >= 0 && (flags & VER_FLG_WEAK) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VER_FLG_WEAK)).CopyTo(b, flagsAt);
                        changed++;
                    }
                    uint next = BitConverter.ToUInt32(b, (int)vna + 12);
                    if (next == 0) break;
                    vna += next;
                }
                uint vnNext = BitConverter.ToUInt32(b, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        if (changed > 0) File.WriteAllBytes(path, b);
        return changed;
    }

    static string ReadCString(byte[] b, long at)
    {
        int end = (int)at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
