using System.Globalization;

namespace Certify.Verification.Benchmarks;

/// <summary>
/// VNN-COMP's <c>results.csv</c> (<c>certify run --vnncomp-csv FILE</c>): the layout the competition's scoring scripts
/// read, one row per instance and no header: <c>benchmark,onnx,vnnlib,prepare_time,result,run_time</c>.
/// <list type="bullet">
/// <item><c>benchmark</c>: the instance's family;</item>
/// <item><c>onnx</c>, <c>vnnlib</c>: the paths as the instance list writes them (relative to the list's root);</item>
/// <item><c>prepare_time</c>: seconds of the competition's per-benchmark preparation step; Certify has none (a network is
/// read as part of each instance), so 0, and all of an instance's time is in <c>run_time</c>;</item>
/// <item><c>result</c>: the word of the instance's result file: sat, unsat, unknown, timeout or error;</item>
/// <item><c>run_time</c>: seconds, in round-trip precision.</item>
/// </list>
/// Rows go out as instances finish (each in one write, flushed), through the one CSV writer.
/// </summary>
public sealed class VnncompResults : IDisposable
{
    /// <summary>The columns, in order (the file itself has no header).</summary>
    public static readonly IReadOnlyList<string> Columns = ["benchmark", "onnx", "vnnlib", "prepare_time", "result", "run_time"];

    readonly StreamWriter _writer;

    /// <summary>Creates (or empties) <paramref name="path"/>.</summary>
    public VnncompResults(string path)
    {
        _writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
    }

    /// <summary>The row of one finished instance.</summary>
    public static string Line(Instance inst, string result, double seconds) =>
        CsvLines.Line(inst.Family, inst.OnnxEntry.Length > 0 ? inst.OnnxEntry : inst.Onnx, inst.VnnlibEntry.Length > 0 ? inst.VnnlibEntry : inst.Vnnlib,
            "0", result, seconds.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Appends the row of <paramref name="inst"/> and flushes it.</summary>
    public void Append(Instance inst, string result, double seconds)
    {
        _writer.Write(Line(inst, result, seconds));
        _writer.Flush();
    }

    public void Dispose()
    {
        try { _writer.Dispose(); }
        catch (IOException) { }
    }
}
