using System.Diagnostics;
using FastAD.Analyses.Cathode;
using FastAD.Analyses.Reports;
using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Scan;

/// <summary>What a scan needs.</summary>
/// <param name="Config">The scan's and the chain's hyperparameters.</param>
/// <param name="Data">The searched channel's events over the whole range.</param>
/// <param name="Windows">The windows (SPEC 5.1, or explicit).</param>
/// <param name="OutDir">Output folder: finished windows and their models go to <c>OUT/windows/wNNN/</c>.</param>
/// <param name="Reuse">Reuse the saved models of an unfinished window (finished windows of the same inputs are always resumed).</param>
/// <param name="Preset">Preset name (for the report).</param>
/// <param name="Input">Where the data came from (for the report).</param>
/// <param name="FitOnly">Only the plain bump hunt (FPR = 1) in every window, no flows or classifiers: the fit-only scan and its global p in seconds.</param>
/// <param name="Background">A background-only sample of the same process over the scanned range, for <see cref="AnomalyMethod.Idealized"/>.</param>
public sealed record ScanRequest(ScanConfig Config, CathodeChannelData Data, ScanWindow[] Windows, string OutDir, bool Reuse, string Preset, string Input,
    bool FitOnly = false, CathodeChannelData? Background = null);

/// <summary>
/// The mass scan of SPEC 5: every window runs the CATHODE chain of SPEC 1.2–1.6 through the analysis's own stages —
/// <see cref="CathodeAnalysis.FitPreprocessing"/> on the window's events, <see cref="CathodeBackground.Train"/> (its flow
/// ensemble in one flow-training call, its SR samples in one evaluation call), <see cref="CathodeClassifier.Train"/> (its
/// k-fold BDTs in one ensemble call) and <see cref="WorkingPointScan"/> (every FPR of the set fitted in one batch) — in
/// the window's own model store. Windows run in batches of <c>scan.window_batch</c> side by side; each is saved
/// atomically when it finishes, so a killed scan continues from the last finished windows.
/// </summary>
public static class ScanAnalysis
{
    /// <summary>Saved result of a window, inside its folder.</summary>
    public const string WindowFile = "window.json";

    /// <summary>The folder of a window's saved result and models.</summary>
    public static string WindowFolder(string outDir, ScanWindow w) => Path.Combine(outDir, "windows", w.Folder);

    /// <summary>The events of <paramref name="data"/> inside the window's outer edges [sbl_low, sbh_high].</summary>
    public static CathodeChannelData Events(CathodeChannelData data, ScanWindow w)
    {
        var rows = Enumerable.Range(0, data.Rows).Where(i => data.Mass[i] >= w.SblLow && data.Mass[i] <= w.SbhHigh).ToArray();
        return data with
        {
            Mass = rows.Select(i => data.Mass[i]).ToArray(),
            Features = Rows.Gather(data.Features, rows, data.D),
            Truth = data.Truth is null ? null : rows.Select(i => data.Truth[i]).ToArray(),
        };
    }

    /// <summary>
    /// Checks every window before anything trains: too few sideband or SR events is an error naming the window, and a
    /// method without what it needs (truth for supervised, <paramref name="background"/> for idealized) an error naming it.
    /// </summary>
    /// <param name="c">The scan's configuration.</param>
    /// <param name="data">The searched events.</param>
    /// <param name="windows">The windows.</param>
    /// <param name="background">The background-only sample for idealized, if given.</param>
    /// <param name="methods">Whether to check the methods' needs too (false for the null pseudo-scans, which redo cathode alone).</param>
    public static void CheckWindows(ScanConfig c, CathodeChannelData data, IEnumerable<ScanWindow> windows, CathodeChannelData? background = null, bool methods = true)
    {
        if (methods) CathodeMethods.Require(data, c.Scan.Methods, background);
        bool idealized = methods && background is not null && c.Scan.Methods.Contains(AnomalyMethod.Idealized);
        foreach (var w in windows)
        {
            try { CathodeAnalysis.CheckTrainable(Events(data, w), c.ForWindow(w)); }
            catch (ArgumentException e) { throw new ArgumentException($"{w.Name}: {e.Message}"); }
            if (!idealized) continue;
            int inSr = background!.Mass.Count(m => m >= w.SrLow && m < w.SrHigh);
            if (inSr < c.Cathode.Bdt.Folds)
                throw new ArgumentException($"{w.Name}: the background-only sample ({background.Source}) has {inSr} events in this window's SR; " +
                                            $"--method idealized needs at least {c.Cathode.Bdt.Folds} (one per fold): give a background sample that covers the scanned range.");
        }
    }

