using Certify.Verification.Benchmarks;
using System.Globalization;
using System.Net;
using System.Text;

namespace Certify.Reports;

/// <summary>
/// The report of <c>certify report</c> as one self-contained HTML file (the cactus PNG is embedded as a data URI, so the
/// file can be mailed or attached to an issue alone): the cactus plot, the per-family table of every run, and every
/// disagreement between runs or with a label. No script and no external style sheet.
/// </summary>
public static class HtmlReport
{
    /// <summary>The page for <paramref name="runs"/>, with <paramref name="cactusPng"/> as its plot.</summary>
    public static string Render(IReadOnlyList<RunResults> runs, byte[] cactusPng, string title)
    {
        var families = RunComparison.Families(runs);
        var disagreements = RunComparison.Disagreements(runs);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>\n")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
         .Append("th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}")
         .Append("tr.all td{font-weight:bold;background:#fafafa}td.bad{color:#b00;font-weight:bold}img{max-width:100%}\n</style></head><body>\n");
        h.Append("<h1>").Append(E(title)).Append("</h1>\n<p>");
        h.Append(string.Join(", ", runs.Select(r => $"<code>{E(r.Path)}</code> ({r.Rows.Count} rows)"))).Append("</p>\n");
        h.Append("<h2>Solved instances against time</h2>\n<img alt=\"cactus plot\" src=\"data:image/png;base64,")
         .Append(Convert.ToBase64String(cactusPng)).Append("\">\n");

        h.Append("<h2>Per family</h2>\n<table>\n<tr><th class=\"l\">run</th><th class=\"l\">family</th><th>instances</th><th>solved</th>")
         .Append("<th>unsat</th><th>sat</th><th>unknown</th><th>error</th><th>wrong</th><th>time (s)</th></tr>\n");
        foreach (var f in families)
        {
            h.Append(f.Family == "all" ? "<tr class=\"all\">" : "<tr>")
             .Append($"<td class=\"l\">{E(f.Run)}</td><td class=\"l\">{E(f.Family)}</td><td>{f.Instances}</td><td>{f.Solved}</td>")
             .Append($"<td>{f.Unsat}</td><td>{f.Sat}</td><td>{f.Unknown}</td><td>{f.Error}</td>")
             .Append(f.Wrong > 0 ? $"<td class=\"bad\">{f.Wrong}</td>" : "<td>0</td>")
             .Append($"<td>{f.Seconds.ToString("F1", CultureInfo.InvariantCulture)}</td></tr>\n");
        }
        h.Append("</table>\n<p>solved: sat or unsat and not against the label; unknown: unknown or timeout; wrong: an answer against the published label.</p>\n");

        h.Append("<h2>Disagreements</h2>\n");
        if (disagreements.Count == 0)
            h.Append("<p>None: no answer contradicts a label or another run.</p>\n");
        else
        {
            h.Append($"<p>{disagreements.Count} instance(s): at least one answer of each is wrong (a soundness bug until proven otherwise).</p>\n");
            h.Append("<table>\n<tr><th class=\"l\">family</th><th class=\"l\">network</th><th class=\"l\">property</th><th class=\"l\">label</th>");
            foreach (var r in runs) h.Append($"<th class=\"l\">{E(r.Name)}</th>");
            h.Append("<th class=\"l\">why</th></tr>\n");
            foreach (var d in disagreements)
            {
                h.Append($"<tr><td class=\"l\">{E(d.Family)}</td><td class=\"l\">{E(d.Network)}</td><td class=\"l\">{E(d.Property)}</td><td class=\"l\">{E(d.Label ?? "")}</td>");
                foreach (var a in d.Answers)
                    h.Append(a is "sat" or "unsat" && d.Label is not null && a != d.Label ? $"<td class=\"l bad\">{E(a)}</td>" : $"<td class=\"l\">{E(a ?? "-")}</td>");
                h.Append($"<td class=\"l\">{E(d.Why)}</td></tr>\n");
            }
            h.Append("</table>\n");
        }
        h.Append("</body></html>\n");
        return h.ToString();
    }

    static string E(string s) => WebUtility.HtmlEncode(s);
}
