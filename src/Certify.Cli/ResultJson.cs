using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Certify.Bounds;
using Certify.Verification;

namespace Certify.Cli;

/// <summary>
/// The one JSON document that <c>verify --json</c>, <c>run --json</c> and <c>bounds --json</c> print on standard output,
/// described by <c>specs/result.schema.json</c> (and <c>specs/result-json.md</c>). Every document carries
/// <c>format</c> ("certify-result"), <c>version</c> (<see cref="Version"/>), <c>command</c> and <c>time</c>; a verdict
/// is always one of the four VNN-COMP words (plus <c>error</c> for a <c>run</c> row that ended in an error), with its
/// reason, and a <c>sat</c> verdict always carries the counterexample that was re-run on the reference model.
/// <para>JSON has no infinity or NaN: a bound that overflowed is written as the string <c>"Infinity"</c>,
/// <c>"-Infinity"</c> or <c>"NaN"</c> (as .NET's named literals), which the schema allows wherever a real is expected.</para>
/// </summary>
public static class ResultJson
{
    /// <summary>Version of the document layout; it changes only when a field changes meaning or goes away.</summary>
    public const int Version = 1;

    static JsonObject Header(string command, double seconds) => new()
    {
        ["format"] = "certify-result",
        ["version"] = Version,
        ["command"] = command,
        ["time"] = Real(seconds),
    };

