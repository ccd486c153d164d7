using System.CommandLine;
using System.Globalization;
using FastAD.Analyses;
using FastAD.Analyses.Simad;
using FastAD.Flows;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad simad</c>: simulation-based anomaly detection for multileptons (SPEC 3) with its report.</summary>
internal sealed class SimadCommand() : AnalysisCommand<SimadConfig, SimadResults>("simad",
    "Simulation-based anomaly detection for multileptons (SPEC 3): data-versus-simulation classifiers, four statistics, bootstrap null bands, signal-injection scans; writes a report.",
    "Event table (CSV, .npy/.npz, Feather, HDF5, Parquet) with m_ee, m_mumu, m_4l and is_simulation (0 data, 1 simulation); an is_signal column feeds the injection scan.",
    "Run on generated multilepton samples (background-only data and simulation, signal pools at the mass points; seeded by --seed).",
    "paper (10 networks, 20 epochs, 100 bootstraps, 7 × 10 injections per mass point) or quick (a demo of about a minute).",
    "Output folder (results.json, CSV tables, SVG figures, report.md, each finished stage's statistics in models/).",
    "Reuse the statistics of the stages saved in --out that were trained from the same inputs (others are trained).")
{
    private readonly Option<string?> _loss = new("--loss") { Description = "Run one loss only: bce or mlc (default: the config's losses, both)." };
    private readonly Option<int?> _bootstraps = new("--bootstraps") { Description = "Bootstrap \"data\" sets of the null (overrides bootstrap.samples; paper preset 100)." };
    private readonly Option<string?> _classifier = new("--classifier") { Description = "mlp (the paper's networks, default) or bdt (boosted trees; f = their log-odds) (overrides classifier.kind)." };
    private readonly Option<string?> _pvalue = new("--pvalue") { Description = "bootstrap (default), asymptotic (Gaussian null from the bootstraps' mean and sd) or both, with where they disagree (overrides evaluation.p_value)." };

    internal static Command Create(IAnsiConsole console) => new SimadCommand().Build(console);

    protected override Option[] Specific => [_loss, _bootstraps, _classifier, _pvalue];

    protected override void Apply(ParseResult parse, SimadConfig c)
    {
        if (parse.GetValue(_bootstraps) is { } b) c.Bootstrap.Samples = b;
        if (parse.GetValue(_loss) is { } l) c.Classifier.Losses = [EnumText.Parse<ClassifierLoss>(l, "--loss")];
        if (parse.GetValue(_classifier) is { } k) c.Classifier.Kind = EnumText.Parse<SimadClassifierKind>(k, "--classifier");
        if (parse.GetValue(_pvalue) is { } pv) c.Evaluation.PValue = EnumText.Parse<SimadPValueKind>(pv, "--pvalue");
    }

    protected override Prepared Prepare(ParseResult parse, SimadConfig c, string outDir)
    {
        string? dataFile = Options.DataFile(parse);
        var sample = dataFile is null ? SimadData.Generate(c) : SimadData.Load(dataFile, c);
        var request = new SimadRequest(c, sample, outDir, parse.GetValue(Options.Preset)!, sample.Source);
        return new Prepared(Title("simad", $"on {sample.Source}: {sample.Background.RowCount:N0} background-only data, {sample.Simulation.RowCount:N0} simulation events, {sample.Pools.Count} signal pools"),
            dev => SimadAnalysis.DevicePlan(c, dev), run => SimadAnalysis.Run(request, run));
    }

    protected override string KeptOnInterrupt(string outDir) =>
        $"the tables of the finished stages (null-*.csv, scan-*.csv) are kept in {Path.Combine(outDir, SimadAnalysis.PartialFolder)}, their statistics in {Path.Combine(outDir, "models")}; run again with --reuse to continue from them.";

    protected override int Write(string outDir, SimadResults r) => SimadReport.Write(outDir, r).Count;

    protected override void PrintHeadline(IAnsiConsole console, SimadResults r, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns(["loss", "signal", .. StatisticSet.Names.Select(n => $"{n} at 2σ (fb)")]);
        foreach (var s in r.Scans)
            table.AddRow([s.Loss, Markup.Escape(s.Pool), .. s.Crossings.Select(x => x.CrossSectionFb is { } fb
                ? $"{fb.ToString("G3", CultureInfo.InvariantCulture)} ({x.Signal!.Value.ToString("F0", CultureInfo.InvariantCulture)} ev.)" : x.BeyondAtLowest ? "beyond at lowest" : "–")]);
        foreach (var o in r.Observed)
        {
            if (r.Config.Evaluation.PValue != SimadPValueKind.Asymptotic)
                table.AddRow([o.Loss, "observed p (bootstrap)", .. o.PValue.Select(p => p.ToString("G3", CultureInfo.InvariantCulture))]);
            if (o.AsymptoticPValue is { } a)
                table.AddRow([o.Loss, "observed p (asymptotic)", .. a.Select(p => p.ToString("G3", CultureInfo.InvariantCulture))]);
        }
        console.Write(table);
        console.MarkupLineInterpolated($"wall time {seconds.ToString("F1", CultureInfo.InvariantCulture)} s, {r.NetworksTrained:N0} {(r.Config.Classifier.Kind == SimadClassifierKind.Bdt ? "BDTs" : "networks")} ({r.Preset} preset, {r.LuminosityFb.ToString("G4", CultureInfo.InvariantCulture)} fb⁻¹; dedicated search {r.Config.Injection.DedicatedSearchFb.ToString("G3", CultureInfo.InvariantCulture)} fb)");
    }
}
