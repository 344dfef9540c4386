using System.CommandLine;
using Certify.Reports;
using Certify.Verification.Benchmarks;

namespace Certify.Cli.Commands;

/// <summary>
/// <c>certify report RESULTS.csv [more.csv ...] --html out.html [--png cactus.png]</c>: the report of one or more runs, from
/// the results files of <c>certify run --out</c>: a cactus plot (one line per file), the per-family table, and every
/// disagreement between the files or with a label. The per-family table and the disagreements are also printed.
/// <para>Exit codes: 0 the report was written and no answer contradicts a label or another file; 1 it was written and
/// some answer does (as <c>run</c> exits 1 on a wrong answer: a script must notice); 2 bad input (a file that is not a
/// results file, with file and line named; an output path that cannot be written).</para>
/// </summary>
public sealed class ReportCommand : ICliCommand
{
    public Command Build()
    {
        var files = new Argument<string[]>("results") { Description = "Results files of `certify run --out` (family,network,property,result,seconds[,label]); each is one line of the plot and one block of the table, named by its file name.", Arity = ArgumentArity.OneOrMore }.RefusingUnknownOptions();
        var html = new Option<string?>("--html") { Description = "Write the report as one self-contained HTML file (the plot embedded)." };
        var png = new Option<string?>("--png") { Description = "Also write the cactus plot as a PNG file." };
        var title = new Option<string?>("--title") { Description = "Title of the report and the plot (default: the file names)." };
        var width = new Option<int>("--width") { Description = "Width of the plot in pixels.", DefaultValueFactory = _ => 900 }.AtLeast(200);
        var height = new Option<int>("--height") { Description = "Height of the plot in pixels.", DefaultValueFactory = _ => 560 }.AtLeast(150);
        var cmd = new Command("report", "Report on results files of `certify run`: cactus plot (solved instances against time), per-family table, disagreements. " +
                                        "Exit codes: 0 written, no disagreement; 1 written, some answer contradicts a label or another file; 2 bad input; 3 internal error.")
            { files, html, png, title, width, height };
        cmd.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!;
            var htmlPath = parse.GetValue(html);
            var pngPath = parse.GetValue(png);
            if (htmlPath is null && pngPath is null) throw new CliException("report: give --html FILE, --png FILE or both");
            OutputFiles.Check(htmlPath, "--html");
            OutputFiles.Check(pngPath, "--png");
            var runs = ResultsFiles.Read(paths);
            // Runs are named by file name; files of the same name (a/results.csv, b/results.csv) by their relative paths.
            var clash = runs.GroupBy(r => r.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            runs = runs.Select(r => clash.Contains(r.Name) ? r with { Name = Path.ChangeExtension(Path.GetRelativePath(".", r.Path), null) } : r).ToList();
            if (runs.GroupBy(r => Path.GetFullPath(r.Path)).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new CliException($"report: {twice.First().Path} is given twice");
            var heading = parse.GetValue(title) ?? (runs.Count == 1 ? $"Certify run {runs[0].Name}" : $"Certify runs: {string.Join(", ", runs.Select(r => r.Name))}");
            var image = CactusPlot.Png(runs, parse.GetValue(width), parse.GetValue(height), heading);
            if (pngPath is not null) OutputFiles.Write(pngPath, "--png", () => File.WriteAllBytes(pngPath, image));
            if (htmlPath is not null) OutputFiles.Write(htmlPath, "--html", () => File.WriteAllText(htmlPath, HtmlReport.Render(runs, image, heading)));

            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"{"run",-24} {"family",-24} {"inst",5} {"solved",6} {"unsat",5} {"sat",5} {"unkn",5} {"err",4} {"WRONG",5} {"time (s)",9}");
            foreach (var f in RunComparison.Families(runs))
                o.WriteLine($"{f.Run,-24} {f.Family,-24} {f.Instances,5} {f.Solved,6} {f.Unsat,5} {f.Sat,5} {f.Unknown,5} {f.Error,4} {f.Wrong,5} {f.Seconds,9:F1}");
            var disagreements = RunComparison.Disagreements(runs);
            foreach (var d in disagreements)
                o.WriteLine($"disagreement: {d.Family}/{d.Network} {d.Property}: {string.Join(" ", runs.Select((r, i) => $"{r.Name}={d.Answers[i] ?? "-"}"))} label={d.Label ?? "-"} ({d.Why})");
            if (htmlPath is not null) o.WriteLine($"html: {htmlPath}");
            if (pngPath is not null) o.WriteLine($"png: {pngPath}");
            if (disagreements.Count > 0)
            {
                Console.Error.WriteLine($"certify: {disagreements.Count} instance(s) with answers that contradict a label or another file; exit code {ExitCodes.Failure}");
                return ExitCodes.Failure;
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