    /// <summary>The document of one <c>verify</c>: verdict, reason, time (the whole process), counterexample when sat, and the stages.</summary>
    public static JsonObject Verify(string model, string property, VerificationReport report, double seconds)
    {
        var doc = Header("verify", seconds);
        doc["model"] = model;
        doc["property"] = property;
        doc["verdict"] = report.Verdict.Word;
        doc["reason"] = Reason(report.Verdict);
        if (report.Verdict.Counterexample is { } cex) doc["counterexample"] = Counterexample(cex.X, cex.Y, cex);
        doc["steps"] = new JsonArray(report.Steps.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        if (report.Certificate is { } note) doc["certificate"] = Certificate(note);
        return doc;
    }

    /// <summary>
    /// A certificate's outcome (<c>verify --certificate</c>, unsat only), from the report's note "written: FILE (N leaves)"
    /// or "not checkable: why": <c>status</c> is <c>written</c> or <c>not checkable</c>, <c>detail</c> the rest.
    /// </summary>
    static JsonObject Certificate(string note)
    {
        foreach (var status in new[] { "written", "not checkable" })
            if (note.StartsWith(status + ":", StringComparison.Ordinal))
                return new JsonObject { ["status"] = status, ["detail"] = note[(status.Length + 1)..].Trim() };
        return new JsonObject { ["status"] = "not checkable", ["detail"] = note };
    }

    /// <summary>What decided a verdict (for unsat: the proof) or why none was reached.</summary>
    public static string Reason(Verdict v) => (v.Kind == VerdictKind.Unsat ? v.ProvedBy : v.Kind == VerdictKind.Sat ? v.Counterexample?.ToString() : v.Reason) ?? "";

    /// <summary>A counterexample: the input and the reference model's output; where, and checked by what, when known.</summary>
    public static JsonObject Counterexample(double[] x, double[] y, Certify.Verification.Counterexample? detail = null)
    {
        var o = new JsonObject { ["x"] = Reals(x), ["y"] = Reals(y) };
        if (detail is not null)
        {
            o["region"] = detail.Region;
            o["disjunct"] = detail.Disjunct;
            o["margin"] = Real(detail.Margin);
            o["checked_by"] = detail.CheckedBy;
        }
        return o;
    }

    /// <summary>One row of a <c>run</c>: the instance, its verdict (or <c>error</c>), reason, time, limit, label and counterexample when sat.</summary>
    public sealed record RunRow(string Family, string Network, string Property, string Verdict, string Reason, double Seconds,
                                double TimeoutSeconds, string? Label, double[]? X, double[]? Y, Certify.Verification.Counterexample? Detail);

    /// <summary>The document of a <c>run</c>: one row per instance and per-family counts.</summary>
    public static JsonObject Run(string list, IReadOnlyList<RunRow> rows, double seconds, int exitCode) =>
        Run(list, rows.Select(Instance).ToList(), seconds, exitCode);

    /// <summary>
    /// The document of a <c>run</c> from its instance objects as <see cref="Instance"/> wrote them, in the list's order:
    /// so <c>run --jobs N</c> can join its workers' rows (counterexamples included) into the document one process writes.
    /// The counts are taken from the objects themselves.
    /// </summary>
    public static JsonObject Run(string list, IReadOnlyList<JsonObject> instances, double seconds, int exitCode)
    {
        var doc = Header("run", seconds);
        doc["list"] = list;
        doc["exit_code"] = exitCode;
        doc["instances"] = new JsonArray(instances.Select(i => (JsonNode?)i).ToArray());
        var families = new JsonArray();
        foreach (var g in instances.GroupBy(i => Str(i, "family")).OrderBy(g => g.Key, StringComparer.Ordinal))
            families.Add(Counts(g.Key, g.ToList()));
        doc["families"] = families;
        doc["total"] = Counts(null, instances);
        return doc;
    }

    /// <summary>One instance object of a <c>run</c> document (<c>specs/result-json.md</c>).</summary>
    public static JsonObject Instance(RunRow r)
    {
        var o = new JsonObject
        {
            ["family"] = r.Family, ["network"] = r.Network, ["property"] = r.Property,
            ["verdict"] = r.Verdict, ["reason"] = r.Reason, ["time"] = Real(r.Seconds), ["timeout"] = Real(r.TimeoutSeconds),
            ["label"] = r.Label,
        };
        if (r.Label is { } l && r.Verdict is "sat" or "unsat") o["correct"] = r.Verdict == l;
        if (r.Verdict == "sat" && r.X is not null && r.Y is not null) o["counterexample"] = Counterexample(r.X, r.Y, r.Detail);
        return o;
    }

    /// <summary>A string field of a document object, or null when it is absent or not a string.</summary>
    internal static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static JsonObject Counts(string? family, IReadOnlyCollection<JsonObject> rows)
    {
        var o = new JsonObject();
        if (family is not null) o["family"] = family;
        o["instances"] = rows.Count;
        foreach (var w in new[] { "unsat", "sat", "unknown", "timeout", "error" }) o[w] = rows.Count(r => Str(r, "verdict") == w);
        o["labelled"] = rows.Count(r => Str(r, "label") is not null);
        o["correct"] = rows.Count(r => Str(r, "label") is { } l && Str(r, "verdict") == l);
        o["wrong"] = rows.Count(r => Str(r, "label") is { } l && Str(r, "verdict") is "sat" or "unsat" && Str(r, "verdict") != l);
        o["time"] = Real(rows.Sum(r => r["time"] is JsonValue t && t.TryGetValue<double>(out var d) ? d : 0));
        return o;
    }

    /// <summary>The document of a <c>bounds</c>: bounds of every output and of every property row (unsafe when c·y ≤ d).</summary>
    public static JsonObject Bounds(string model, string property, SpecificationBoundReport r)
    {
        var doc = Header("bounds", r.Seconds);
        doc["model"] = model;
        doc["property"] = property;
        doc["method"] = BoundOptions.MethodName(r.Method);
        doc["outputs"] = new JsonObject { ["lower"] = Reals(r.OutputLower), ["upper"] = Reals(r.OutputUpper) };
        var rows = new JsonArray();
        foreach (var x in r.Rows)
            rows.Add(new JsonObject
            {
                ["region"] = x.Region, ["clause"] = x.Clause, ["c"] = Reals(x.C), ["d"] = Real(x.D),
                ["lower"] = Real(x.Lower), ["upper"] = Real(x.Upper), ["refuted"] = x.Refuted,
            });
        doc["rows"] = rows;
        doc["ibp_fallback"] = new JsonArray(r.IbpFallbacks.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        return doc;
    }

    /// <summary>A real number; non-finite values as the strings "Infinity", "-Infinity", "NaN"; -0 as 0.</summary>
    public static JsonNode Real(double v) =>
        double.IsFinite(v) ? JsonValue.Create(v == 0 ? 0.0 : v) : JsonValue.Create(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");

    static JsonArray Reals(IEnumerable<double> v) => new(v.Select(x => (JsonNode?)Real(x)).ToArray());

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The document as indented UTF-8 text (no escaping of non-ASCII characters), ending in a newline.</summary>
    public static string Text(JsonObject doc) => doc.ToJsonString(Indented) + "\n";
}