    /// <summary>Runs (or resumes) every window, then the fit-only global p-value.</summary>
    public static ScanResults Run(ScanRequest request, RunContext run)
    {
        var c = request.Config;
        c.Validate();
        if (!request.FitOnly) CheckWindows(c, request.Data, request.Windows, request.Background);
        var sw = Stopwatch.StartNew();
        var results = new WindowResult[request.Windows.Length];
        int resumed = 0, ran = 0, done = 0;
        var running = new Stopwatch();
        var gate = new object();
        // Windows run in batches side by side (each from its own seeds and in its own folder, so the numbers do not depend
        // on the batch): the flow members of several windows keep every core busy where one window's leave some idle.
        int batch = request.FitOnly ? 1 : c.Scan.WindowBatch;
        void One(int k, CancellationToken cancel)
        {
            cancel.ThrowIfCancellationRequested();
            var w = request.Windows[k];
            var events = Events(request.Data, w);
            var wc = c.ForWindow(w);
            string identity = Identity(c, wc, events, request.FitOnly, request.Background is { } bkg && c.Scan.Methods.Contains(AnomalyMethod.Idealized) ? Events(bkg, w) : null);
            string dir = WindowFolder(request.OutDir, w);
            string file = Path.Combine(dir, WindowFile);
            var saved = Saved(file, identity);
            bool wasResumed = saved is not null;
            if (saved is not null) results[k] = saved;
            else
            {
                var t = Stopwatch.StartNew();
                var store = new ModelStore(dir, request.Reuse, "scan");
                WindowResult r;
                try { r = Window(new RunContext(run.Device, store, LabelledProgress.Of(run.Progress, $"window {w.Index}"), cancel), c, wc, w, events, identity, request.FitOnly, request.Background); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException && !cancel.IsCancellationRequested)
                {
                    // One window the chain cannot handle must not end the scan: it is recorded, with why, and named.
                    run.Warn("windows", $"{w.Name}: {e.Message}; the window is left out of the maxima");
                    r = new WindowResult(w, identity, 0, 0, 0, MethodNames(c, request.FitOnly).Select(m => FailedMethod(m, ScanFprs(c, request.FitOnly), e.Message)).ToArray(),
                        double.NaN, double.NaN, [], [], 0, e.Message);
                }
                results[k] = r with { Seconds = t.Elapsed.TotalSeconds };
                ReportJson.Save(file, results[k]);
            }
            lock (gate)
            {
                if (wasResumed) resumed++; else ran++;
                done++;
                int left = request.Windows.Length - done;
                string eta = ran == 0 ? "" : $"; ETA {FormatSeconds(running.Elapsed.TotalSeconds / ran * left)}";
                var best = results[k].Points.MaxBy(p => p.Z)!;
                string what = results[k].Failed is not null ? "failed"
                    : results[k].Methods[0].Failed is not null ? $"{results[k].Methods[0].Method} failed"
                    : $"max local Z {best.Z:F2} at FPR {best.TargetFpr:G3}{(results[k].Methods.Length > 1 ? $" ({results[k].Methods[0].Method})" : "")}";
                run.Report("windows", done, request.Windows.Length, $"{w.Name}: {what}{(wasResumed ? " (resumed)" : $" in {results[k].Seconds:F0} s")}{eta}");
            }
        }
        running.Start();
        if (batch == 1)
            for (int k = 0; k < request.Windows.Length; k++) One(k, run.Cancel);
        else
        {
            // A work queue of `batch` workers (a slow window does not hold a free slot). A worker's unexpected failure stops
            // the others at their next check; that failure is rethrown as it was, before any cancellation it caused.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancel);
            int next = -1;
            var workers = Enumerable.Range(0, batch).Select(_ => Task.Run(() =>
            {
                try
                {
                    for (int k; (k = Interlocked.Increment(ref next)) < request.Windows.Length;) One(k, stop.Token);
                }
                catch
                {
                    stop.Cancel();
                    throw;
                }
            })).ToArray();
            try { Task.WaitAll(workers); }
            catch (AggregateException) { }
            var errors = workers.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
            if ((errors.FirstOrDefault(e => e is not OperationCanceledException) ?? errors.FirstOrDefault()) is { } first)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            run.ThrowIfCancelled();
        }
        var fprs = ScanFprs(c, request.FitOnly);
        var finished = results.Where(r => r.Failed is null).ToArray();
        if (finished.Length == 0) throw new InvalidOperationException($"The chain failed in every window ({results[0].Window.Name}: {results[0].Failed}).");
        var perFpr = fprs.Select((f, j) => finished.Select(r => new ScanMaximum(r.Points[j].Z, r.Window.Index, f, r.Window.Centre)).MaxBy(m => m.Z)!).ToArray();
        var max = perFpr.MaxBy(m => m.Z)!;
        var methods = MethodNames(c, request.FitOnly);
        var perMethod = methods.Select((_, k) => Maximum(finished, k, fprs)).ToArray();
        FitOnlyGlobal? fitOnly = null;
        if (c.Scan.FitOnlyToys > 0 && fprs.Contains(1.0))
            fitOnly = run.Time("fit-only global p", () => FitOnlyStudy.Run(run, c, request.Data.Mass, finished.Select(r => r.Window).ToArray(), perFpr[Array.IndexOf(fprs, 1.0)].Z));
        return new ScanResults(typeof(ScanAnalysis).Assembly.GetName().Version?.ToString() ?? "", run.Device.Id, request.Input, request.Preset, c, fprs,
            results, max, perFpr, methods, perMethod, resumed, fitOnly, sw.Elapsed.TotalSeconds);
    }

