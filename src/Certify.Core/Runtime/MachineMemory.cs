using System.Globalization;

namespace Certify.Runtime;

/// <summary>
/// How much memory the machine has free now, for searches that must stop before the kernel's out-of-memory killer
/// stops them.
/// <para>
/// Why: branch and bound keeps every open sub-problem, and on a wide network each one carries its optimised slopes and
/// split multipliers (about 140 KB per sub-problem on eran's 6x200 sigmoid net). Two `run --jobs 2` workers on a 23 GB
/// machine grew to 10 and 13 GB on such instances at the official 300 s, and the kernel killed one worker, losing the
/// rest of its shard. A search that knows the memory it may use ends with an honest "memory limit" instead.
/// </para>
/// The figure is <c>MemAvailable</c> of <c>/proc/meminfo</c> (what the kernel can give without swapping, counting
/// reclaimable cache); where that cannot be read, the memory the .NET runtime sees as available to it.
/// </summary>
public static class MachineMemory
{
    /// <summary>Bytes available to a new allocation now (see the class remarks); never negative.</summary>
    public static long AvailableBytes()
    {
        try
        {
            if (ParseMemAvailable(File.ReadAllText("/proc/meminfo")) is { } bytes) return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { }
        return Math.Max(0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    /// <summary>The <c>MemAvailable:</c> line of <c>/proc/meminfo</c>'s text in bytes, or null when absent or malformed.</summary>
    public static long? ParseMemAvailable(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var parts = line["MemAvailable:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb) && kb < long.MaxValue / 1024)
                return kb * 1024;
            return null;
        }
        return null;
    }
}
