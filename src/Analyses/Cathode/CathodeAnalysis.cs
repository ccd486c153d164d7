using System.Diagnostics;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>The events of one channel: masses, row-major features (rows × D) and optional 0/1 truth.</summary>
public sealed record CathodeChannelData(string Channel, string Source, double[] Mass, double[] Features, string[] FeatureNames, double[]? Truth)
{
    /// <summary>Events.</summary>
    public int Rows => Mass.Length;
    /// <summary>Features per event.</summary>
    public int D => FeatureNames.Length;

    /// <summary>One feature column.</summary>
    public double[] Column(int j)
    {
        var c = new double[Rows];
        for (int i = 0; i < Rows; i++) c[i] = Features[i * D + j];
        return c;
    }
}

/// <summary>What a run needs.</summary>
/// <param name="Config">Hyperparameters.</param>
/// <param name="Primary">The channel searched.</param>
/// <param name="Control">The other channel (SS when searching OS), for the cross-checks; may be null.</param>
/// <param name="OutDir">Where trained models go (and are reused from).</param>
/// <param name="Reuse">Load flows and BDTs found in <paramref name="OutDir"/> instead of retraining.</param>
/// <param name="Preset">Name of the preset the config started from (for the report).</param>
/// <param name="Input">Where the data came from (for the report).</param>
public sealed record CathodeRequest(CathodeConfig Config, CathodeChannelData Primary, CathodeChannelData? Control, string OutDir, bool Reuse,
    string Preset, string Input)
{
    /// <summary>
    /// Refuse, rather than replace, saved flows trained on other inputs (pseudoexperiments reuse the main run's models and
    /// must not overwrite them).
    /// </summary>
    public bool KeepSavedModels { get; init; }
}

/// <summary>
/// The CATHODE analysis of SPEC 1 on one channel (and its control channel): preprocessing, the flow ensemble
/// on the sidebands, the sideband polynomial mass model and SR samples, the k-fold BDT ensemble with
/// out-of-fold scores, working-point scans against the single-feature and random baselines, the two-feature
/// cut scan, likelihood reweighting, the degree × binning variations and the cross-application of each
/// channel's ensemble to the other. Trained models are written to the output folder as soon as they exist.
/// </summary>
public static class CathodeAnalysis
{
    /// <summary>Minimum sideband events per band to train a flow.</summary>
    public const int MinSidebandEvents = 50;

    /// <summary>State of one channel after training, kept for the statistics and the cross-application.</summary>
    public sealed class ChannelState
    {
        internal ChannelState(CathodeChannelData data) => Data = data;
        /// <summary>The events.</summary>
        public CathodeChannelData Data { get; }
        /// <summary>Band of each event: −1 SBL, 0 SR, +1 SBH, 2 outside.</summary>
        public int[] Band { get; internal set; } = [];
        /// <summary>Out-of-fold score of every data event.</summary>
        public double[] Scores { get; internal set; } = [];
        /// <summary>Fold whose test set holds each data event.</summary>
        public int[] Fold { get; internal set; } = [];
        /// <summary>Flow samples in the SR (physical features, rows × D) of the ROC set and their masses.</summary>
        public double[] RocSamples { get; internal set; } = [];
        /// <summary>Masses of the ROC samples.</summary>
        public double[] RocSampleMasses { get; internal set; } = [];
        /// <summary>Ensemble scores of the ROC samples (mean over folds).</summary>
        public double[] RocSampleScores { get; internal set; } = [];
        /// <summary>The trained BDT ensemble.</summary>
        public Ensemble? Ensemble { get; internal set; }
        /// <summary>Flow summaries.</summary>
        public FlowSummary[] Flows { get; internal set; } = [];
        /// <summary>Sideband-fit coefficients (raw GeV) of the mass model.</summary>
        public double[] MassModel { get; internal set; } = [];
        /// <summary>Predicted SR count.</summary>
        public double PredictedSr { get; internal set; }
        /// <summary>Samples per set (all flows).</summary>
        public int SamplesPerSet { get; internal set; }
        /// <summary>Per feature, the events outside the preprocessing's fitted range, clamped to it before the flows (SPEC 1.2 remark).</summary>
        public int[] OutsideRange { get; internal set; } = [];
        /// <summary>Rows of the BDT matrix: SR data indices, then SB data indices (into the channel's events).</summary>
        internal int[] SrRows = [], SbRows = [];
    }

