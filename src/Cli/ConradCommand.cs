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
        var data = new Option<string?>("--data") { Description = "Event table (CSV, .npy/.npz, Feather) with MET, m_J, tau21, tau32, is_template (1: template rows) and optionally is_signal." };
        var generate = new Option<bool>("--generate") { Description = "Run on generated data (the built-in CONRAD generator; seeded by --seed)." };
        var template = new Option<string?>("--template") { Description = "Background template: gamma (the γ+jets rows, data-driven) or znunu (a generated Z(νν)+jets sample)." };
        var signal = new Option<string?>("--signal") { Description = "Generated signal: 3prong or 2prong." };
        var config = new Option<string?>("--config") { Description = "YAML configuration over the preset (see --print-config); unknown keys are errors." };
        var preset = new Option<string>("--preset") { Description = "paper (the published configuration) or quick (a demo of about a minute).", DefaultValueFactory = _ => "paper" };
        var device = FastAdCommand.DeviceOption();
        var output = new Option<string>("--out") { Description = "Output folder (results.json, CSV tables, SVG figures, report.md, trained models).", DefaultValueFactory = _ => "out/conrad" };
        var seed = new Option<ulong?>("--seed") { Description = "Base seed (overrides the config)." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bars; only the final table." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the configuration (preset, then --config and options applied) as YAML and exit." };
        var cmd = new Command("conrad", "The CONRAD analysis of SPEC 2: conditional RQS flow on the template, latent map, HGB ensemble against normal samples, ABCD closure with MET, SIC and S/√B; writes a report.")
        {
            data, generate, template, signal, config, preset, device, output, seed, quiet, printConfig,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = ConradConfig.Preset(parse.GetValue(preset)!);
            if (parse.GetValue(config) is { } path) c = ConradConfig.Load(path, c);
            if (parse.GetValue(seed) is { } s) c.Seed = s;
            if (parse.GetValue(template) is { } t) c.Template = t.ToLowerInvariant();
            if (parse.GetValue(signal) is { } sg) c.Signal = sg.ToLowerInvariant();
            c.Validate();
            if (parse.GetValue(printConfig))
            {
                console.Profile.Out.Writer.Write(ConradConfig.ToYaml(c));
                return 0;
            }
            bool gen = parse.GetValue(generate);
            string? dataFile = parse.GetValue(data);
            if (gen == (dataFile is not null)) throw new ArgumentException("Give either --data FILE or --generate.");
            string outDir = parse.GetValue(output)!;
            using var outLock = FastAdCommand.LockFolder(outDir);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(device));
            var input = gen ? ConradData.Generate(c) : ConradData.Load(dataFile!, c);
            var request = new ConradRequest(c, input, outDir, parse.GetValue(preset)!);
            bool showProgress = !parse.GetValue(quiet);
            if (showProgress)
                console.MarkupLineInterpolated($"[bold]CONRAD[/] on {input.Description}: {input.Data.Rows:N0} data events, {input.Template.Rows:N0} template events");
            console.MarkupLineInterpolated($"devices: flows and classifiers on the managed CPU path ({Environment.ProcessorCount} threads); selected device {dev.Id}");
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
