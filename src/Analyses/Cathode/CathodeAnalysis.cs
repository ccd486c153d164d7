using System.Diagnostics;
using FastAD.Data.Synthetic;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>The events of one channel: masses, row-major features (rows × D) and optional 0/1 truth.</summary>
public sealed record CathodeChannelData(DimuonChannel Channel, string Source, double[] Mass, double[] Features, string[] FeatureNames, double[]? Truth)
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
/// <param name="Methods">The methods of SPEC 6 compared on the searched channel's events (null or CATHODE alone: none beside it).</param>
/// <param name="Background">A background-only sample of the searched channel's process, for <see cref="AnomalyMethod.Idealized"/>.</param>
/// <param name="PreIsolation">The searched channel's events before the anti-isolation cut, drawn dashed in the figures; may be null.</param>
/// <param name="CompareMethods">Run the methods stage even for CATHODE alone (its SIC and the methods table; the signal injection needs them).</param>
public sealed record CathodeRequest(CathodeConfig Config, CathodeChannelData Primary, CathodeChannelData? Control, string OutDir, bool Reuse,
    string Preset, string Input, IReadOnlyList<AnomalyMethod>? Methods = null, CathodeChannelData? Background = null,
    PreIsolationSample? PreIsolation = null, bool CompareMethods = false);

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
        /// <summary>Mass band of each event.</summary>
        public MassBand[] Band { get; internal set; } = [];
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
        /// <summary>The background model's closure in the sidebands (SPEC 6).</summary>
        public SidebandClosure? Closure { get; internal set; }
        /// <summary>The methods compared on these events (SPEC 6), when asked for.</summary>
        public MethodResult[]? Methods { get; internal set; }

        /// <summary>The searched channel's events before the anti-isolation cut, when given (drawn dashed in the figures).</summary>
        public PreIsolationSample? PreIsolation { get; internal set; }
        /// <summary>The background stage's output (flows and samples), for the methods that build on it.</summary>
        internal CathodeBackground.BackgroundSamples? Background;
        /// <summary>Indices of the SR events.</summary>
        internal int[] SrRows = [];
    }

    /// <summary>Runs everything.</summary>
    public static (CathodeResults Results, ChannelState Primary, ChannelState? Control) Run(CathodeRequest request, ComputeDevice device,
        IProgress<StageProgress>? progress = null, CancellationToken cancel = default) =>
        Run(request, new RunContext(device, new ModelStore(request.OutDir, request.Reuse, "cathode"), progress, cancel));

    /// <summary>
    /// Runs everything in <paramref name="run"/>: the preprocessing (fitted on OS), then per channel the background stage
    /// (<see cref="CathodeBackground"/>) and the classifier stage (<see cref="CathodeClassifier"/>), then the statistics
    /// stage of each channel (<see cref="CathodeStatistics"/>).
    /// </summary>
    public static (CathodeResults Results, ChannelState Primary, ChannelState? Control) Run(CathodeRequest request, RunContext run)
    {
        var c = request.Config;
        c.Validate();
        var os = request.Primary.Channel == DimuonChannel.OS ? request.Primary : request.Control;
        var fitOn = os ?? request.Primary;
        var pre = run.Time("preprocessing", () => FitPreprocessing(fitOn, c));
        // Fail on unusable input before anything is trained.
        CheckTrainable(request.Primary, c);
        if (request.Control is not null) CheckTrainable(request.Control, c);
        var methods = request.Methods ?? [];
        CathodeMethods.Require(request.Primary, methods, request.Background);
        Directory.CreateDirectory(request.OutDir);
        // The channels' background and classifier stages are independent (the preprocessing is shared and read only):
        // they run side by side, so that the flow members of both keep every core (or the device) busy; a channel alone
        // leaves cores idle at the end of its members. Each member trains sequentially from its own seeds, so the results
        // do not depend on the schedule.
        var (primary, control) = request.Control is null
            ? (Train(run, c, request.Primary, pre), null)
            : run.Both(r => Train(r, c, request.Primary, pre), r => (ChannelState?)Train(r, c, request.Control, pre));
        run.ThrowIfCancelled();
        if (methods.Any(m => m != AnomalyMethod.Cathode) || (request.CompareMethods && methods.Count > 0))
            primary.Methods = CathodeMethods.Of(run, c, primary, primary.Background!, pre, methods, request.Background);
        var primaryResult = run.Time("statistics", () => CathodeStatistics.Of(run, c, primary, control));
        if (request.PreIsolation is { } pre0)
        {
            primary.PreIsolation = pre0;
            primaryResult = primaryResult with { PreIsolation = PreIsolationResult.Of(pre0, c, request.Primary.D, run.Device) };
        }
        var controlResult = control is null ? null : run.Time("statistics", () => CathodeStatistics.Of(run, c, control, primary));
        var single = primaryResult.Baselines.Where(b => b.Name != "random").MaxBy(b => b.Best.Z) ?? primaryResult.Baselines.Last();
        var best = primaryResult.Cathode.Best;
        var headline = new CathodeHeadline(primaryResult.InitialZ, best.Z, best.Fpr, primaryResult.Reweighted?.Z, single.Best.Z, single.Name,
            primaryResult.TwoFeatureScan.PtCuts.Length > 0 ? primaryResult.TwoFeatureScan.Best.Z : double.NaN,
            controlResult?.Cathode.Points.Max(p => p.Z), controlResult?.Reweighted?.Z);
        var results = new CathodeResults(typeof(CathodeAnalysis).Assembly.GetName().Version?.ToString() ?? "", run.Device.Id, request.Input, request.Preset, c,
            primaryResult, controlResult, headline, run.Seconds);
        return (results, primary, control);
    }

    /// <summary>Mass band of each event (SBL [sbl_low, sr_low), SR [sr_low, sr_high), SBH [sr_high, sbh_high], outside).</summary>
    public static MassBand[] Bands(CathodeChannelData d, CathodeConfig c) => d.Mass.Select(c.Regions.BandOf).ToArray();

    /// <summary>Throws a clear error when a channel has too few sideband or SR events to train on.</summary>
    public static void CheckTrainable(CathodeChannelData data, CathodeConfig c)
    {
        var band = Bands(data, c);
        int sbl = band.Count(b => b == MassBand.Sbl), sr = band.Count(b => b == MassBand.Sr), sbh = band.Count(b => b == MassBand.Sbh);
        if (sbl < MinSidebandEvents || sbh < MinSidebandEvents)
            throw new ArgumentException($"{data.Channel} ({data.Source}): {sbl} events in the low and {sbh} in the high sideband; " +
                                        $"training the background flow needs at least {MinSidebandEvents} in each.");
        if (sr < c.Bdt.Folds)
            throw new ArgumentException($"{data.Channel} ({data.Source}): {sr} events in the signal region; the {c.Bdt.Folds}-fold classifier needs at least {c.Bdt.Folds}.");
    }

    internal static BumpHuntBinning Binning(CathodeConfig c, int binsSr) =>
        new(c.Regions.SblLow, c.Regions.SrLow, c.Regions.SrHigh, c.Regions.SbhHigh, binsSr);

    /// <summary>One channel's background and classifier stages.</summary>
    private static ChannelState Train(RunContext run, CathodeConfig c, CathodeChannelData data, CathodePreprocessing pre)
    {
        var st = new ChannelState(data) { Band = Bands(data, c) };
        st.SrRows = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] == MassBand.Sr).ToArray();
        st.OutsideRange = pre.OutsideRange(data.Features);
        if (st.OutsideRange.Any(n => n > 0))
            run.Warn($"flows {data.Channel}", $"{OutsideRangeText(st)} outside the preprocessing range fitted on {(data.Channel == DimuonChannel.OS ? "this channel" : "OS")}: clamped to its edge");
        var bg = CathodeBackground.Train(run, c, data, pre);
        st.Background = bg;
        st.Flows = bg.Summaries;
        st.MassModel = bg.MassModel;
        st.PredictedSr = bg.PredictedSr;
        st.SamplesPerSet = bg.SamplesPerSet;
        (st.RocSamples, st.RocSampleMasses) = (bg.RocSamples, bg.RocSampleMasses);
        st.Closure = run.Time($"closure ({data.Channel})", () => SidebandClosureStage.Of(run, c, data, pre, bg));
        if (st.Closure.Outside)
            run.Warn($"closure {data.Channel}", $"{ClosureText(st.Closure)}: the flows do not model the sidebands");
        var scored = CathodeClassifier.Train(run, c, data, bg, flowsReused: st.Flows.All(f => f.Reused));
        (st.Ensemble, st.Scores, st.Fold, st.RocSampleScores) = (scored.Ensemble, scored.Scores, scored.Fold, scored.RocSampleScores);
        return st;
    }

    /// <summary>Where each stage of a run with <paramref name="c"/> computes on <paramref name="device"/>, from the engines' seams (for the run's summary line).</summary>
    public static string DevicePlan(CathodeConfig c, ComputeDevice device)
    {
        // The path depends on the flows' kind, shape and settings, not on the data: three features stand in for the data's.
        var flows = Enumerable.Range(0, c.Flows.Ensemble).Select(k => (IConditionalFlow)new Spec13AffineMaf(3, 1, c.Flows.Hidden, c.Flows.Blocks, (ulong)k)).ToArray();
        var options = Enumerable.Range(0, c.Flows.Ensemble).Select(k => c.FlowOptions() with { Seed = (ulong)k }).ToArray();
        return $"flows {FlowTraining.PathOn(device, flows, options)}; SR samples {FlowEvaluator.PathOn(device, flows, FlowPrecision.Double)}; BDTs {Ensemble.PathOn(device, c.BoostingParameters(DimuonChannel.OS))}; fits on {device.Id}";
    }

    /// <summary>The SPEC 1.2 preprocessing, fitted on <paramref name="fitOn"/> (the OS channel).</summary>
    public static CathodePreprocessing FitPreprocessing(CathodeChannelData fitOn, CathodeConfig c)
    {
        var band = Bands(fitOn, c);
        return CathodePreprocessing.Fit(fitOn.Mass, fitOn.Features, fitOn.D, band.Select(b => b is MassBand.Sbl or MassBand.Sbh).ToArray());
    }

    /// <summary>"sideband AUC 0.512 ± 0.004 outside [0.492, 0.508] expected for a perfect model": a closure for notes and the report.</summary>
    public static string ClosureText(SidebandClosure closure)
    {
        string F(double v) => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        return $"sideband AUC {F(closure.Auc)} ± {F(closure.AucSpread)} {(closure.Outside ? "outside" : "inside")} [{F(closure.BandLow)}, {F(closure.BandHigh)}] expected for a perfect model";
    }

    /// <summary>"3 events in mu0_ip3d, 1 in dimu_pt": the clamped values of a channel, for notes and the report.</summary>
    public static string OutsideRangeText(ChannelState st) =>
        string.Join(", ", Enumerable.Range(0, st.Data.D).Where(j => st.OutsideRange[j] > 0)
            .Select((j, k) => $"{st.OutsideRange[j]:N0} {(k == 0 ? (st.OutsideRange[j] == 1 ? "event" : "events") + " in " : "in ")}{st.Data.FeatureNames[j]}"));
}