    /// <summary>The method names of a scan's windows: the configured methods, or the plain bump hunt alone for the fit-only scan.</summary>
    public static string[] MethodNames(ScanConfig c, bool fitOnly) => fitOnly ? [FitOnlyMethod] : c.Scan.Methods.Select(m => m.Text()).ToArray();

    /// <summary>The name of the fit-only scan's one "method".</summary>
    public const string FitOnlyMethod = "bump hunt";

    /// <summary>Method <paramref name="k"/>'s largest local Z over the windows and the FPR set (null when it ran in no window).</summary>
    private static ScanMaximum? Maximum(WindowResult[] windows, int k, double[] fprs) =>
        windows.SelectMany(r => r.Methods[k].Points.Select((p, j) => new ScanMaximum(p.Z, r.Window.Index, fprs[j], r.Window.Centre)))
            .Where(m => !double.IsNaN(m.Z)).MaxBy(m => m.Z);

    private static WindowMethod FailedMethod(string method, double[] fprs, string why) =>
        new(method, fprs.Select(f => new WindowPoint(f, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, [])).ToArray(), double.NaN, double.NaN,
            fprs.Select(_ => double.NaN).ToArray(), why);

    /// <summary>
    /// What a window's numbers depend on: the chain's configuration, the FPR set, the methods, the window's bands and seed,
    /// its events and (for idealized) the background-only sample's events in it.
    /// </summary>
    internal static string Identity(ScanConfig c, CathodeConfig wc, CathodeChannelData events, bool fitOnly, CathodeChannelData? background = null) =>
        fitOnly ? ModelFingerprint.Of("scan window fit-only v2", wc.Statistics.Degree, wc.Statistics.BinsSr, wc.Regions.SblLow, wc.Regions.SrLow, wc.Regions.SrHigh, wc.Regions.SbhHigh, events.Mass)
            : ModelFingerprint.Of("scan window v2", YamlConfig.ToYaml(wc), string.Join(",", c.FprSet()), string.Join(",", c.Scan.Methods.Select(m => m.Text())),
                events.Mass, events.Features, events.Truth ?? [], background?.Mass ?? [], background?.Features ?? []);