    /// <summary>Runs everything.</summary>
    public static (CathodeResults Results, ChannelState Primary, ChannelState? Control) Run(CathodeRequest request, ComputeDevice device,
        IProgress<StageProgress>? progress = null, CancellationToken cancel = default)
    {
        var c = request.Config;
        c.Validate();
        var seconds = new Dictionary<string, double>();
        var os = request.Primary.Channel == "OS" ? request.Primary : request.Control;
        var fitOn = os ?? request.Primary;
        var pre = Time(seconds, "preprocessing", () => FitPreprocessing(fitOn, c));
        // Fail on unusable input before anything is trained.
        CheckTrainable(request.Primary, c);
        if (request.Control is not null) CheckTrainable(request.Control, c);
        Directory.CreateDirectory(request.OutDir);
        var primary = Train(request, request.Primary, pre, device, seconds, progress, cancel);
        var control = request.Control is null ? null : Train(request, request.Control, pre, device, seconds, progress, cancel);
        cancel.ThrowIfCancellationRequested();
        var primaryResult = Time(seconds, "statistics", () => Statistics(c, primary, control, device, progress));
        var controlResult = control is null ? null : Time(seconds, "statistics", () => Statistics(c, control, primary, device, progress));
        var single = primaryResult.Baselines.Where(b => b.Name != "random").MaxBy(b => b.Best.Z) ?? primaryResult.Baselines.Last();
        var best = primaryResult.Cathode.Best;
        var headline = new CathodeHeadline(primaryResult.InitialZ, best.Z, best.Fpr, primaryResult.Reweighted?.Z, single.Best.Z, single.Name,
            primaryResult.TwoFeatureScan.PtCuts.Length > 0 ? primaryResult.TwoFeatureScan.Best.Z : double.NaN,
            controlResult?.Cathode.Points.Max(p => p.Z), controlResult?.Reweighted?.Z);
        var results = new CathodeResults(typeof(CathodeAnalysis).Assembly.GetName().Version?.ToString() ?? "", device.Id, request.Input, request.Preset, c,
            primaryResult, controlResult, headline, seconds);
        return (results, primary, control);
    }

    internal static T Time<T>(Dictionary<string, double> seconds, string stage, Func<T> body)
    {
        var sw = Stopwatch.StartNew();
        var r = body();
        seconds[stage] = seconds.GetValueOrDefault(stage) + sw.Elapsed.TotalSeconds;
        return r;
    }

    /// <summary>Band of each event (−1 SBL, 0 SR, +1 SBH, 2 outside [sbl_low, sbh_high]).</summary>
    public static int[] Bands(CathodeChannelData d, CathodeConfig c)
    {
        var r = c.Regions;
        return d.Mass.Select(m => m < r.SblLow || m > r.SbhHigh ? 2 : m < r.SrLow ? -1 : m < r.SrHigh ? 0 : 1).ToArray();
    }

    /// <summary>Throws a clear error when a channel has too few sideband or SR events to train on.</summary>
    public static void CheckTrainable(CathodeChannelData data, CathodeConfig c)
    {
        var band = Bands(data, c);
        int sbl = band.Count(b => b == -1), sr = band.Count(b => b == 0), sbh = band.Count(b => b == 1);
        if (sbl < MinSidebandEvents || sbh < MinSidebandEvents)
            throw new ArgumentException($"{data.Channel} ({data.Source}): {sbl} events in the low and {sbh} in the high sideband; " +
                                        $"training the background flow needs at least {MinSidebandEvents} in each.");
        if (sr < c.Bdt.Folds)
            throw new ArgumentException($"{data.Channel} ({data.Source}): {sr} events in the signal region; the {c.Bdt.Folds}-fold classifier needs at least {c.Bdt.Folds}.");
    }

    internal static BumpHuntBinning Binning(CathodeConfig c, int binsSr) =>
        new(c.Regions.SblLow, c.Regions.SrLow, c.Regions.SrHigh, c.Regions.SbhHigh, binsSr);

