using System.CommandLine;
using FastAD.Analyses;
using System.Globalization;
using FastAD.Analyses.Cathode;
using FastAD.Data.Synthetic;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad cathode</c>: the whole dimuon CATHODE analysis with its report, and <c>cathode pseudo</c>.</summary>
internal sealed class CathodeCommand() : AnalysisCommand<CathodeConfig, CathodeOutcome>("cathode",
    "The dimuon CATHODE analysis of SPEC 1: flows on the sidebands, SR samples, BDT ensemble, FPR scans, reweighting, SS validation, variations; writes a report.",
    "Event table of the searched channel (CSV, .npy/.npz, Feather, HDF5, Parquet) with dimu_mass, dimu_pt, mu0_ip3d, mu1_ip3d.",
    "Run on generated OS and SS samples (the built-in data; seeded by --seed).",
    "paper (the published configuration) or quick (a demo under a minute).",
    "Output folder (results.json, CSV tables, SVG figures, report.md, trained models).",
    "Reuse the flows and BDTs saved in --out instead of retraining (statistics are redone).")
{
    private readonly Option<string?> _control = new("--control") { Description = "Event table of the other channel (SS when searching OS) for the validation and cross-applications." };
    private readonly Option<string?> _channel = new("--channel") { Description = "Channel searched: OS (default) or SS." };
    private readonly Option<string?> _method = new("--method")
    {
        Description = $"Methods compared on the searched channel's events, comma-separated: {EnumText.Choices(typeof(AnomalyMethod))} (default cathode alone)."
    };
    private readonly Option<string?> _background = new("--background")
    {
        Description = "Background-only events of the searched channel's process, for --method idealized (with --generate the generator's own)."
    };

    private readonly Option<string?> _preIsolation = new("--pre-isolation")
    {
        Description = "The searched channel's events before the anti-isolation cut (mass and the features, e.g. data/cms-dimuon-2016h/sr_os_features_no_isolation.csv): " +
                      "their SR feature distributions are drawn dashed in features-*.svg, as in the paper's Fig. 3, and their masses give the dashed spectrum unless --pre-isolation-masses is given."
    };
    private readonly Option<string?> _preIsolationMasses = new("--pre-isolation-masses")
    {
        Description = "Masses before the anti-isolation cut over the whole range (e.g. data/cms-dimuon-2016h/cut_masses.csv with --pre-isolation-where selection=os_no_isolation): " +
                      "drawn dashed with their own sideband fit and Z in the FPR 1 panel of spectra-*.svg."
    };
    private readonly Option<string?> _inject = new("--inject")
    {
        Description = "Signal counts, comma-separated (e.g. 0,50,100,200,400): the whole analysis per count with that many signal events mixed in (nested sets, fixed seed); " +
                      "Z and max SIC per method against S/B and S/√B in injection.svg, each count's report in OUT/inject-N. With --generate the generator's background and signal."
    };
    private readonly Option<string?> _signal = new("--signal") { Description = "Signal events to inject with --inject into --data (the same columns as the data)." };
    private readonly Option<string?> _preIsolationWhere = new("--pre-isolation-where") { Description = "Row selection of --pre-isolation-masses, e.g. selection=os_no_isolation." };

    internal static Command Create(IAnsiConsole console) => new CathodeCommand().Build(console);

    protected override Option[] Specific => [_control, _channel, _method, _background, _preIsolation, _preIsolationMasses, _preIsolationWhere, _inject, _signal];

    protected override void Apply(ParseResult parse, CathodeConfig c)
    {
        if (parse.GetValue(_channel) is { } ch) c.Channel = EnumText.Parse<DimuonChannel>(ch, "--channel");
    }

    /// <summary>The searched channel, the other channel (or null), and a description of the input.</summary>
    private (CathodeChannelData Primary, CathodeChannelData? Control, string Input) Load(ParseResult parse, CathodeConfig c)
    {
        bool gen = parse.GetValue(Options.Generate);
        string? dataFile = parse.GetValue(Options.Data), controlFile = parse.GetValue(_control);
        if (gen == (dataFile is not null))
            throw new ArgumentException("Give either --data FILE (with --control FILE for the other channel, optional) or --generate.");
        if (gen)
        {
            var (p, o) = CathodeData.Generate(c);
            return (p, o, $"generated OS and SS samples (seed {c.Seed})");
        }
        var other = c.Channel == DimuonChannel.OS ? DimuonChannel.SS : DimuonChannel.OS;
        var primary = CathodeData.Load(dataFile!, c.Channel, c);
        var ctrl = controlFile is null ? null : CathodeData.Load(controlFile, other, c);
        // Full paths: shards started from different folders must still agree on their input.
        string data = Path.GetFullPath(dataFile!);
        return (primary, ctrl, controlFile is null ? data : $"{data} ({c.Channel}), {Path.GetFullPath(controlFile)} ({other})");
    }

    protected override Prepared Prepare(ParseResult parse, CathodeConfig c, string outDir)
    {
        var (primary, ctrl, input) = Load(parse, c);
        var methods = MethodList.Parse(parse.GetValue(_method) ?? "cathode").Distinct().ToArray();
        var background = Background(parse, c, methods);
        var inj = Injection(parse, c, primary);
        string? preEvents = parse.GetValue(_preIsolation), preMasses = parse.GetValue(_preIsolationMasses), preWhere = parse.GetValue(_preIsolationWhere);
        var preIsolation = inj is not null || (preEvents is null && preMasses is null)
            ? (preWhere is null || inj is not null ? null : throw new ArgumentException(PreIsolationSample.WhereWithoutMasses))
            : PreIsolationSample.Load(preEvents, preMasses, StatsCommands.ParseWhere(preWhere), c);
        string preset = parse.GetValue(Options.Preset)!;
        var request = new CathodeRequest(c, primary, ctrl, outDir, parse.GetValue(Reuse), preset, input, methods, background, preIsolation);
        if (inj is not null)
            return new Prepared(Title("CATHODE signal injection", $"of {inj.Value.Counts.Length} counts ({string.Join(", ", inj.Value.Counts)}) from {inj.Value.Signal.Source} into {inj.Value.Data.Source}"),
                dev => CathodeAnalysis.DevicePlan(c, dev), run =>
                {
                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    var study = SignalInjection.Run(request, inj.Value.Data, inj.Value.Signal, inj.Value.Counts, inj.Value.Shuffle, run);
                    return new CathodeOutcome(null, null, null, study, c, run.Device.Id, preset, sw.Elapsed.TotalSeconds);
                });
        return new Prepared(Title("CATHODE", $"on {input}: {primary.Rows:N0} {primary.Channel} events{(ctrl is null ? "" : $", {ctrl.Rows:N0} {ctrl.Channel} events")}"),
            dev => CathodeAnalysis.DevicePlan(c, dev), run =>
            {
                var (results, p, o) = CathodeAnalysis.Run(request, run);
                return new CathodeOutcome(results, p, o, null, c, results.Device, preset, 0);
            });
    }

    /// <summary>
    /// --inject N1,N2,...: the counts, the data they are mixed into (with --generate the generator's background alone), the
    /// signal (--signal FILE, or the generator's) and whether its rows are drawn in a seeded random order (a file's) or in
    /// order (the generator's rows are independent draws, the same first rows for any pool size); null without --inject.
    /// </summary>
    private (int[] Counts, CathodeChannelData Data, CathodeChannelData Signal, bool Shuffle)? Injection(ParseResult parse, CathodeConfig c, CathodeChannelData primary)
    {
        string? text = parse.GetValue(_inject), signalFile = parse.GetValue(_signal);
        if (text is null)
            return signalFile is null ? null : throw new ArgumentException("--signal gives the events --inject mixes into the data; add --inject N1,N2,... or drop --signal.");
        if (c.Channel != DimuonChannel.OS)
            throw new ArgumentException("--inject searches the OS channel (SPEC 1.2 fits the preprocessing on OS, and each count analyses the searched channel alone); drop --channel ss.");
        if (parse.GetValue(_control) is not null)
            throw new ArgumentException("--control is not used by --inject (each count analyses the searched channel alone); drop --control.");
        if (parse.GetValue(_preIsolation) is not null || parse.GetValue(_preIsolationMasses) is not null || parse.GetValue(_preIsolationWhere) is not null)
            throw new ArgumentException("--pre-isolation is drawn in a single run's figures; run the signal injection (--inject) without it.");
        var counts = SignalInjection.ParseCounts(text);
        bool gen = parse.GetValue(Options.Generate);
        if (!gen && signalFile is null)
            throw new ArgumentException("--inject on --data needs the signal events to mix in: give --signal FILE (with --generate the generator's signal is used).");
        // With --generate the counts go into the generator's background alone (count 0 has no signal), whichever the signal.
        var (data, generated) = gen ? SignalInjection.Generate(c, signalFile is null ? counts[^1] : 1) : (primary, null!);
        var signal = signalFile is null ? generated : SignalInjection.SignalFile(CathodeData.Load(signalFile, c.Channel, c));
        return (counts, data, signal, signalFile is not null);
    }

    /// <summary>The background-only sample of --method idealized: --background FILE, or with --generate the generator's (4 × the channel's size, no signal, its own seed).</summary>
    private CathodeChannelData? Background(ParseResult parse, CathodeConfig c, AnomalyMethod[] methods)
    {
        string? file = parse.GetValue(_background);
        if (!methods.Contains(AnomalyMethod.Idealized))
            return file is null ? null : throw new ArgumentException("--background is used by --method idealized only; add idealized to --method or drop --background.");
        if (file is not null) return CathodeData.Load(file, c.Channel, c);
        if (!parse.GetValue(Options.Generate)) return null;     // CathodeMethods.Require names what is missing
        return CathodeData.GenerateBackground(c);
    }

    protected override string KeptOnInterrupt(string outDir) =>
        $"the models finished so far are kept in {Path.Combine(outDir, "models")} (with --inject in each {Path.Combine(outDir, "inject-N", "models")}, " +
        "and every finished count's report in its inject-N folder); run again with --reuse to continue from them.";

    protected override int Write(string outDir, CathodeOutcome r) => r.Injection is { } study
        ? SignalInjection.Write(outDir, study, r.Config, r.Device, r.Preset, r.Seconds).Count
        : CathodeReport.Write(outDir, r.Results!, r.Primary!, r.Control).Count;

    protected override void PrintHeadline(IAnsiConsole console, CathodeOutcome r, double seconds)
    {
        if (r.Injection is { } study) PrintInjection(console, study, r, seconds);
        else PrintHeadline(console, r.Results!, seconds);
    }

    private static void PrintInjection(IAnsiConsole console, InjectionStudy study, CathodeOutcome r, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("signal injection")
            .AddColumns("injected", "S/B in SR", "S/√B", "Z no cut", "method", "max Z (FPR)", "reweighted Z", "max SIC");
        foreach (var p in study.Points)
            foreach (var m in SignalInjection.MethodsOrNone(p))
                table.AddRow(p.Injected.ToString("N0", CultureInfo.InvariantCulture), (p.SOverB * 100).ToString("F2", CultureInfo.InvariantCulture) + "%", F(p.SOverSqrtB),
                    F(p.InitialZ), Markup.Escape(m.Method), double.IsNaN(m.MaxZ) ? "–" : $"{F(m.MaxZ)} ({m.BestFpr.ToString("G3", CultureInfo.InvariantCulture)})", m.ReweightedZ is { } rz ? F(rz) : "–",
                    double.IsNaN(m.MaxSic) ? "–" : F(m.MaxSic));
        console.Write(table);
        console.MarkupLineInterpolated($"wall time {seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {r.Device} ({r.Preset} preset); each count's own report is in its inject-N folder");
    }

    protected override IEnumerable<Command> Subcommands(IAnsiConsole console) => [Pseudo(console)];

    /// <summary><c>fastad cathode pseudo</c>: bootstrap or null pseudoexperiments, sharded and resumable.</summary>
    private static Command Pseudo(IAnsiConsole console)
    {
        // Its own instance of the options: an option belongs to one command.
        var inputs = new CathodeCommand();
        return inputs.PseudoCommand(console);
    }

    private Command PseudoCommand(IAnsiConsole console)
    {
        var n = new Option<int>("--n") { Description = "Pseudoexperiments in the whole study (all shards).", DefaultValueFactory = _ => 100 };
        var mode = new Option<string>("--mode") { Description = "bootstrap (resample the data) or null (background-only pseudo-data from the flows).", DefaultValueFactory = _ => "bootstrap" };
        var retrain = new Option<string>("--retrain") { Description = "bdt (retrain the whole k-fold ensemble per pseudoexperiment) or none (score with the saved ensemble).", DefaultValueFactory = _ => "bdt" };
        var shard = new Option<string>("--shard") { Description = "i/K: run the pseudoexperiments j with j mod K = i (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).", DefaultValueFactory = _ => "0/1" };
        var batch = new Option<int>("--batch") { Description = "Pseudoexperiments trained together in one ensemble call (one launch on a device).", DefaultValueFactory = _ => 8 };
        var cmd = Options.With(new Command("pseudo", "Pseudoexperiments of the CATHODE chain (SPEC 1.6): each retrains the BDT ensemble and redoes the statistics; results are appended to --out/pseudo/*.jsonl and resume after a kill. Combine shards with `fastad merge`.")
, _control, _channel, n, mode, retrain, shard, batch);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = Configuration(parse, console);
            if (c is null) return 0;
            var m = EnumText.Parse<PseudoMode>(parse.GetValue(mode)!, "--mode");
            var rt = EnumText.Parse<PseudoRetrain>(parse.GetValue(retrain)!, "--retrain");
            var sh = Shard.Parse(parse.GetValue(shard)!);
            string outDir = parse.GetValue(Options.Output)!;
            string file = PseudoExperiments.ResultsPath(outDir, m, rt, sh);
            // Shards of one study share the folder (no `cathode` or `merge` meanwhile: they would replace the models the
            // shards read); one shard file has one writer (a second would append the same indices again).
            using var folderLock = FastAdCommand.ShareFolder(outDir);
            using var shardLock = FastAdCommand.LockFile(file);
            var (primary, ctrl, input) = Load(parse, c);
            var os = primary.Channel == DimuonChannel.OS ? primary : ctrl;
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(Options.Device));
            var request = new PseudoRequest(c, primary, os, outDir, m, rt, parse.GetValue(n), sh, parse.GetValue(batch));
            if (!AnalysisRunner.TryRun(console, parse.GetValue(Options.Quiet), $"every finished pseudoexperiment is saved in {file}; run the same command again to resume.",
                    (progress, token) => PseudoExperiments.Run(request, input, dev, progress, token), out var r))
                return AnalysisRunner.Interrupted;
            string rate = r.Added > 0 ? $", {(r.Added / r.Seconds * 3600).ToString("N0", CultureInfo.InvariantCulture)} per hour" : "";
            console.MarkupLineInterpolated($"shard {sh}: {r.Added} pseudoexperiments run now ({r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s{rate}), {r.Total} in {r.Path}");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>fastad merge</c>: combines pseudoexperiment shards and compares the null distribution with the asymptotic law.</summary>
    internal static Command Merge(IAnsiConsole console)
    {
        var inputs = new Argument<string[]>("DIR") { Description = "Output folders of `fastad cathode pseudo` or `fastad scan pseudo` (or their .jsonl files).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Where to write the merged table, null-distribution.json (or bootstrap-distribution.json) and the figure (default: the first folder)." };
        var cmd = new Command("merge", "Combine pseudoexperiment shards (refusing different configurations, duplicates named, gaps listed); null pseudoexperiments: compare the distribution of Z with ½δ(0) + ½χ²₁; bootstrap ones: the spread of each Z; null pseudo-scans: the scan's global p, Z_global, Gross-Vitells and the upcrossing counts.")
        {
            inputs, output,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var dirs = parse.GetValue(inputs)!;
            string outDir = parse.GetValue(output) ?? (Directory.Exists(dirs[0]) ? dirs[0] : Path.GetDirectoryName(Path.GetFullPath(dirs[0]))!);
            // Its own lock: a merge may look at shards that still run, beside the main run's outputs (its own manifest).
            using var outLock = FastAdCommand.LockFolder(outDir, lockName: OutputLock.MergeLockName);
            var files = PseudoMerge.Files(dirs);
            if (FastAD.Analyses.Scan.ScanPseudoMerge.AreScanShards(files))
            {
                // Null pseudo-scans of `fastad scan pseudo`: the scan's global significance.
                var (g, written) = FastAD.Analyses.Scan.ScanPseudoMerge.Merge(files, outDir);
                ScanCommand.PrintGlobal(console, g, files.Length, outDir, written);
                return 0;
            }
            var r = PseudoMerge.Merge(files, outDir);
            console.MarkupLineInterpolated($"{r.Results:N0} of {r.Header.Count:N0} pseudoexperiments from {r.Files} files ({r.Header.Mode}, retrain {r.Header.Retrain})");
            if (r.Missing.Length > 0)
                console.MarkupLineInterpolated($"[yellow]missing {r.Missing.Length} pseudoexperiments:[/] {string.Join(", ", r.Missing.Take(20))}{(r.Missing.Length > 20 ? ", ..." : "")}");
            if (r.IsBootstrap)
            {
                // Bootstrap pseudoexperiments resample the data: their spread is the statistical uncertainty of each Z.
                var spread = new Table().Border(TableBorder.Rounded).Title("spread over the bootstrap pseudoexperiments")
                    .AddColumns("significance", "mean", "sd", "16%", "median", "84%");
                foreach (var s in r.Spread)
                    spread.AddRow(Markup.Escape(s.Name), F(s.Mean), F(s.Sd), F(s.Q16), F(s.Median), F(s.Q84));
                console.Write(spread);
            }
            else foreach (var s in new[] { r.Reweighted, r.MaxOverScan })
            {
                var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(s.Name)).AddColumns("quantity", "value", "±", "asymptotic", "published");
                foreach (var t in s.Tails)
                    table.AddRow(Markup.Escape(t.Quantity), F(t.Fraction, 4), F(t.Error, 4), F(t.Asymptotic, 4), "");
                foreach (var q in s.Quantiles)
                    table.AddRow($"{(q.Level * 100).ToString("G3", CultureInfo.InvariantCulture)}% quantile", F(q.Value), F(q.Error), F(q.Asymptotic), q.Published is { } p ? F(p) : "");
                console.Write(table);
            }
            console.MarkupLineInterpolated($"written: {string.Join(", ", r.Written.Select(Path.GetFileName))} in {outDir}");
            return 0;
        }));
        return cmd;
    }

    private static string F(double v, int digits = 2) => AnalysisRunner.Number(v, digits);

    private static void PrintHeadline(IAnsiConsole console, CathodeResults r, double seconds)
    {
        var h = r.Headline;
        var (table, Row) = AnalysisRunner.HeadlineTable();
        Row($"initial Z ({r.Primary.Channel}, no cut)", F(h.InitialZ));
        Row("best CATHODE Z (cut and count)", $"{F(h.BestCathodeZ)} at FPR {h.BestCathodeFpr.ToString("G3", CultureInfo.InvariantCulture)}");
        Row("reweighted Z (likelihood reweighting)", h.ReweightedZ is { } rz ? F(rz) : "–");
        Row("best single-feature cut Z", $"{F(h.BestSingleCutZ)} ({h.BestSingleCutName})");
        Row("best two-feature cut Z (10 × 10 scan)", F(h.BestTwoFeatureCutZ));
        if (r.Primary.SidebandClosure is { } closure)
            Row($"sideband closure ({r.Primary.Channel})", closure.Outside
                ? $"WARNING: {CathodeAnalysis.ClosureText(closure)}: the flows do not model the sidebands"
                : CathodeAnalysis.ClosureText(closure));
        if (r.Control is not null)
        {
            Row($"{r.Control.Channel} max Z (control)", h.ControlMaxZ is { } cz ? F(cz) : "–");
            Row($"{r.Control.Channel} reweighted Z", h.ControlReweightedZ is { } crz ? F(crz) : "–");
        }
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s on {r.Device} ({r.Preset} preset)");
        console.Write(table);
    }
}

/// <summary>What <c>fastad cathode</c> hands to its report: one run (results and channel states) or a signal-injection study.</summary>
internal sealed record CathodeOutcome(CathodeResults? Results, CathodeAnalysis.ChannelState? Primary, CathodeAnalysis.ChannelState? Control,
    InjectionStudy? Injection, CathodeConfig Config, string Device, string Preset, double Seconds);
