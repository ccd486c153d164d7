using System.CommandLine;
using System.Globalization;
using FastAD.Analyses;
using FastAD.Analyses.Cathode;
using FastAD.Analyses.Scan;
using FastAD.Data.Synthetic;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad scan</c>: the SPEC 5 mass scan, every window through the CATHODE chain, with the fit-only global p-value.</summary>
internal sealed class ScanCommand() : AnalysisCommand<ScanConfig, ScanResults>("scan",
    "The mass scan of SPEC 5: sliding windows (or --windows FILE), each running the whole CATHODE chain; local Z per FPR, the scan figure, and the fit-only global p with Gross-Vitells. Finished windows are saved at once: rerun to resume.",
    "Event table of the searched channel (CSV, .npy/.npz, Feather) with dimu_mass, dimu_pt, mu0_ip3d, mu1_ip3d over the scanned range.",
    "Run on the generated scan spectrum over --range (smooth background + J/psi, psi(2S), Upsilon(1S-3S); see --inject).",
    "paper (CATHODE's published configuration in every window) or quick (CATHODE's demo preset in every window).",
    "Output folder (results.json, scan.csv, scan.svg, spectra-best.svg, report.md; finished windows and models in windows/).",
    "Reuse the models saved for an unfinished window (finished windows of the same inputs are always resumed).")
{
    private readonly Option<string?> _control = new("--control") { Description = "Event table of the other channel (as for `fastad cathode`): not used by the scan yet, so it is refused rather than ignored." };
    private readonly Option<string?> _range = new("--range") { Description = "LO:HI in GeV (default: scan.low, scan.high of the config, 2:20)." };
    private readonly Option<double?> _resolution = new("--resolution") { Description = "Relative growth of the scan's bin edges (default 0.01, the dimuon 1%)." };
    private readonly Option<string?> _windows = new("--windows") { Description = "Table of explicit windows (columns sbl_low, sr_low, sr_high, sbh_high) instead of the sliding ones." };
    private readonly Option<string?> _fprs = new("--fprs") { Description = "The a-priori FPR set, comma-separated (default 1,0.1,0.01; 1 is the plain bump hunt)." };
    private readonly Option<string?> _method = new("--method") { Description = "Weakly supervised method of each window: cathode (the only one so far)." };
    private readonly Option<bool> _noResonances = new("--no-resonances") { Description = "With --generate: background only." };
    private readonly Option<string[]> _inject = ScanInputs.InjectOption();
    private readonly Option<bool> _fitOnly = new("--fit-only") { Description = "Only the plain bump hunt (FPR = 1) in every window and its global p from Poisson pseudo-spectra: no flows or classifiers, seconds." };

    internal static Command Create(IAnsiConsole console) => new ScanCommand().Build(console);

    protected override Option[] Specific => [_control, _range, _resolution, _windows, _fprs, _method, _noResonances, _inject, _fitOnly];

    protected override void Apply(ParseResult parse, ScanConfig c)
    {
        if (parse.GetValue(_range) is { } r) (c.Scan.Low, c.Scan.High) = ScanInputs.ParseRange(r);
        if (parse.GetValue(_resolution) is { } res) c.Scan.Resolution = res;
        if (parse.GetValue(_fprs) is { } f) c.Scan.Fprs = ScanInputs.ParseFprs(f);
        if (parse.GetValue(_method) is { } m) c.Scan.Method = m.Trim().ToLowerInvariant();
    }

    protected override Prepared Prepare(ParseResult parse, ScanConfig c, string outDir)
    {
        bool gen = parse.GetValue(Options.Generate);
        string? dataFile = parse.GetValue(Options.Data);
        if (gen == (dataFile is not null)) throw new ArgumentException("Give either --data FILE or --generate.");
        if (parse.GetValue(_control) is { } control)
            throw new ArgumentException($"--control {control}: the scan does not use a control channel yet (no SS cross-check per window); run `fastad scan --data` on each channel instead.");
        var inject = parse.GetValue(_inject) ?? [];
        if (!gen && (parse.GetValue(_noResonances) || inject.Length > 0))
            throw new ArgumentException("--no-resonances and --inject change the generated spectrum: use them with --generate.");
        string? windowsFile = parse.GetValue(_windows);
        var windows = windowsFile is null ? c.SlidingWindows() : ScanWindows.Read(windowsFile);
        CathodeChannelData data;
        string input;
        if (gen)
        {
            double lo = Math.Min(c.Scan.Low, windows.Min(w => w.SblLow)), hi = Math.Max(c.Scan.High, windows.Max(w => w.SbhHigh));
            var options = new DimuonScanOptions(lo, hi, null, !parse.GetValue(_noResonances), inject.Select(ScanInputs.ParseInject).ToArray(), c.Seed);
            input = $"generated scan spectrum {lo.ToString("G4", CultureInfo.InvariantCulture)}-{hi.ToString("G4", CultureInfo.InvariantCulture)} GeV (seed {c.Seed}" +
                    $"{(options.Resonances ? "" : ", no resonances")}{string.Concat(options.Inject!.Select(i => $", {i.Events} injected at {i.Mass.ToString("G4", CultureInfo.InvariantCulture)} GeV"))})";
            data = CathodeInput.FromTable(DimuonScanGenerator.Generate(options), c.Cathode.Channel, input, c.Cathode);
        }
        else
        {
            data = CathodeData.Load(dataFile!, c.Cathode.Channel, c.Cathode);
            input = Path.GetFullPath(dataFile!);
        }
        bool fitOnly = parse.GetValue(_fitOnly);
        // Every window is checked before anything trains: one without sideband events is named now, not after hours.
        if (!fitOnly) ScanAnalysis.CheckWindows(c, data, windows);
        var request = new ScanRequest(c, data, windows, outDir, parse.GetValue(Reuse), parse.GetValue(Options.Preset)!, input, fitOnly);
        var fprs = ScanAnalysis.ScanFprs(c, fitOnly);
        return new Prepared(Title("scan", $"on {input}: {data.Rows:N0} events, {windows.Length} windows, FPR set {{{string.Join(", ", fprs.Select(F3))}}}{(fitOnly ? " (fit only)" : "")}"),
            dev => fitOnly ? $"fits on {dev.Id}" : $"every window: {CathodeAnalysis.DevicePlan(c.ForWindow(windows[0]), dev)}", run => ScanAnalysis.Run(request, run));
    }

    protected override string KeptOnInterrupt(string outDir) =>
        $"every finished window is saved in {Path.Combine(outDir, "windows")}; run the same command again to continue from the last one.";

    protected override int Write(string outDir, ScanResults r) => ScanReport.Write(outDir, r).Count;

    protected override void PrintHeadline(IAnsiConsole console, ScanResults r, double seconds)
    {
        var (table, Row) = AnalysisRunner.HeadlineTable();
        Row("statistic", $"max over {r.Windows.Length} windows and FPR set {{{string.Join(", ", r.Fprs.Select(F3))}}} of the local Z");
        Row("t (max local Z)", $"{F(r.Maximum.Z)} in window {r.Maximum.Window} (SR centre {r.Maximum.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV) at FPR {F3(r.Maximum.Fpr)}");
        foreach (var m in r.MaximumPerFpr)
            Row($"max Z at FPR {F3(m.Fpr)}", $"{F(m.Z)} ({m.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV)");
        if (r.FitOnly is { } g)
        {
            Row("fit-only global p (FPR 1)", $"{g.PGlobal.ToString("G3", CultureInfo.InvariantCulture)} ± {g.PGlobalError.ToString("G2", CultureInfo.InvariantCulture)} from {g.Toys:N0} pseudo-spectra (Z_global {F(g.ZGlobal)})");
            Row("Gross-Vitells", $"{g.PGrossVitells.ToString("G3", CultureInfo.InvariantCulture)} (E[N({g.Level.ToString("G3", CultureInfo.InvariantCulture)})] = {g.MeanUpcrossings.ToString("F2", CultureInfo.InvariantCulture)} upcrossings)");
        }
        Row("windows resumed", $"{r.Resumed} of {r.Windows.Length}");
        if (r.Windows.Count(w => w.Failed is not null) is var failed and > 0)
            Row("windows failed", $"{failed} (named in report.md; left out of the maxima)");
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {r.Device} ({r.Preset} preset)");
        console.Write(table);
    }

    private static string F(double v) => AnalysisRunner.Number(v, 2);
    private static string F3(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
