using System.CommandLine;
using System.Diagnostics;
using FastAD.Analyses;
using System.Globalization;
using FastAD.Analyses.Cathode;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad cathode</c>: the whole dimuon CATHODE analysis with its report.</summary>
internal static class CathodeCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var data = new Option<string?>("--data") { Description = "Event table of the searched channel (CSV, .npy/.npz, Feather) with dimu_mass, dimu_pt, mu0_ip3d, mu1_ip3d." };
        var control = new Option<string?>("--control") { Description = "Event table of the other channel (SS when searching OS) for the validation and cross-applications." };
        var generate = new Option<bool>("--generate") { Description = "Run on generated OS and SS samples (the built-in data; seeded by --seed)." };
        var channel = new Option<string?>("--channel") { Description = "Channel searched: OS (default) or SS." };
        var config = new Option<string?>("--config") { Description = "YAML configuration over the preset (see --print-config); unknown keys are errors." };
        var preset = new Option<string>("--preset") { Description = "paper (the published configuration) or quick (a demo under a minute).", DefaultValueFactory = _ => "paper" };
        var device = FastAdCommand.DeviceOption();
        var output = new Option<string>("--out") { Description = "Output folder (results.json, CSV tables, SVG figures, report.md, trained models).", DefaultValueFactory = _ => "out/cathode" };
        var seed = new Option<ulong?>("--seed") { Description = "Base seed (overrides the config)." };
        var reuse = new Option<bool>("--reuse") { Description = "Reuse the flows and BDTs saved in --out instead of retraining (statistics are redone)." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bars; only the final table." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the configuration (preset, then --config and options applied) as YAML and exit." };
        var cmd = new Command("cathode", "The dimuon CATHODE analysis of SPEC 1: flows on the sidebands, SR samples, BDT ensemble, FPR scans, reweighting, SS validation, variations; writes a report.")
        {
            data, control, generate, channel, config, preset, device, output, seed, reuse, quiet, printConfig,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = CathodeConfig.Preset(parse.GetValue(preset)!);
            if (parse.GetValue(config) is { } path) c = CathodeConfig.Load(path, c);
            if (parse.GetValue(seed) is { } s) c.Seed = s;
            if (parse.GetValue(channel) is { } ch) c.Channel = ch.ToUpperInvariant();
            c.Validate();
            if (parse.GetValue(printConfig))
            {
                console.Profile.Out.Writer.Write(CathodeConfig.ToYaml(c));
                return 0;
            }
            bool gen = parse.GetValue(generate);
            string? dataFile = parse.GetValue(data), controlFile = parse.GetValue(control);
            if (gen == (dataFile is not null))
                throw new ArgumentException("Give either --data FILE (with --control FILE for the other channel, optional) or --generate.");
            string other = c.Channel == "OS" ? "SS" : "OS";
            CathodeChannelData primary, ctrl;
            string input;
            if (gen)
            {
                (primary, ctrl) = CathodeData.Generate(c);
                input = $"generated OS and SS samples (seed {c.Seed})";
            }
            else
            {
                primary = CathodeData.Load(dataFile!, c.Channel, c);
                ctrl = controlFile is null ? null! : CathodeData.Load(controlFile, other, c);
                input = controlFile is null ? dataFile! : $"{dataFile} ({c.Channel}), {controlFile} ({other})";
            }
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(device));
            string outDir = parse.GetValue(output)!;
            var request = new CathodeRequest(c, primary, ctrl, outDir, parse.GetValue(reuse), parse.GetValue(preset)!, input);
            bool showProgress = !parse.GetValue(quiet);
            if (showProgress)
                console.MarkupLineInterpolated($"[bold]CATHODE[/] on {input}: {primary.Rows:N0} {primary.Channel} events{(ctrl is null ? "" : $", {ctrl.Rows:N0} {ctrl.Channel} events")}");
            console.MarkupLineInterpolated($"devices: flows on the managed CPU path ({Environment.ProcessorCount} threads); BDTs {(dev.SupportsKernels ? $"in one launch on {dev.Id}" : "on the managed CPU path")}; fits on {dev.Id}");
            var sw = Stopwatch.StartNew();
            // Ctrl+C stops at the next epoch or stage; what was saved (flows, BDTs) stays in --out for --reuse.
            if (!AnalysisRunner.TryRun(console, !showProgress,
                    $"the models finished so far are kept in {Path.Combine(outDir, "models")}; run again with --reuse to continue from them.",
                    (progress, token) => CathodeAnalysis.Run(request, dev, progress, token), out var run))
                return AnalysisRunner.Interrupted;
            var (results, ps, cs) = run;
            var written = CathodeReport.Write(outDir, results, ps, cs);
            PrintHeadline(console, results, sw.Elapsed.TotalSeconds);
            console.MarkupLineInterpolated($"report: [link]{Path.Combine(outDir, "report.md")}[/] ({written.Count} files in {outDir})");
            return 0;
        }));
        return cmd;
    }

    private static string F(double v, int digits = 2) => double.IsNaN(v) ? "–" : v.ToString("F" + digits, CultureInfo.InvariantCulture);

    private static void PrintHeadline(IAnsiConsole console, CathodeResults r, double seconds)
    {
        var h = r.Headline;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("headline", "value");
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row($"initial Z ({r.Primary.Channel}, no cut)", F(h.InitialZ));
        Row("best CATHODE Z (cut and count)", $"{F(h.BestCathodeZ)} at FPR {h.BestCathodeFpr.ToString("G3", CultureInfo.InvariantCulture)}");
        Row("reweighted Z (likelihood reweighting)", h.ReweightedZ is { } rz ? F(rz) : "–");
        Row("best single-feature cut Z", $"{F(h.BestSingleCutZ)} ({h.BestSingleCutName})");
        Row("best two-feature cut Z (10 × 10 scan)", F(h.BestTwoFeatureCutZ));
        if (r.Control is not null)
        {
            Row($"{r.Control.Channel} max Z (control)", h.ControlMaxZ is { } cz ? F(cz) : "–");
            Row($"{r.Control.Channel} reweighted Z", h.ControlReweightedZ is { } crz ? F(crz) : "–");
        }
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {r.Device} ({r.Preset} preset)");
        console.Write(table);
    }
}
