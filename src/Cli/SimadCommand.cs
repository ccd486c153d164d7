using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAD.Analyses;
using FastAD.Analyses.Simad;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad simad</c>: simulation-based anomaly detection for multileptons (SPEC 3) with its report.</summary>
internal static class SimadCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var data = new Option<string?>("--data") { Description = "Event table (CSV, .npy/.npz, Feather) with m_ee, m_mumu, m_4l and is_simulation (0 data, 1 simulation); an is_signal column feeds the injection scan." };
        var generate = new Option<bool>("--generate") { Description = "Run on generated multilepton samples (background-only data and simulation, signal pools at the mass points; seeded by --seed)." };
        var loss = new Option<string?>("--loss") { Description = "Run one loss only: bce or mlc (default: the config's losses, both)." };
        var bootstraps = new Option<int?>("--bootstraps") { Description = "Bootstrap \"data\" sets of the null (overrides bootstrap.samples; paper preset 100)." };
        var config = new Option<string?>("--config") { Description = "YAML configuration over the preset (see --print-config); unknown keys are errors." };
        var preset = new Option<string>("--preset") { Description = "paper (10 networks, 20 epochs, 100 bootstraps, 6 × 10 injections per mass point) or quick (a demo of about a minute).", DefaultValueFactory = _ => "paper" };
        var device = FastAdCommand.DeviceOption();
        var output = new Option<string>("--out") { Description = "Output folder (results.json, CSV tables, SVG figures, report.md).", DefaultValueFactory = _ => "out/simad" };
        var seed = new Option<ulong?>("--seed") { Description = "Base seed (overrides the config)." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bars; only the final table." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the configuration (preset, then --config and options applied) as YAML and exit." };
        var cmd = new Command("simad", "Simulation-based anomaly detection for multileptons (SPEC 3): data-versus-simulation classifiers, four statistics, bootstrap null bands, signal-injection scans; writes a report.")
        {
            data, generate, loss, bootstraps, config, preset, device, output, seed, quiet, printConfig,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = SimadConfig.Preset(parse.GetValue(preset)!);
            if (parse.GetValue(config) is { } path) c = SimadConfig.Load(path, c);
            if (parse.GetValue(seed) is { } s) c.Seed = s;
            if (parse.GetValue(bootstraps) is { } b) c.Bootstrap.Samples = b;
            if (parse.GetValue(loss) is { } l)
            {
                SimadConfig.ParseLoss(l);
                c.Classifier.Losses = [l.ToLowerInvariant()];
            }
            c.Validate();
            if (parse.GetValue(printConfig))
            {
                console.Profile.Out.Writer.Write(SimadConfig.ToYaml(c));
                return 0;
            }
            bool gen = parse.GetValue(generate);
            string? dataFile = parse.GetValue(data);
            if (gen == (dataFile is not null)) throw new ArgumentException("Give either --data FILE or --generate.");
            string outDir = parse.GetValue(output)!;
            using var outLock = FastAdCommand.LockFolder(outDir);
            var sample = gen ? SimadData.Generate(c) : SimadData.Load(dataFile!, c);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(device));
            var request = new SimadRequest(c, sample, outDir, parse.GetValue(preset)!, sample.Source);
            bool showProgress = !parse.GetValue(quiet);
            if (showProgress)
                console.MarkupLineInterpolated($"[bold]simad[/] on {sample.Source}: {sample.Background.RowCount:N0} background-only data, {sample.Simulation.RowCount:N0} simulation events, {sample.Pools.Count} signal pools");
            console.MarkupLineInterpolated($"devices: networks on the managed CPU path ({c.Workers()} at once; selected {dev.Id})");
            var sw = Stopwatch.StartNew();
            if (!AnalysisRunner.TryRun(console, !showProgress,
                    $"the tables of the finished stages (null-*.csv, scan-*.csv) are kept in {Path.Combine(outDir, SimadAnalysis.PartialFolder)}.",
                    (progress, token) => SimadAnalysis.Run(request, dev, progress, token), out var results))
                return AnalysisRunner.Interrupted;
            var written = SimadReport.Write(outDir, results);
            PrintHeadline(console, results, sw.Elapsed.TotalSeconds);
            AnalysisRunner.ReportLine(console, outDir, written.Count);
            return 0;
        }));
        return cmd;
    }

    private static void PrintHeadline(IAnsiConsole console, SimadResults r, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns(["loss", "signal", .. StatisticSet.Names.Select(n => $"{n} at 2σ (events)")]);
        foreach (var s in r.Scans)
            table.AddRow([s.Loss, Markup.Escape(s.Pool), .. s.Crossings.Select(x => x.Signal is { } n ? n.ToString("F1", CultureInfo.InvariantCulture) : x.BeyondAtLowest ? "beyond at lowest" : "–")]);
        foreach (var o in r.Observed)
            table.AddRow([o.Loss, "observed p", .. o.PValue.Select(p => p.ToString("G3", CultureInfo.InvariantCulture))]);
        console.Write(table);
        console.MarkupLineInterpolated($"wall time {seconds.ToString("F1", CultureInfo.InvariantCulture)} s, {r.NetworksTrained:N0} networks ({r.Preset} preset)");
    }
}