    private static WindowResult? Saved(string file, string identity)
    {
        if (!File.Exists(file)) return null;
        try
        {
            var r = ReportJson.Load<WindowResult>(file);
            // A window saved by an older FastAD (no per-method results) is recomputed, not resumed.
            return r.Identity == identity && r.Methods is { Length: > 0 } ? r : null;
        }
        catch (InvalidDataException) { return null; }
    }

    /// <summary>
    /// The whole chain of one window: the background stage when a method uses the flows, CATHODE's classifier stage when
    /// cathode is among the methods, every other method's scores through <see cref="CathodeMethods.Scores"/>, and each
    /// method's statistics (with <paramref name="fitOnly"/>: the plain bump hunt alone). A method that cannot run in this
    /// window (too few true signal events for supervised, a flow that cannot train for ANODE) is recorded with why; the
    /// window fails only when its shared stages do.
    /// </summary>
    private static WindowResult Window(RunContext run, ScanConfig c, CathodeConfig wc, ScanWindow w, CathodeChannelData data, string identity, bool fitOnly,
        CathodeChannelData? background)
    {
        var band = CathodeAnalysis.Bands(data, wc);
        var sideband = band.Select(b => b is MassBand.Sbl or MassBand.Sbh).ToArray();
        var fprs = ScanFprs(c, fitOnly);
        if (fitOnly)
        {
            var (plain, plainCuts) = MethodStatistics(run, wc, data, band, sideband, FitOnlyMethod, new double[data.Rows], null, fprs, trained: false);
            return Checked(run, Result(w, wc, identity, band, [plain], double.NaN, double.NaN, Counts(wc, data, new double[data.Rows], plainCuts)));
        }
        var methods = c.Scan.Methods;
        CathodePreprocessing? pre = null;
        CathodeBackground.BackgroundSamples? bg = null;
        if (methods.Any(CathodeMethods.UsesFlows))
        {
            pre = CathodeAnalysis.FitPreprocessing(data, wc);
            bg = CathodeBackground.Train(run, wc, data, pre);
            run.ThrowIfCancelled();
        }
        CathodeClassifier.Scored? scored = null;
        if (methods.Contains(AnomalyMethod.Cathode))
        {
            scored = CathodeClassifier.Train(run, wc, data, bg!, flowsReused: bg!.Summaries.All(f => f.Reused));
            run.ThrowIfCancelled();
        }
        var seeds = CathodeBackground.Seeds(wc, data.Channel)["methods"];
        var results = new WindowMethod[methods.Count];
        double[][] counts = [];
        int countsFrom = -1;
        for (int k = 0; k < methods.Count; k++)
        {
            var method = methods[k];
            string name = method.Text();
            try
            {
                var scores = method == AnomalyMethod.Cathode ? scored!.Scores
                    : run.Time($"method {name} ({w.Name})", () => CathodeMethods.Scores(run, wc, data, band, pre, bg, method, background, seeds, keepModels: false));
                var (r, cuts) = MethodStatistics(run, wc, data, band, sideband, name, scores, method == AnomalyMethod.Cathode ? scored!.RocSampleScores : null, fprs, trained: true);
                results[k] = r;
                // The spectra of the first method that ran (the first, unless it could not run here); their FPR-1 point, the
                // uncut fit, is the same for every method and gives the sideband-fit check.
                if (countsFrom < 0) (counts, countsFrom) = (Counts(wc, data, scores, cuts), k);
            }
            catch (ArgumentException e) when (methods.Count > 1 && !run.Cancel.IsCancellationRequested)
            {
                // One method that cannot run here must not take the other methods' results with it.
                run.Warn("windows", $"--method {name}: {e.Message}");
                results[k] = FailedMethod(name, fprs, e.Message);
            }
            run.ThrowIfCancelled();
        }
        double closure = scored is not null ? ClosureAuc(run, wc, data, pre!, bg!, scored, sideband)
            : bg is not null ? run.Time($"closure ({w.Name})", () => SidebandClosureStage.Of(run, wc, data, pre!, bg)).Auc : double.NaN;
        double srVsSamples = double.NaN;
        if (scored is not null)
        {
            var sr = Enumerable.Range(0, data.Rows).Where(i => band[i] == MassBand.Sr).Select(i => scored.Scores[i]).ToArray();
            srVsSamples = ClassifierMetrics.Roc(sr, scored.RocSampleScores).Auc;
        }
        return Checked(run, Result(w, wc, identity, band, results, closure, srVsSamples, counts, Math.Max(0, countsFrom)));
    }

