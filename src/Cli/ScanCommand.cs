using System.CommandLine;
using System.Globalization;
using FastAD.Analyses;
using FastAD.Analyses.Cathode;
using FastAD.Analyses.Scan;
using FastAD.Data.Synthetic;
using FastAD.Kernels;
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
    private readonly Option<string?> _method = new("--method")
    {
        Description = $"Methods run in every window on the same events, comma-separated: {EnumText.Choices(typeof(AnomalyMethod))} (default cathode). " +
                      "The first is the scan's statistic (and what `scan pseudo` redoes); the others are reported beside it."
    };
    private readonly Option<string?> _background = new("--background")
    {
        Description = "Background-only events of the same process over the scanned range, for --method idealized (with --generate the generator's own, without resonances)."
    };
    private readonly Option<bool> _noResonances = new("--no-resonances") { Description = "With --generate: background only." };
    private readonly Option<string[]> _inject = ScanInputs.InjectOption();
    private readonly Option<bool> _fitOnly = new("--fit-only") { Description = "Only the plain bump hunt (FPR = 1) in every window and its global p from Poisson pseudo-spectra: no flows or classifiers, seconds." };

    internal static Command Create(IAnsiConsole console) => new ScanCommand().Build(console);

    protected override Option[] Specific => [_control, _range, _resolution, _windows, _fprs, _method, _background, _noResonances, _inject, _fitOnly];

    protected override void Apply(ParseResult parse, ScanConfig c)
    {
        if (parse.GetValue(_range) is { } r) (c.Scan.Low, c.Scan.High) = ScanInputs.ParseRange(r);
        if (parse.GetValue(_resolution) is { } res) c.Scan.Resolution = res;
        if (parse.GetValue(_fprs) is { } f) c.Scan.Fprs = ScanInputs.ParseFprs(f);
        if (parse.GetValue(_method) is { } m) c.Scan.Methods = ParseMethods(m);
    }

    /// <summary>"cathode,cwola" → the methods, in order (the first is the statistic's, so a repeat is refused rather than guessed at).</summary>
    internal static List<AnomalyMethod> ParseMethods(string text)
    {
        var methods = MethodList.Parse(text);
        if (methods.Distinct().Count() != methods.Count) throw new ArgumentException($"--method '{text}': a method is listed twice.");
        return methods;
    }

    /// <summary>The searched events, the windows and a description of the input, from --data or --generate and the scan's options.</summary>
    /// <param name="parse">The command line.</param>
    /// <param name="c">The configuration.</param>
    /// <param name="background">Whether the idealized method's background-only sample is wanted (not by the fit-only scan or the pseudo-scans).</param>
    private (CathodeChannelData Data, ScanWindow[] Windows, string Input, CathodeChannelData? Background) Load(ParseResult parse, ScanConfig c, bool background = true)
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
        string? backgroundFile = parse.GetValue(_background);
        bool idealized = background && c.Scan.Methods.Contains(AnomalyMethod.Idealized);
        if (backgroundFile is not null && !idealized)
            throw new ArgumentException(background ? "--background is used by --method idealized only; add idealized to --method or drop --background."
                : "--background is used by --method idealized of `fastad scan` only, not here; drop it.");
        CathodeChannelData data;
        CathodeChannelData? bkg = null;
        string input;
        if (gen)
        {
            double lo = Math.Min(c.Scan.Low, windows.Min(w => w.SblLow)), hi = Math.Max(c.Scan.High, windows.Max(w => w.SbhHigh));
            if (idealized && backgroundFile is null)
            {
                // The generator's background alone (no resonances, nothing injected), four times the data's, from its own seed.
                ulong seed = c.Seed + 2_000_003;
                var bo = new DimuonScanOptions(lo, hi, 4 * DimuonScanGenerator.BackgroundEvents(lo, hi), Resonances: false, Inject: [], Seed: seed);
                bkg = CathodeInput.FromTable(DimuonScanGenerator.Generate(bo), c.Cathode.Channel, $"generated background-only scan spectrum (seed {seed})", c.Cathode);
            }
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
        if (backgroundFile is not null) bkg = CathodeData.Load(backgroundFile, c.Cathode.Channel, c.Cathode);
        return (data, windows, input, bkg);
    }

    protected override Prepared Prepare(ParseResult parse, ScanConfig c, string outDir)
    {
        bool fitOnly = parse.GetValue(_fitOnly);
        if (fitOnly && (c.Scan.Methods is not [AnomalyMethod.Cathode] || parse.GetValue(_background) is not null))
            throw new ArgumentException($"--fit-only runs the plain bump hunt alone (no classifier), but the methods are {string.Join(",", c.Scan.Methods.Select(m => m.Text()))}" +
                                        $"{(parse.GetValue(_background) is not null ? " and --background is given" : "")}: drop --method (or scan.methods in the config) and --background, or drop --fit-only.");
        var (data, windows, input, background) = Load(parse, c, background: !fitOnly);
        // Every window is checked before anything trains: one without sideband events is named now, not after hours.
        if (!fitOnly) ScanAnalysis.CheckWindows(c, data, windows, background);
        var request = new ScanRequest(c, data, windows, outDir, parse.GetValue(Reuse), parse.GetValue(Options.Preset)!, input, fitOnly, background);
        var fprs = ScanAnalysis.ScanFprs(c, fitOnly);
        string methods = fitOnly ? " (fit only)" : $", {(c.Scan.Methods.Count > 1 ? "methods" : "method")} {string.Join(", ", c.Scan.Methods.Select(m => m.Text()))}";
        return new Prepared(Title("scan", $"on {input}: {data.Rows:N0} events, {windows.Length} windows, FPR set {{{string.Join(", ", fprs.Select(F3))}}}{methods}"),
            dev => fitOnly ? $"fits on {dev.Id}" : $"every window: {CathodeAnalysis.DevicePlan(c.ForWindow(windows[0]), dev)}", run => ScanAnalysis.Run(request, run));
    }

    protected override IEnumerable<Command> Subcommands(IAnsiConsole console) => [new ScanCommand().PseudoCommand(console)];

    /// <summary><c>fastad scan pseudo</c>: null pseudo-scans (SPEC 5.3), sharded and resumable; `fastad merge` gives the global p.</summary>
    private Command PseudoCommand(IAnsiConsole console)
    {
        var n = new Option<int>("--n") { Description = "Null pseudo-scans in the whole study (all shards).", DefaultValueFactory = _ => 100 };
        var shard = new Option<string>("--shard") { Description = "i/K: run the pseudo-scans j with j mod K = i (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).", DefaultValueFactory = _ => "0/1" };
        var batch = new Option<int>("--batch") { Description = "Pseudo-scans whose classifiers train together, window by window, in one ensemble call.", DefaultValueFactory = _ => 4 };
        var from = new Option<string?>("--from") { Description = "Folder of the observed scan (same options): its window flows are reused and its t is the observed statistic (default: --out)." };
        var cmd = Options.With(new Command("pseudo", "Null pseudo-scans of SPEC 5.3: background-only pseudo-spectra (masses from the smooth description, features from the nearest window's flows), the whole scan redone on each with every window's classifier retrained; appended to --out/pseudo/scan-null-*.jsonl, resumable. Combine shards with `fastad merge`."),
            _control, _range, _resolution, _windows, _fprs, _method, _background, _noResonances, _inject, n, shard, batch, from);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = Configuration(parse, console);
            if (c is null) return 0;
            var sh = Shard.Parse(parse.GetValue(shard)!);
            string outDir = parse.GetValue(Options.Output)!;
            string flowsDir = parse.GetValue(from) ?? outDir;
            if (parse.GetValue(from) is { } f && !Directory.Exists(f))
                throw new ArgumentException($"--from {f}: no such folder; expected the --out folder of the observed `fastad scan`.");
            string file = ScanPseudo.ResultsPath(outDir, sh);
            using var folderLock = FastAdCommand.ShareFolder(outDir);
            using var shardLock = FastAdCommand.LockFile(file);
            if (c.Scan.Methods[0] != AnomalyMethod.Cathode)
                throw new ArgumentException($"scan pseudo redoes the scan's first method in every null pseudo-scan, and only cathode's chain is written for that (got {c.Scan.Methods[0].Text()}); put cathode first in --method.");
            var (data, windows, input, _) = Load(parse, c, background: false);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(Options.Device));
            var request = new ScanPseudoRequest(c, data, windows, outDir, flowsDir, parse.GetValue(n), sh, input, parse.GetValue(batch));
            var store = new ModelStore(flowsDir, reuse: true, "scan").Keeping();
            if (!AnalysisRunner.TryRun(console, parse.GetValue(Options.Quiet), $"every finished pseudo-scan is saved in {file}; run the same command again to resume.",
                    (progress, token) => ScanPseudo.Run(request, new RunContext(dev, store, progress, token)), out var r))
                return AnalysisRunner.Interrupted;
            string rate = r.Added > 0 ? $", {(r.Seconds / r.Added).ToString("F1", CultureInfo.InvariantCulture)} s each" : "";
            console.MarkupLineInterpolated($"shard {sh}: {r.Added} pseudo-scans run now ({r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s{rate}), {r.Total} in {r.Path}");
            console.MarkupLineInterpolated($"statistic: max local Z over {windows.Length} windows and the FPR set {{{string.Join(", ", c.FprSet().Select(F3))}}}; flows: {r.Flows}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>Prints what `fastad merge` found in pseudo-scan shards.</summary>
    internal static void PrintGlobal(IAnsiConsole console, ScanGlobal g, int files, string outDir, IReadOnlyList<string> written)
    {
        console.MarkupLineInterpolated($"{g.Results:N0} of {g.Header.Count:N0} null pseudo-scans from {files} files; statistic: {g.Statistic}; flows: {g.Header.Flows}");
        if (g.Missing.Length > 0)
            console.MarkupLineInterpolated($"[yellow]missing {g.Missing.Length} pseudo-scans:[/] {string.Join(", ", g.Missing.Take(20))}{(g.Missing.Length > 20 ? ", ..." : "")}");
        var (table, Row) = AnalysisRunner.HeadlineTable();
        string P(double? p, double? e) => p is { } v ? $"{v.ToString("G3", CultureInfo.InvariantCulture)} ± {(e ?? double.NaN).ToString("G2", CultureInfo.InvariantCulture)}" : "–";
        if (g.Observed is { } t)
        {
            Row("observed t", $"{F(t)} (window {g.Header.Observed!.Window}, SR centre {g.Header.Observed.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV, FPR {F3(g.Header.Observed.Fpr)})");
            Row("global p = P(t_null ≥ t)", $"{P(g.PGlobal, g.PGlobalError)} (Z_global {F(g.ZGlobal ?? double.NaN)})");
            Row("Gross-Vitells (sum over the FPR set)", g.PGrossVitells is { } gv ? $"{gv.ToString("G3", CultureInfo.InvariantCulture)}; discrete windows {g.PDiscrete?.ToString("G3", CultureInfo.InvariantCulture)}" : "–");
        }
        else Row("observed t", "none: no finished observed scan in the flows' folder (run `fastad scan` there first, then the pseudo-scans with --from)");
        foreach (var f in g.PerFpr)
            Row($"FPR {F3(f.Fpr)}", $"E[N({F3(g.Header.UpcrossingLevel)})] = {f.MeanUpcrossings.ToString("F2", CultureInfo.InvariantCulture)} ± {f.UpcrossingsError.ToString("F2", CultureInfo.InvariantCulture)}, " +
                                  $"upcrossings {string.Join(" ", f.UpcrossingCounts.Select((k, i) => $"{i}:{k}"))}" +
                                  (f.Observed is { } o ? $"; observed {F(o)}: global p {P(f.PGlobal, f.PGlobalError)}, Gross-Vitells {f.PGrossVitells?.ToString("G3", CultureInfo.InvariantCulture)} (discrete windows {f.PDiscrete?.ToString("G3", CultureInfo.InvariantCulture)})" : ""));
        foreach (var cmp in g.Comparisons)
            Row($"P(t_null ≥ {F3(cmp.Z)})", $"{P(cmp.PToys, cmp.PToysError)} (Gross-Vitells sum {cmp.PGrossVitells.ToString("G3", CultureInfo.InvariantCulture)}, discrete windows {cmp.PDiscrete.ToString("G3", CultureInfo.InvariantCulture)})");
        Row("each pseudo-scan's p vs the others", $"mean {g.Uniformity.Mean.ToString("F3", CultureInfo.InvariantCulture)}, sd {g.Uniformity.Sd.ToString("F3", CultureInfo.InvariantCulture)} " +
                                                   $"(uniform: 0.5, 0.289), Kolmogorov distance {g.Uniformity.Ks.ToString("F3", CultureInfo.InvariantCulture)}");
        console.Write(table);
        console.MarkupLineInterpolated($"written: {string.Join(", ", written.Select(Path.GetFileName))} in {outDir}");
    }

    protected override string KeptOnInterrupt(string outDir) =>
        $"every finished window is saved in {Path.Combine(outDir, "windows")}; run the same command again to continue from the last one.";

    protected override int Write(string outDir, ScanResults r) => ScanReport.Write(outDir, r).Count;

    protected override void PrintHeadline(IAnsiConsole console, ScanResults r, double seconds)
    {
        var (table, Row) = AnalysisRunner.HeadlineTable();
        Row("statistic", $"max over {r.Windows.Length} windows and FPR set {{{string.Join(", ", r.Fprs.Select(F3))}}} of the local Z{(r.Methods.Length > 1 ? $" of {r.Methods[0]}" : "")}");
        Row("t (max local Z)", $"{F(r.Maximum.Z)} in window {r.Maximum.Window} (SR centre {r.Maximum.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV) at FPR {F3(r.Maximum.Fpr)}");
        foreach (var m in r.MaximumPerFpr)
            Row($"max Z at FPR {F3(m.Fpr)}", $"{F(m.Z)} ({m.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV)");
        for (int k = 1; k < r.Methods.Length; k++)
            Row($"max Z, {r.Methods[k]}", r.MaximumPerMethod[k] is { } m
                ? $"{F(m.Z)} in window {m.Window} ({m.Centre.ToString("F3", CultureInfo.InvariantCulture)} GeV) at FPR {F3(m.Fpr)} (its own look-elsewhere)"
                : "– (did not run in any window: see report.md)");
        if (r.FitOnly is { } g)
        {
            Row("fit-only global p (FPR 1)", $"{g.PGlobal.ToString("G3", CultureInfo.InvariantCulture)} ± {g.PGlobalError.ToString("G2", CultureInfo.InvariantCulture)} from {g.Toys:N0} pseudo-spectra (Z_global {F(g.ZGlobal)})");
            Row("Gross-Vitells", $"{g.PGrossVitells.ToString("G3", CultureInfo.InvariantCulture)} (E[N({g.Level.ToString("G3", CultureInfo.InvariantCulture)})] = {g.MeanUpcrossings.ToString("F2", CultureInfo.InvariantCulture)} upcrossings); " +
                                    $"discrete windows {g.PDiscrete.ToString("G3", CultureInfo.InvariantCulture)} (neighbour correlation {g.NeighbourCorrelation.ToString("F2", CultureInfo.InvariantCulture)})");
            foreach (var cmp in g.Comparisons.Where(x => x.Z >= 3))
                Row($"P(t ≥ {F3(cmp.Z)}), FPR 1", $"{cmp.PToys.ToString("G3", CultureInfo.InvariantCulture)} ± {cmp.PToysError.ToString("G2", CultureInfo.InvariantCulture)} (pseudo-spectra); " +
                                                 $"Gross-Vitells {cmp.PGrossVitells.ToString("G3", CultureInfo.InvariantCulture)}, discrete windows {cmp.PDiscrete.ToString("G3", CultureInfo.InvariantCulture)}");
        }
        var poor = r.Windows.Where(w => w.Failed is null && w.PoorSidebandFit).ToArray();
        if (poor.Length > 0)
            Row("caution", $"{poor.Length} window{(poor.Length > 1 ? "s" : "")} ({string.Join(", ", poor.Select(w => w.Window.Index))}) with sidebands the polynomial does not describe " +
                           $"(sideband fit p < {WindowResult.PoorFitP.ToString("G2", CultureInfo.InvariantCulture)}): their Z is not to be trusted" +
                           (poor.Any(w => w.Window.Index == r.Maximum.Window) ? $"; t is in window {r.Maximum.Window}, one of them" : "") + " (report.md)");
        Row("windows resumed", $"{r.Resumed} of {r.Windows.Length}");
        if (r.Windows.Count(w => w.Failed is not null) is var failed and > 0)
            Row("windows failed", $"{failed} (named in report.md; left out of the maxima)");
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {r.Device} ({r.Preset} preset)");
        console.Write(table);
    }

    private static string F(double v) => AnalysisRunner.Number(v, 2);
    private static string F3(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
