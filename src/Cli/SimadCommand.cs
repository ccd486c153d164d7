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
        var shared = new AnalysisOptions(
            "Event table (CSV, .npy/.npz, Feather) with m_ee, m_mumu, m_4l and is_simulation (0 data, 1 simulation); an is_signal column feeds the injection scan.",
            "Run on generated multilepton samples (background-only data and simulation, signal pools at the mass points; seeded by --seed).",
            "paper (10 networks, 20 epochs, 100 bootstraps, 6 × 10 injections per mass point) or quick (a demo of about a minute).",
            "Output folder (results.json, CSV tables, SVG figures, report.md).", "out/simad");
        var loss = new Option<string?>("--loss") { Description = "Run one loss only: bce or mlc (default: the config's losses, both)." };
        var bootstraps = new Option<int?>("--bootstraps") { Description = "Bootstrap \"data\" sets of the null (overrides bootstrap.samples; paper preset 100)." };
        var cmd = shared.With(new Command("simad", "Simulation-based anomaly detection for multileptons (SPEC 3): data-versus-simulation classifiers, four statistics, bootstrap null bands, signal-injection scans; writes a report."),
            loss, bootstraps);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = shared.Configuration(parse, console, SimadConfig.Preset, SimadConfig.Load, (c, s) => c.Seed = s, c =>
            {
                if (parse.GetValue(bootstraps) is { } b) c.Bootstrap.Samples = b;
                if (parse.GetValue(loss) is { } l)
                {
                    SimadConfig.ParseLoss(l);
                    c.Classifier.Losses = [l.ToLowerInvariant()];
                }
            }, c => c.Validate(), SimadConfig.ToYaml);
            if (c is null) return 0;
            string? dataFile = shared.DataFile(parse);
            string outDir = parse.GetValue(shared.Output)!;
            using var outLock = FastAdCommand.LockFolder(outDir);
            var sample = dataFile is null ? SimadData.Generate(c) : SimadData.Load(dataFile, c);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(shared.Device));
            var request = new SimadRequest(c, sample, outDir, parse.GetValue(shared.Preset)!, sample.Source);
            bool showProgress = !parse.GetValue(shared.Quiet);
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
