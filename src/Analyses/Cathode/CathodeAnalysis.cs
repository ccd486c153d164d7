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

    private static T Time<T>(Dictionary<string, double> seconds, string stage, Func<T> body)
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

    private static BumpHuntBinning Binning(CathodeConfig c, int binsSr) =>
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
        var bg = TrainBackground(request, data, pre, device, seconds, progress, cancel);
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
            var binner = QuantileBinner.Fit(data.FeatureNames, columns, seed: Seeds(c, data.Channel)["bdt"]["binning"].Seed);
            var x = binner.Transform(columns);
            var folds = CathodeFolds.Make(nSr, nSb, nSamples, c.Bdt.Folds, Seeds(c, data.Channel)["bdt"]["folds"].Seed);
            int total = c.Bdt.Folds * c.Bdt.Members;
            var p = c.BoostingParameters();
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

    /// <summary>The background model of a channel: its flows, the sideband mass polynomial and the three SR sample sets.</summary>
    /// <param name="Flows">The trained (or reused) flows.</param>
    /// <param name="Summaries">Their training summaries.</param>
    /// <param name="MassModel">Raw-GeV coefficients of the sideband fit.</param>
    /// <param name="PredictedSr">SR events the polynomial predicts.</param>
    /// <param name="SamplesPerSet">Samples in each set (all flows).</param>
    /// <param name="TrainingSamples">Training and validation sets pooled (physical features, rows × D): the classifier's label 0.</param>
    /// <param name="RocSamples">The independent ROC set.</param>
    /// <param name="RocSampleMasses">Masses of the ROC set.</param>
    /// <param name="ChannelSeed">Seed of this channel's streams.</param>
    /// <param name="FlowInputs">Fingerprint of the flows' training inputs and configuration (see <see cref="ModelFingerprint"/>).</param>
    public sealed record BackgroundSamples(MaskedAutoregressiveFlow[] Flows, FlowSummary[] Summaries, double[] MassModel, double PredictedSr, int SamplesPerSet,
        double[] TrainingSamples, double[] RocSamples, double[] RocSampleMasses, ulong ChannelSeed, string FlowInputs);

    /// <summary>Where each stage of a run with <paramref name="c"/> computes on <paramref name="device"/>, from the engines' seams (for the run's summary line).</summary>
    public static string DevicePlan(CathodeConfig c, ComputeDevice device)
    {
        // The path depends on the flows' kind, shape and settings, not on the data: three features stand in for the data's.
        var flows = Enumerable.Range(0, c.Flows.Ensemble).Select(k => (IConditionalFlow)new MaskedAutoregressiveFlow(3, 1, c.Flows.Hidden, c.Flows.Blocks, (ulong)k)).ToArray();
        var options = Enumerable.Range(0, c.Flows.Ensemble).Select(k => c.FlowOptions(k) with { Seed = (ulong)k }).ToArray();
        return $"flows {FlowTraining.PathOn(device, flows, options)}; BDTs {Ensemble.PathOn(device, c.BoostingParameters())}; fits on {device.Id}";
    }

    /// <summary>Seed of a channel's random streams.</summary>
    public static ulong ChannelSeed(CathodeConfig c, string channel) => Seeds(c, channel).Seed;

    /// <summary>A channel's node of the run's seed tree, <c>cathode/os</c> or <c>cathode/ss</c>: every random stream of the channel hangs below it.</summary>
    internal static SeedTree Seeds(CathodeConfig c, string channel) => SeedTree.Of(c.Seed)["cathode"][channel.ToLowerInvariant()];

    /// <summary>
    /// SPEC 1.3–1.4 for one channel: flows on the sidebands (80/20 split separately in SBL and SBH; saved, or reused when
    /// <see cref="CathodeRequest.Reuse"/>), the sideband polynomial, and SR samples at masses drawn from it (training,
    /// validation and ROC sets).
    /// </summary>
    public static BackgroundSamples TrainBackground(CathodeRequest request, CathodeChannelData data, CathodePreprocessing pre, ComputeDevice device,
        Dictionary<string, double> seconds, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        var c = request.Config;
        var band = Bands(data, c);
        var sblRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == -1).ToArray();
        var sbhRows = Enumerable.Range(0, data.Rows).Where(i => band[i] == 1).ToArray();
        ulong channelSeed = ChannelSeed(c, data.Channel);
        FlowSummary[] summaries = [];
        string flowInputs = "";
        var flows = Time(seconds, $"flows ({data.Channel})", () => TrainFlows(request, data, pre, device, sblRows, sbhRows, channelSeed, progress, cancel, out summaries, out flowInputs));
        cancel.ThrowIfCancellationRequested();
        var (theta, predicted) = Time(seconds, $"sampling ({data.Channel})", () =>
        {
            var model = new BackgroundModel(Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
            var spectra = Spectra.FromEvents(model.Binning, data.Mass, default, out _);
            spectra.CheckFittable(model);
            var fit = new ManagedProfileFitter().Fit(model, spectra);
            return (fit.ThetaHatOf(0).ToArray(), fit.B[0]);
        });
        int perFlow = c.Flows.SamplesPerFlow > 0 ? c.Flows.SamplesPerFlow : Math.Max(1, (int)Math.Round(predicted));
        var sets = Time(seconds, $"sampling ({data.Channel})", () =>
            Enumerable.Range(0, 3).Select(set => SampleSet(flows, pre, theta, c, perFlow, Seeds(c, data.Channel), set)).ToArray());
        progress?.Report(new StageProgress($"sampling {data.Channel}", 1, 1, $"{perFlow * flows.Length:N0} samples per set"));
        return new BackgroundSamples(flows, summaries, theta, predicted, perFlow * flows.Length, sets[0].X.Concat(sets[1].X).ToArray(), sets[2].X, sets[2].Mass, channelSeed,
            flowInputs);
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

    private static MaskedAutoregressiveFlow[] TrainFlows(CathodeRequest request, CathodeChannelData data, CathodePreprocessing pre, ComputeDevice device, int[] sblRows, int[] sbhRows,
        ulong channelSeed, IProgress<StageProgress>? progress, CancellationToken cancel, out FlowSummary[] summaries, out string inputs)
    {
        var c = request.Config;
        int d = data.D;
        var z = pre.Features(data.Features);
        var m = pre.Masses(data.Mass);
        // Validation: a seeded fraction of each sideband band.
        var valRows = new List<int>();
        var trainRows = new List<int>();
        foreach (var (rows, band) in new[] { (sblRows, "sbl"), (sbhRows, "sbh") })
        {
            var u = new double[rows.Length];
            Philox4x32.FillUniform(u, Seeds(c, data.Channel)["flows"]["validation"][band].Seed, 0);
            var order = Enumerable.Range(0, rows.Length).OrderBy(i => u[i]).ToArray();
            int nVal = Math.Max(1, (int)Math.Round(rows.Length * c.Flows.ValidationFraction));
            for (int k = 0; k < order.Length; k++) (k < nVal ? valRows : trainRows).Add(rows[order[k]]);
        }
        var xTrain = Rows.Gather(z, trainRows, d);
        var xVal = Rows.Gather(z, valRows, d);
        var cTrain = Rows.Gather(m, trainRows, 1);
        var cVal = Rows.Gather(m, valRows, 1);
        // Saved flows are reused only when they were trained from exactly these inputs; otherwise they are removed before
        // training, so an interrupted run never leaves flows of other inputs under this fingerprint.
        inputs = ModelFingerprint.Of("cathode flows v1", YamlConfig.ToYaml(c.Flows), channelSeed, xTrain, cTrain, xVal, cVal);
        string fingerprint = CathodeModels.FlowInputsPath(request.OutDir, data.Channel);
        bool same = request.Reuse && ModelFingerprint.Matches(fingerprint, inputs);
        if (!same)
        {
            var stale = Enumerable.Range(0, 100).Select(k => CathodeModels.FlowPath(request.OutDir, data.Channel, k)).Where(File.Exists).ToArray();
            if (request.KeepSavedModels && stale.Length > 0)
                throw new InvalidDataException($"The {data.Channel} flows in {CathodeModels.Folder(request.OutDir)} were trained on other inputs (data, seed or flows " +
                                               "configuration) than this run's: use the options of the `fastad cathode` run that made them, or another --out.");
            if (request.Reuse && stale.Length > 0)
                progress?.Report(new StageProgress($"flows {data.Channel}", 0, 1,
                    $"the saved {data.Channel} flows in {CathodeModels.Folder(request.OutDir)} were trained on other inputs (data, seed or flows configuration): retraining", Warning: true));
            foreach (var f in stale) File.Delete(f);
            ModelFingerprint.Write(fingerprint, inputs);
        }
        // Each saved member must be intact and carry this member's identity (channel, index, inputs): a damaged file or one
        // copied from another channel or member is retrained (with a note naming it), or refused when the saved models must be kept.
        string flowInputs = inputs;
        var reusable = new MaskedAutoregressiveFlow?[c.Flows.Ensemble];
        for (int k = 0; k < reusable.Length && same; k++)
        {
            string path = CathodeModels.FlowPath(request.OutDir, data.Channel, k);
            if (!File.Exists(path)) continue;
            MaskedAutoregressiveFlow loaded;
            try { loaded = FlowFile.Load(path, CathodeModels.FlowIdentity(data.Channel, k, flowInputs)); }
            catch (ModelFileException e) when (!request.KeepSavedModels)
            {
                progress?.Report(new StageProgress($"flows {data.Channel}", 0, 1, $"{path} {e.Reason}; retraining", Warning: true));
                continue;
            }
            catch (ModelFileException e)
            {
                throw e.WithHint(CathodeModels.RetrainHint);
            }
            reusable[k] = loaded.D == d && loaded.C == 1 && loaded.Made.Length == c.Flows.Blocks && loaded.Made[0].H == c.Flows.Hidden ? loaded : null;
        }
        var members = FlowStage.Train(device, c.Flows.Ensemble,
            k => reusable[k],
            k => new MaskedAutoregressiveFlow(d, 1, c.Flows.Hidden, c.Flows.Blocks, Seeds(c, data.Channel)["flows"][k]["init"].Seed),
            k => c.FlowOptions(k) with { Seed = Seeds(c, data.Channel)["flows"][k]["shuffle"].Seed },
            (k, flow) => FlowFile.Save(CathodeModels.FlowPath(request.OutDir, data.Channel, k), flow, identity: CathodeModels.FlowIdentity(data.Channel, k, flowInputs)),
            xTrain, cTrain, xVal, cVal, c.Flows.Epochs, $"flows {data.Channel}",
            $"{c.Flows.Ensemble} flows on {trainRows.Count:N0} + {valRows.Count:N0} sideband events", progress, cancel);
        summaries = members.Select((mb, k) => mb.Training is { } r
            ? new FlowSummary(k, r.BestEpoch, r.ValidationLoss[r.BestEpoch], r.ValidationLoss.Length, false)
            : new FlowSummary(k, -1, FlowTrainer.ValidationLoss(mb.Flow, xVal, cVal, valRows.Count), 0, true)).ToArray();
        return members.Select(mb => mb.Flow).ToArray();
    }

    /// <summary>
    /// One sample set: each flow draws <paramref name="perFlow"/> masses from the sideband polynomial restricted to the SR
    /// and features x ~ p(x|m) at those masses; returns physical features (rows × D) and masses.
    /// </summary>
    private static (double[] X, double[] Mass) SampleSet(MaskedAutoregressiveFlow[] flows, CathodePreprocessing pre, double[] theta, CathodeConfig c,
        int perFlow, SeedTree seeds, int set)
    {
        int d = flows[0].D;
        var xs = new double[flows.Length * perFlow * d];
        var ms = new double[flows.Length * perFlow];
        Parallel.For(0, flows.Length, k =>
        {
            var node = seeds["sampling"][set][k];
            var masses = SampleMasses(theta, c.Regions.SrLow, c.Regions.SrHigh, perFlow, node["masses"].Seed, 0);
            var noise = new double[perFlow * d];
            Philox4x32.FillNormal(noise, node["noise"].Seed, 0);
            var x = new double[perFlow * d];
            flows[k].Sample(noise, pre.Masses(masses), x, flows[k].NewPass(perFlow));
            var phys = pre.InverseFeatures(x);
            Array.Copy(phys, 0, xs, k * perFlow * d, phys.Length);
            Array.Copy(masses, 0, ms, k * perFlow, perFlow);
        });
        return (xs, ms);
    }

    /// <summary>Masses from the polynomial f (raw GeV coefficients) on [low, high] by rejection (Philox stream).</summary>
    public static double[] SampleMasses(double[] theta, double low, double high, int count, ulong seed, ulong stream)
    {
        double fmax = 0;
        for (int i = 0; i <= 200; i++) fmax = Math.Max(fmax, BackgroundModel.Evaluate(theta, low + (high - low) * i / 200.0));
        if (!(fmax > 0)) throw new InvalidOperationException($"The sideband polynomial is not positive on [{low}, {high}]; no SR masses can be drawn.");
        fmax *= 1.02;
        var result = new double[count];
        var u = new double[2 * Math.Max(count, 64)];
        long offset = 0;
        int got = 0;
        while (got < count)
        {
            Philox4x32.FillUniform(u, seed, stream, offset);
            offset += u.Length;
            for (int i = 0; i + 1 < u.Length && got < count; i += 2)
            {
                double m = low + (high - low) * u[i];
                if (u[i + 1] * fmax <= Math.Max(BackgroundModel.Evaluate(theta, m), 0)) result[got++] = m;
            }
        }
        return result;
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
