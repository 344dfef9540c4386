using System.CommandLine;
using System.Text.Json;
using Certify.Spec;

namespace Certify.Cli.Commands;

/// <summary><c>certify spec PROP.vnnlib [--json] [--max N]</c>: reads a property and summarises its regions and unsafe conditions.</summary>
public sealed class SpecCommand : ICliCommand
{
    public Command Build()
    {
        var file = new Argument<string>("property") { Description = "VNNLIB property file (.vnnlib or .vnnlib.gz). Strict comparisons (<, >) are read as <=, >= (the VNN-COMP convention; specs/vnnlib.md)." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var max = new Option<int>("--max") { Description = "Show at most this many regions, disjuncts per region and rows per disjunct.", DefaultValueFactory = _ => 10 }.AtLeast(1);
        var cmd = new Command("spec", "Summarise a VNNLIB property: inputs, outputs, input regions (box widths) and the unsafe output condition of each.");
        cmd.Arguments.Add(file);
        cmd.Options.Add(json);
        cmd.Options.Add(max);
        cmd.SetAction(r =>
        {
            var path = r.GetValue(file)!;
            int limit = Math.Max(1, r.GetValue(max));
            Specification spec;
            try { spec = VnnLibParser.Parse(path); }
            catch (VnnLibException e) { throw new CliException(e.Message); }
            var o = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) PrintJson(spec, limit, o);
            else PrintText(spec, limit, o);
            return 0;
        });
        return cmd;
    }

    static void PrintText(Specification spec, int limit, TextWriter o)
    {
        int disjuncts = spec.Regions.Sum(g => g.Unsafe.Disjuncts.Count);
        int rows = spec.Regions.Sum(g => g.Unsafe.Rows.Count());
        o.WriteLine($"{spec.Source}");
        o.WriteLine($"  inputs {spec.InputSize}, outputs {spec.OutputSize}, regions {spec.Regions.Count}, disjuncts {disjuncts}, rows {rows}");
        if (spec.Regions.Count == 0) o.WriteLine("  no input region: the property holds trivially (nothing can violate it)");
        for (int k = 0; k < Math.Min(limit, spec.Regions.Count); k++)
        {
            var g = spec.Regions[k];
            var s = BoxStatistics.Of(g);
            o.WriteLine($"  region {k}: box within [{Num(s.LowestBound)}, {Num(s.HighestBound)}], width min {Num(s.MinWidth)} mean {Num(s.MeanWidth)} max {Num(s.MaxWidth)}" +
                              (s.FixedInputs > 0 ? $", {s.FixedInputs} fixed input(s)" : ""));
            o.WriteLine($"    unsafe when any of {g.Unsafe.Disjuncts.Count} disjunct(s) holds:");
            for (int d = 0; d < Math.Min(limit, g.Unsafe.Disjuncts.Count); d++)
            {
                var c = g.Unsafe.Disjuncts[d];
                var shown = c.Rows.Take(limit).Select(SpecificationText.Row);
                var text = c.Rows.Count == 0 ? "true (every output)" : string.Join("  and  ", shown);
                if (c.Rows.Count > limit) text += $"  and {c.Rows.Count - limit} more row(s)";
                o.WriteLine($"      [{d}] {text}");
            }
            if (g.Unsafe.Disjuncts.Count > limit) o.WriteLine($"      ... {g.Unsafe.Disjuncts.Count - limit} more disjunct(s)");
        }
        if (spec.Regions.Count > limit) o.WriteLine($"  ... {spec.Regions.Count - limit} more region(s)");
    }

    static void PrintJson(Specification spec, int limit, TextWriter o)
    {
        var buffer = new MemoryStream();
        using var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("file", spec.Source);
        w.WriteNumber("inputs", spec.InputSize);
        w.WriteNumber("outputs", spec.OutputSize);
        w.WriteNumber("regionCount", spec.Regions.Count);
        w.WriteNumber("limit", limit);
        w.WriteStartArray("regions");
        foreach (var g in spec.Regions.Take(limit))
        {
            var s = BoxStatistics.Of(g);
            w.WriteStartObject();
            w.WriteNumber("lowestBound", s.LowestBound);
            w.WriteNumber("highestBound", s.HighestBound);
            w.WriteNumber("minWidth", s.MinWidth);
            w.WriteNumber("meanWidth", s.MeanWidth);
            w.WriteNumber("maxWidth", s.MaxWidth);
            w.WriteNumber("fixedInputs", s.FixedInputs);
            w.WriteNumber("disjunctCount", g.Unsafe.Disjuncts.Count);
            w.WriteStartArray("disjuncts");
            foreach (var c in g.Unsafe.Disjuncts.Take(limit))
            {
                w.WriteStartObject();
                w.WriteNumber("rowCount", c.Rows.Count);
                w.WriteStartArray("rows");
                foreach (var row in c.Rows.Take(limit))
                {
                    w.WriteStartObject();
                    w.WriteString("text", SpecificationText.Row(row));
                    w.WriteStartObject("c"); // sparse: output index -> coefficient
                    for (int i = 0; i < row.C.Length; i++) if (row.C[i] != 0) w.WriteNumber(i.ToString(), row.C[i]);
                    w.WriteEndObject();
                    w.WriteNumber("d", row.D);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        o.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    static string Num(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}
