using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAD.Analyses.Conrad;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad conrad</c>: the CONRAD non-resonant anomaly detection of SPEC 2 with its report.</summary>
internal static class ConradCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var shared = new AnalysisOptions(
            "Event table (CSV, .npy/.npz, Feather) with MET, m_J, tau21, tau32, is_template (1: template rows) and optionally is_signal.",
            "Run on generated data (the built-in CONRAD generator; seeded by --seed).",
            "paper (the published configuration) or quick (a demo of about a minute).",
            "Output folder (results.json, CSV tables, SVG figures, report.md, trained models).", "out/conrad");
        var template = new Option<string?>("--template") { Description = "Background template: gamma (the γ+jets rows, data-driven) or znunu (a generated Z(νν)+jets sample)." };
        var signal = new Option<string?>("--signal") { Description = "Generated signal: 3prong or 2prong." };
        var cmd = shared.With(new Command("conrad", "The CONRAD analysis of SPEC 2: conditional RQS flow on the template, latent map, HGB ensemble against normal samples, ABCD closure with MET, SIC and S/√B; writes a report."),
            template, signal);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = shared.Configuration(parse, console, ConradConfig.Preset, ConradConfig.Load, (c, s) => c.Seed = s, c =>
            {
                if (parse.GetValue(template) is { } t) c.Template = t.ToLowerInvariant();
                if (parse.GetValue(signal) is { } sg) c.Signal = sg.ToLowerInvariant();
            }, c => c.Validate(), ConradConfig.ToYaml);
            if (c is null) return 0;
            string? dataFile = shared.DataFile(parse);
            string outDir = parse.GetValue(shared.Output)!;
            using var outLock = FastAdCommand.LockFolder(outDir);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(shared.Device));
            var input = dataFile is null ? ConradData.Generate(c) : ConradData.Load(dataFile, c);
            var request = new ConradRequest(c, input, outDir, parse.GetValue(shared.Preset)!);
            bool showProgress = !parse.GetValue(shared.Quiet);
            if (showProgress)
                console.MarkupLineInterpolated($"[bold]CONRAD[/] on {input.Description}: {input.Data.Rows:N0} data events, {input.Template.Rows:N0} template events");
            console.MarkupLineInterpolated($"devices: {ConradAnalysis.DevicePlan(c, dev)}");
            var sw = Stopwatch.StartNew();
            if (!AnalysisRunner.TryRun(console, !showProgress,
                    $"the models finished so far are kept in {Path.Combine(outDir, "models")}.",
                    (progress, token) => ConradAnalysis.Run(request, dev, progress, token), out var run))
                return AnalysisRunner.Interrupted;
            var (results, state) = run;
            var written = ConradReport.Write(outDir, results, state);
            PrintHeadline(console, results, sw.Elapsed.TotalSeconds);
            AnalysisRunner.ReportLine(console, outDir, written.Count);
            return 0;
        }));
        return cmd;
    }

    private static string F(double v, int digits = 2) => AnalysisRunner.Number(v, digits);

    private static void PrintHeadline(IAnsiConsole console, ConradResults r, double seconds)
    {
        var h = r.Headline;
        var (table, Row) = AnalysisRunner.HeadlineTable();
        foreach (var (name, sic) in h.MaxSic) Row($"max SIC ({name})", F(sic));
        Row("worst closure pull without signal", F(h.WorstClosurePull));
        Row("S/√B before the cut", F(h.SOverSqrtB[0]));
        for (int k = 0; k < r.Config.Statistics.WorkingPoints.Count; k++)
        {
            string f = r.Config.Statistics.WorkingPoints[k].ToString("G3", CultureInfo.InvariantCulture);
            Row($"S/√B at FPR {f}", F(h.SOverSqrtB[k + 1]));
            Row($"observed excess at FPR {f} (σ)", F(h.ObservedZ[k + 1]));
        }
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({r.Preset} preset; " +
                         string.Join(", ", r.Seconds.Select(kv => $"{kv.Key} {kv.Value.ToString("F1", CultureInfo.InvariantCulture)} s")) + ")");
        console.Write(table);
    }
}