    private static ChannelState Train(CathodeRequest request, CathodeChannelData data, CathodePreprocessing pre, ComputeDevice device,
        Dictionary<string, double> seconds, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        var c = request.Config;
        var st = new ChannelState(data) { Band = Bands(data, c) };
        int d = data.D;
        var sblRows = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] == -1).ToArray();
        var sbhRows = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] == 1).ToArray();
        st.SrRows = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] == 0).ToArray();
        st.SbRows = sblRows.Concat(sbhRows).Order().ToArray();
        st.OutsideRange = pre.OutsideRange(data.Features);
        if (st.OutsideRange.Any(n => n > 0))
            progress?.Report(new StageProgress($"flows {data.Channel}", 0, 0,
                $"{OutsideRangeText(st)} outside the preprocessing range fitted on {(data.Channel == "OS" ? "this channel" : "OS")}: clamped to its edge", Warning: true));
        var bg = CathodeBackground.Train(request, data, pre, device, seconds, progress, cancel);
        ulong channelSeed = bg.ChannelSeed;
        st.Flows = bg.Summaries;
        st.MassModel = bg.MassModel;
        st.PredictedSr = bg.PredictedSr;
        st.SamplesPerSet = bg.SamplesPerSet;
        (st.RocSamples, st.RocSampleMasses) = (bg.RocSamples, bg.RocSampleMasses);

        // Classifier (SPEC 1.5): rows = SR data, SB data, samples (training then validation set, pooled in the rotation).
        var samples = bg.TrainingSamples;
        int nSr = st.SrRows.Length, nSb = st.SbRows.Length, nSamples = samples.Length / d;
        var columns = Enumerable.Range(0, d).Select(j =>
        {
            var col = new double[nSr + nSb + nSamples];
            for (int i = 0; i < nSr; i++) col[i] = data.Features[st.SrRows[i] * d + j];
            for (int i = 0; i < nSb; i++) col[nSr + i] = data.Features[st.SbRows[i] * d + j];
            for (int i = 0; i < nSamples; i++) col[nSr + nSb + i] = samples[i * d + j];
            return col;
        }).ToArray();
        var labels = new double[columns[0].Length];
        for (int i = 0; i < nSr; i++) labels[i] = 1;
        string bdtPath = CathodeModels.BdtPath(request.OutDir, data.Channel);
        // The BDTs depend on the flows (through their samples), the data and the classifier configuration.
        string bdtInputs = CathodeModels.BdtInputs(c, bg, data);
        var ensemble = Time(seconds, $"bdt ({data.Channel})", () =>
        {
            if (request.Reuse && File.Exists(bdtPath))
            {
                if (ModelFingerprint.Matches(CathodeModels.BdtInputsPath(request.OutDir, data.Channel), bdtInputs) && st.Flows.All(f => f.Reused))
                {
                    // The file itself must be intact and this channel's ensemble of these inputs; otherwise it is retrained.
                    try
                    {
                        var loaded = ModelFile.Load(bdtPath, CathodeModels.BdtIdentity(data.Channel, bdtInputs));
                        progress?.Report(new StageProgress($"BDTs {data.Channel}", 1, 1, $"reused {bdtPath}"));
                        return loaded;
                    }
                    catch (ModelFileException bad)
                    {
                        progress?.Report(new StageProgress($"BDTs {data.Channel}", 0, 1, $"{bdtPath} {bad.Reason}; retraining", Warning: true));
                    }
                }
                else
                    progress?.Report(new StageProgress($"BDTs {data.Channel}", 0, 1, $"{bdtPath} was trained on other inputs (data, flows or configuration): retraining", Warning: true));
            }
            // The saved fingerprint goes first: a run stopped between saving the new BDT and recording its inputs must not
            // leave the old inputs' fingerprint beside the new model.
            File.Delete(CathodeModels.BdtInputsPath(request.OutDir, data.Channel));
            var binner = QuantileBinner.Fit(data.FeatureNames, columns, seed: CathodeBackground.Seeds(c, data.Channel)["bdt"]["binning"].Seed);
            var x = binner.Transform(columns);
            var folds = CathodeFolds.Make(nSr, nSb, nSamples, c.Bdt.Folds, CathodeBackground.Seeds(c, data.Channel)["bdt"]["folds"].Seed);
            int total = c.Bdt.Folds * c.Bdt.Members;
            var p = c.BoostingParameters(data.Channel);
            progress?.Report(new StageProgress($"BDTs {data.Channel}", 0, total, $"{total} models {Ensemble.PathOn(device, p)}"));
            var bar = progress is null ? null : new CallbackProgress<int>(n => progress.Report(new StageProgress($"BDTs {data.Channel}", n, total)));
            var e = Ensemble.Train(device, binner, x, labels, folds, c.Bdt.Members, p, bar, cancel);
            progress?.Report(new StageProgress($"BDTs {data.Channel}", total, total));
            ModelFile.Save(bdtPath, e, CathodeModels.BdtIdentity(data.Channel, bdtInputs));
            ModelFingerprint.Write(CathodeModels.BdtInputsPath(request.OutDir, data.Channel), bdtInputs);
            return e;
        });
        st.Ensemble = ensemble;
        var xAll = ensemble.Binner.Transform(columns);
        var oof = ensemble.OutOfFoldScores(xAll);
        st.Scores = new double[data.Rows];
        Array.Fill(st.Scores, double.NaN);
        for (int i = 0; i < nSr; i++) st.Scores[st.SrRows[i]] = oof[i];
        for (int i = 0; i < nSb; i++) st.Scores[st.SbRows[i]] = oof[nSr + i];
        st.Fold = new int[data.Rows];
        Array.Fill(st.Fold, -1);
        for (int f = 0; f < ensemble.Folds.Length; f++)
            foreach (int r in ensemble.Folds[f].Test)
                st.Fold[r < nSr ? st.SrRows[r] : st.SbRows[r - nSr]] = f;
        st.RocSampleScores = MeanOverFolds(ensemble, st.RocSamples, d);
        return st;
    }

    /// <summary>Where each stage of a run with <paramref name="c"/> computes on <paramref name="device"/>, from the engines' seams (for the run's summary line).</summary>
    public static string DevicePlan(CathodeConfig c, ComputeDevice device)
    {
        // The path depends on the flows' kind, shape and settings, not on the data: three features stand in for the data's.
        var flows = Enumerable.Range(0, c.Flows.Ensemble).Select(k => (IConditionalFlow)new Spec13AffineMaf(3, 1, c.Flows.Hidden, c.Flows.Blocks, (ulong)k)).ToArray();
        var options = Enumerable.Range(0, c.Flows.Ensemble).Select(k => c.FlowOptions() with { Seed = (ulong)k }).ToArray();
        return $"flows {FlowTraining.PathOn(device, flows, options)}; BDTs {Ensemble.PathOn(device, c.BoostingParameters("OS"))}; fits on {device.Id}";
    }

    /// <summary>The SPEC 1.2 preprocessing, fitted on <paramref name="fitOn"/> (the OS channel).</summary>
    public static CathodePreprocessing FitPreprocessing(CathodeChannelData fitOn, CathodeConfig c)
    {
        var band = Bands(fitOn, c);
        return CathodePreprocessing.Fit(fitOn.Mass, fitOn.Features, fitOn.D, band.Select(b => b is -1 or 1).ToArray());
    }

    /// <summary>Scores rows (row-major features) with every fold's models, averaged over folds.</summary>
    public static double[] MeanOverFolds(Ensemble ensemble, double[] features, int d)
    {
        int n = features.Length / d;
        var cols = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, n).Select(i => features[i * d + j]).ToArray()).ToArray();
        var x = ensemble.Binner.Transform(cols);
        var all = Enumerable.Range(0, n).ToArray();
        var mean = new double[n];
        for (int f = 0; f < ensemble.Folds.Length; f++)
        {
            var s = new Ensemble(ensemble.Binner, [new FoldSplit([], [], all)], [ensemble.Models[f]]).OutOfFoldScores(x);
            for (int i = 0; i < n; i++) mean[i] += s[i] / ensemble.Folds.Length;
        }
        return mean;
    }


    // ---------------------------------------------------------------- statistics

    private static ChannelResult Statistics(CathodeConfig c, ChannelState st, ChannelState? other, ComputeDevice device, IProgress<StageProgress>? progress)
    {
        var data = st.Data;
        string stage = $"statistics {data.Channel}";
        progress?.Report(new StageProgress(stage, 0, 6));
        var fitter = ProfileLikelihoodFitter.For(device);
        var model = new BackgroundModel(Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
        var inRange = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] != 2).ToArray();
        var masses = inRange.Select(i => data.Mass[i]).ToArray();
        var sideband = inRange.Select(i => st.Band[i] != 0).ToArray();
        var truth = data.Truth is null ? null : inRange.Select(i => data.Truth[i]).ToArray();
        var scores = inRange.Select(i => st.Scores[i]).ToArray();
        var fprs = ClassifierMetrics.FprGrid(c.Statistics.FprPoints, c.Statistics.FprLowest).Concat(c.Statistics.HistogramFprs)
            .Distinct().OrderByDescending(f => f).ToArray();

        var initial = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, default, out _));
        var cathode = WorkingPointScan.Scan("CATHODE", model, fitter, masses, scores, sideband, fprs, truth, st.RocSampleScores);
        progress?.Report(new StageProgress(stage, 1, 6));

        // Classical baselines: one feature at a time, and uniform random scores.
        var baselines = new List<ScanCurve>();
        foreach (var (name, high) in BaselineFeatures(c))
        {
            int j = Array.IndexOf(data.FeatureNames, name);
            if (j < 0) continue;
            var s = inRange.Select(i => high ? data.Features[i * data.D + j] : -data.Features[i * data.D + j]).ToArray();
            baselines.Add(WorkingPointScan.Scan($"{name} {(high ? "high" : "low")}", model, fitter, masses, s, sideband, fprs, truth, null));
        }
        var random = new double[masses.Length];
        Philox4x32.FillUniform(random, SeedTree.Of(c.Seed)["cathode"]["random-cut"].Seed, 0);
        baselines.Add(WorkingPointScan.Scan("random", model, fitter, masses, random, sideband, fprs, truth, null));
        progress?.Report(new StageProgress(stage, 2, 6));

        var cutScan = TwoFeatureScan(c, data, inRange, model, fitter, masses, sideband);
        progress?.Report(new StageProgress(stage, 3, 6));

        var reweighted = WorkingPointScan.Reweight(fitter, model, masses, scores);
        progress?.Report(new StageProgress(stage, 4, 6));

        var variations = new List<Variation>();
        foreach (int degree in c.Statistics.VariationDegrees)
            foreach (int bins in c.Statistics.VariationBins)
            {
                var vm = new BackgroundModel(Binning(c, bins), degree);
                var scan = WorkingPointScan.Scan("variation", vm, fitter, masses, scores, sideband, fprs, null, null);
                variations.Add(new Variation(degree, bins, scan.Points.Select(p => p.Fpr).ToArray(), scan.Points.Select(p => p.Z).ToArray(),
                    WorkingPointScan.Reweight(fitter, vm, masses, scores)?.Z ?? double.NaN));
            }
        progress?.Report(new StageProgress(stage, 5, 6));

        // Cross-application: this channel's events scored by the other channel's ensemble, fold by fold.
        ScanCurve? cross = null;
        if (other?.Ensemble is { } otherEnsemble && st.Ensemble is { } own)
        {
            var crossScores = CrossScores(otherEnsemble, own, st);
            cross = WorkingPointScan.Scan($"{other.Data.Channel} ensemble on {data.Channel}", model, fitter, masses, inRange.Select(i => crossScores[i]).ToArray(), sideband, fprs, truth, null);
        }
        progress?.Report(new StageProgress(stage, 6, 6));

        double truthAuc = double.NaN;
        int truthInSr = 0;
        if (data.Truth is not null)
        {
            var sig = st.SrRows.Where(i => data.Truth[i] == 1).Select(i => st.Scores[i]).ToArray();
            var bkg = st.SrRows.Where(i => data.Truth[i] != 1).Select(i => st.Scores[i]).ToArray();
            truthInSr = sig.Length;
            if (sig.Length > 0 && bkg.Length > 0) truthAuc = ClassifierMetrics.Roc(sig, bkg).Auc;
        }
        double srVsSamples = ClassifierMetrics.Roc(st.SrRows.Select(i => st.Scores[i]).ToArray(), st.RocSampleScores).Auc;
        var allModels = st.Ensemble!.Models.SelectMany(x => x).ToArray();
        return new ChannelResult(data.Channel, data.Rows, st.Band.Count(b => b == -1), st.Band.Count(b => b == 0), st.Band.Count(b => b == 1), truthInSr,
            initial.Z[0], initial.S[0], initial.B[0], st.PredictedSr, st.SamplesPerSet, st.Flows, allModels.Length, allModels.Average(m => m.Trees.Length),
            srVsSamples, truthAuc, cathode, baselines.ToArray(), reweighted, cutScan, variations.ToArray(),
            cross, other?.Data.Channel,
            Enumerable.Range(0, data.D).Where(j => st.OutsideRange[j] > 0).ToDictionary(j => data.FeatureNames[j], j => st.OutsideRange[j]));
    }

    /// <summary>The single-feature cuts: each high-side feature cut from above, each low-side feature from below.</summary>
    private static IEnumerable<(string Name, bool High)> BaselineFeatures(CathodeConfig c) =>
        c.Baselines.High.Select(n => (n, true)).Concat(c.Baselines.Low.Select(n => (n, false)));

    private static double[] CrossScores(Ensemble other, Ensemble own, ChannelState st)
    {
        // The other channel's fold-f models score this channel's events in its own fold f (its test rows).
        var data = st.Data;
        int nSr = st.SrRows.Length, nSb = st.SbRows.Length, d = data.D;
        var cols = Enumerable.Range(0, d).Select(j =>
            st.SrRows.Concat(st.SbRows).Select(i => data.Features[i * d + j]).ToArray()).ToArray();
        var x = other.Binner.Transform(cols);
        int folds = Math.Min(other.Folds.Length, own.Folds.Length);
        var splits = own.Folds.Take(folds).Select(f => new FoldSplit([], [], f.Test.Where(r => r < nSr + nSb).ToArray())).ToArray();
        var s = new Ensemble(other.Binner, splits, other.Models.Take(folds).ToArray()).OutOfFoldScores(x);
        var result = new double[data.Rows];
        Array.Fill(result, double.NaN);
        for (int i = 0; i < nSr; i++) result[st.SrRows[i]] = s[i];
        for (int i = 0; i < nSb; i++) result[st.SbRows[i]] = s[nSr + i];
        return result;
    }

    /// <summary>"3 events in mu0_ip3d, 1 in dimu_pt": the clamped values of a channel, for notes and the report.</summary>
    public static string OutsideRangeText(ChannelState st) =>
        string.Join(", ", Enumerable.Range(0, st.Data.D).Where(j => st.OutsideRange[j] > 0)
            .Select((j, k) => $"{st.OutsideRange[j]:N0} {(k == 0 ? (st.OutsideRange[j] == 1 ? "event" : "events") + " in " : "in ")}{st.Data.FeatureNames[j]}"));


    private static CutScan TwoFeatureScan(CathodeConfig c, CathodeChannelData data, int[] inRange, BackgroundModel model, ProfileLikelihoodFitter fitter,
        double[] masses, bool[] sideband)
    {
        int steps = c.Statistics.CutScanSteps;
        string ptName = c.Baselines.High.FirstOrDefault() ?? data.FeatureNames[0];
        var ipNames = c.Baselines.Low.Where(n => data.FeatureNames.Contains(n)).ToArray();
        int jp = Array.IndexOf(data.FeatureNames, ptName);
        if (jp < 0 || ipNames.Length == 0)
            return new CutScan(ptName, ipNames, [], [], []);
        var pt = inRange.Select(i => data.Features[i * data.D + jp]).ToArray();
        var ipMax = inRange.Select(i => ipNames.Max(n => data.Features[i * data.D + Array.IndexOf(data.FeatureNames, n)])).ToArray();
        double Quantile(double[] v, double q)
        {
            var s = v.Where((_, i) => sideband[i]).Order().ToArray();
            return s[Math.Clamp((int)Math.Floor(q * (s.Length - 1)), 0, s.Length - 1)];
        }
        // pt > a for a at the 0, 10, …, 90% sideband quantiles (the first is below every event: no cut);
        // both ip3d < b for b at the 100, 90, …, 10% quantiles of the larger ip3d (the first: no cut).
        var ptCuts = Enumerable.Range(0, steps).Select(k => k == 0 ? double.NegativeInfinity : Quantile(pt, k / (double)steps)).ToArray();
        var ipCuts = Enumerable.Range(0, steps).Select(k => k == 0 ? double.PositiveInfinity : Quantile(ipMax, 1 - k / (double)steps)).ToArray();
        var spectra = new Spectra(steps * steps, model.Rows);
        var fittable = new bool[steps * steps];
        for (int a = 0; a < steps; a++)
            for (int b = 0; b < steps; b++)
            {
                var pass = masses.Where((_, i) => pt[i] > ptCuts[a] && ipMax[i] < ipCuts[b]).ToArray();
                var one = Spectra.FromEvents(model.Binning, pass, default, out _);
                int row = a * steps + b;
                Array.Copy(one.N, 0, spectra.N, row * model.Rows, model.Rows);
                Array.Copy(one.K, 0, spectra.K, row * model.Rows, model.Rows);
                try { one.CheckFittable(model); fittable[row] = true; } catch (ArgumentException) { }
            }
        var r = fitter.Fit(model, spectra);
        var z = Enumerable.Range(0, steps).Select(a => Enumerable.Range(0, steps).Select(b => fittable[a * steps + b] ? r.Z[a * steps + b] : 0).ToArray()).ToArray();
        return new CutScan(ptName, ipNames, ptCuts, ipCuts, z);
    }
}