    /// <summary>Warns when the window's sidebands are not described by the polynomial (its Z is then not to be trusted).</summary>
    private static WindowResult Checked(RunContext run, WindowResult r)
    {
        if (r.PoorSidebandFit)
            run.Warn("windows", $"{SidebandFitText(r.SidebandFit!)}: the polynomial does not describe this window's sidebands (a resonance or an edge in them); its Z is not to be trusted");
        return r;
    }

    /// <summary>"sideband fit deviance 180.3 for 13 degrees of freedom (p = 2.1E-31)".</summary>
    public static string SidebandFitText(SidebandFitQuality f) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"sideband fit deviance {f.Deviance:F1} for {f.Ndf} degrees of freedom (p = {f.P:G2})");

    private static WindowResult Result(ScanWindow w, CathodeConfig wc, string identity, MassBand[] band, WindowMethod[] methods, double closure, double srVsSamples,
        double[][] counts, int countsFrom = 0) =>
        new(w, identity, band.Count(x => x == MassBand.Sbl), band.Count(x => x == MassBand.Sr), band.Count(x => x == MassBand.Sbh),
            methods, closure, srVsSamples, Edges(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr)), counts, 0, SidebandFit: SidebandFit(wc, methods[countsFrom], counts));

    /// <summary>The FPR-1 (uncut) fit's description of the sidebands, from a method's FPR-1 point and its counts (null without FPR 1 or a fit).</summary>
    private static SidebandFitQuality? SidebandFit(CathodeConfig wc, WindowMethod first, double[][] counts)
    {
        int j = Array.FindIndex(first.Points, p => p.TargetFpr >= 1);
        if (j < 0 || j >= counts.Length || first.Points[j].ThetaHat.Length == 0) return null;
        var model = new BackgroundModel(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr), wc.Statistics.Degree);
        var b = model.Binning;
        var sb = counts[j].Take(b.SblBins).Concat(counts[j].Skip(b.SblBins + b.SrEdges.Length - 1)).ToArray();
        var (d, ndf, p) = model.SidebandFit(first.Points[j].ThetaHat, sb);
        return new SidebandFitQuality(d, ndf, p);
    }

    /// <summary>The FPR set of a scan: the configured one, or FPR 1 alone for the fit-only scan.</summary>
    public static double[] ScanFprs(ScanConfig c, bool fitOnly) => fitOnly ? [1.0] : c.FprSet();

    /// <summary>
    /// One method's statistics in a window through <see cref="CathodeMethods.Evaluate"/> (the working points of the FPR set
    /// fitted in one batch, the reweighted Z, the truth figures and the sculpting), with each working point's cut for the
    /// spectra. All-equal scores give the plain bump hunt.
    /// </summary>
    private static (WindowMethod Result, double[] Cuts) MethodStatistics(RunContext run, CathodeConfig wc, CathodeChannelData data, MassBand[] band, bool[] sideband,
        string name, double[] scores, double[]? rocSampleScores, double[] fprs, bool trained)
    {
        var model = new BackgroundModel(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr), wc.Statistics.Degree);
        var m = CathodeMethods.Evaluate(name, model, ProfileLikelihoodFitter.For(run.Device), data.Mass, scores, sideband, fprs, data.Truth, rocSampleScores,
            data, band, scores, trained);
        var points = m.Scan.Points.Select(p => new WindowPoint(p.TargetFpr, p.Fpr, p.NSr, p.S, p.B, p.Z, p.P, p.ThetaHat)).ToArray();
        return (new WindowMethod(name, points, m.ReweightedZ ?? double.NaN, m.MaxSic, m.Sculpting), m.Scan.Points.Select(p => p.Cut).ToArray());
    }

    /// <summary>Per working point, the events with score ≥ its cut in each bump-hunt bin across the window (the figures' spectra).</summary>
    private static double[][] Counts(CathodeConfig wc, CathodeChannelData data, double[] scores, double[] cuts)
    {
        var edges = Edges(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr));
        return cuts.Select(cut => Histogram(edges, data.Mass.Where((_, i) => scores[i] >= cut))).ToArray();
    }

    /// <summary>The bump-hunt bin edges across a window (SBL, SR, SBH).</summary>
    private static double[] Edges(BumpHuntBinning b) => b.SblEdges.Concat(b.SrEdges.Skip(1)).Concat(b.SbhEdges.Skip(1)).ToArray();

    /// <summary>
    /// The flows' sideband closure: each sideband event gets a flow sample at its own mass (flow i mod E, through the
    /// flow-evaluation seam), scored by the models of the event's own test fold; the AUC of data against samples is 0.5
    /// when the classifier cannot tell the flows from the sideband data.
    /// </summary>
    private static double ClosureAuc(RunContext run, CathodeConfig wc, CathodeChannelData data, CathodePreprocessing pre, CathodeBackground.BackgroundSamples bg,
        CathodeClassifier.Scored scored, bool[] sideband)
    {
        var sb = Enumerable.Range(0, data.Rows).Where(i => sideband[i] && scored.Fold[i] >= 0).ToArray();
        if (sb.Length == 0) return double.NaN;
        int d = data.D;
        using var evaluator = FlowEvaluator.For(run.Device, bg.Flows, FlowPrecision.Double);
        var masses = pre.Masses(sb.Select(i => data.Mass[i]).ToArray());
        var noise = new double[sb.Length * d];
        FastAD.Kernels.Random.Philox4x32.FillNormal(noise, CathodeBackground.Seeds(wc, data.Channel)["closure"].Seed, 0);
        var samples = pre.InverseFeatures(evaluator.SampleRoundRobin(noise, masses, sb.Length));
        var ensemble = scored.Ensemble;
        var cols = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, sb.Length).Select(i => samples[i * d + j]).ToArray()).ToArray();
        var x = ensemble.Binner.Transform(cols);
        var sampleScores = new double[sb.Length];
        for (int f = 0; f < ensemble.Folds.Length; f++)
        {
            var rows = Enumerable.Range(0, sb.Length).Where(i => scored.Fold[sb[i]] == f).ToArray();
            if (rows.Length == 0) continue;
            var s = new Ensemble(ensemble.Binner, [new FoldSplit([], [], rows)], [ensemble.Models[f]]).OutOfFoldScores(x);
            foreach (int i in rows) sampleScores[i] = s[i];
        }
        return ClassifierMetrics.Roc(sb.Select(i => scored.Scores[i]).ToArray(), sampleScores).Auc;
    }

    private static double[] Histogram(double[] edges, IEnumerable<double> masses)
    {
        var h = new double[edges.Length - 1];
        foreach (var m in masses)
        {
            int k = Array.BinarySearch(edges, m);
            k = k >= 0 ? Math.Min(k, h.Length - 1) : ~k - 1;
            if (k >= 0 && k < h.Length) h[k]++;
        }
        return h;
    }

    private static string FormatSeconds(double s) => s < 90 ? $"{s:F0} s" : s < 5400 ? $"{s / 60:F0} min" : $"{s / 3600:F1} h";
}
