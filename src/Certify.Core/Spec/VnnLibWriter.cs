using System.Globalization;
using System.Text;

namespace Certify.Spec;

/// <summary>
/// Writes a <see cref="Specification"/> as a standard VNNLIB file that <see cref="VnnLibParser"/> (and the usual VNN-COMP
/// readers) read back to the same regions, boxes and rows. Numbers use round-trip precision; negative numbers are written
/// as literals (<c>-0.5</c>) as VNN-COMP files do.
/// </summary>
public static class VnnLibWriter
{
    /// <summary>Writes <paramref name="spec"/> to <paramref name="path"/>.</summary>
    public static void Write(Specification spec, string path)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        Write(spec, w);
    }

    /// <summary>Writes <paramref name="spec"/> to <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">a bound or coefficient that is not finite (VNNLIB has no infinities).</exception>
    public static void Write(Specification spec, TextWriter writer)
    {
        writer.Write("; written by Certify");
        if (spec.Source is not null) writer.Write($" from {spec.Source.ReplaceLineEndings(" ")}");
        writer.Write("\n\n");
        for (int i = 0; i < spec.InputSize; i++) writer.Write($"(declare-const X_{i} Real)\n");
        writer.Write('\n');
        for (int j = 0; j < spec.OutputSize; j++) writer.Write($"(declare-const Y_{j} Real)\n");
        writer.Write('\n');

        if (spec.Regions.Count == 0)
        {
            // No region: nothing can violate the property. An always-false assertion says so explicitly.
            writer.Write("(assert false)\n");
            return;
        }
        if (spec.Regions.Count == 1)
        {
            var r = spec.Regions[0];
            for (int i = 0; i < spec.InputSize; i++)
                writer.Write($"(assert (<= X_{i} {Num(r.Upper[i])}))\n(assert (>= X_{i} {Num(r.Lower[i])}))\n");
            writer.Write('\n');
            WriteCondition(r.Unsafe, writer, "", topLevel: true);
            return;
        }
        writer.Write("(assert (or\n");
        foreach (var r in spec.Regions)
        {
            writer.Write("  (and");
            for (int i = 0; i < spec.InputSize; i++) writer.Write($" (<= X_{i} {Num(r.Upper[i])}) (>= X_{i} {Num(r.Lower[i])})");
            writer.Write('\n');
            WriteCondition(r.Unsafe, writer, "    ", topLevel: false);
            writer.Write("  )\n");
        }
        writer.Write("))\n");
    }

    static void WriteCondition(OutputCondition cond, TextWriter w, string indent, bool topLevel)
    {
        if (cond.Disjuncts.Count == 1)
        {
            foreach (var row in cond.Disjuncts[0].Rows)
                w.Write(topLevel ? $"(assert {Row(row)})\n" : $"{indent}{Row(row)}\n");
            return;
        }
        w.Write(topLevel ? "(assert (or\n" : $"{indent}(or\n");
        foreach (var d in cond.Disjuncts)
            w.Write($"{indent}  (and {string.Join(" ", d.Rows.Select(Row))})\n");
        w.Write(topLevel ? "))\n" : $"{indent})\n");
    }

    /// <summary>One row as a VNNLIB comparison: <c>(&lt;= Y_i Y_j)</c> for the usual difference form, else the full sum.</summary>
    static string Row(HalfSpace h)
    {
        var nz = Enumerable.Range(0, h.C.Length).Where(i => h.C[i] != 0).ToArray();
        if (nz.Length == 1 && h.C[nz[0]] == 1) return $"(<= Y_{nz[0]} {Num(h.D)})";
        if (nz.Length == 1 && h.C[nz[0]] == -1) return $"(>= Y_{nz[0]} {Num(-h.D)})";
        if (nz.Length == 2 && h.D == 0 && h.C[nz[0]] == -h.C[nz[1]] && Math.Abs(h.C[nz[0]]) == 1)
            return h.C[nz[0]] == 1 ? $"(<= Y_{nz[0]} Y_{nz[1]})" : $"(<= Y_{nz[1]} Y_{nz[0]})";
        if (nz.Length == 0) return $"(<= (* 0 Y_0) {Num(h.D)})";
        var sb = new StringBuilder("(<= (+");
        foreach (var i in nz) sb.Append(h.C[i] == 1 ? $" Y_{i}" : $" (* {Num(h.C[i])} Y_{i})");
        return sb.Append($") {Num(h.D)})").ToString();
    }

    /// <summary>A finite double in round-trip form (<c>R</c>), e.g. <c>0.1</c>, <c>-3</c>, <c>1E-05</c>.</summary>
    static string Num(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"VNNLIB cannot express the non-finite value {v}");
        return v.ToString("R", CultureInfo.InvariantCulture);
    }
}
