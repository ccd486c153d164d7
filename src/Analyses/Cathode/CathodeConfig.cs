using FastAD.Analyses.Flows;
using FastAD.Analyses.Trees;
using FastAD.Data.Synthetic;
using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Every hyperparameter of the CATHODE analysis (SPEC 1), in YAML with snake_case keys. The defaults are the
/// paper's configuration; <see cref="MakeQuick"/> is the under-a-minute demo. Unknown keys are errors naming the
/// line; keys not given keep the preset's value.
/// </summary>
public sealed class CathodeConfig : AnalysisConfig<CathodeConfig>
{
    /// <summary>Base seed: flows use seed + member, BDT members seed + member, sampling and splits derived streams.</summary>
    public override ulong Seed { get; set; } = 1;
    /// <summary>The channel searched: OS (signal search) or SS (control).</summary>
    public DimuonChannel Channel { get; set; } = DimuonChannel.OS;
    /// <summary>Column names.</summary>
    public ColumnsSection Columns { get; set; } = new();
    /// <summary>Mass bands.</summary>
    public RegionsSection Regions { get; set; } = new();
    /// <summary>The background density (SPEC 1.3).</summary>
    public FlowsSection Flows { get; set; } = new();
    /// <summary>The classifier (SPEC 1.5).</summary>
    public BdtSection Bdt { get; set; } = new();
    /// <summary>Bump-hunt statistics (SPEC 1.6).</summary>
    public StatisticsSection Statistics { get; set; } = new();
    /// <summary>The classical baselines.</summary>
    public BaselinesSection Baselines { get; set; } = new();

    /// <summary>
    /// Single-feature cuts (each feature in <see cref="High"/> cut from above, as "dimu_pt high"; each in <see cref="Low"/> from
    /// below) and the two-feature scan of the first high feature against all low features together.
    /// </summary>
    public sealed class BaselinesSection
    {
        /// <summary>Features whose signal-like side is high.</summary>
        public List<string> High { get; set; } = ["dimu_pt"];
        /// <summary>Features whose signal-like side is low.</summary>
        public List<string> Low { get; set; } = ["mu0_ip3d", "mu1_ip3d"];
    }

    /// <summary>Column names of the input table, and columns derived from them.</summary>
    public sealed class ColumnsSection : DerivingColumnsSection
    {
        /// <summary>The resonant feature (GeV).</summary>
        public string Mass { get; set; } = "dimu_mass";
        /// <summary>Auxiliary features (the flow's x and the classifier's inputs).</summary>
        public List<string> Features { get; set; } = ["dimu_pt", "mu0_ip3d", "mu1_ip3d"];
        /// <summary>Optional 0/1 truth column (generated data): used only for ROC/SIC diagnostics.</summary>
        public string Truth { get; set; } = "is_signal";
    }

    /// <summary>Half-open bands SBL [sbl_low, sr_low), SR [sr_low, sr_high), SBH [sr_high, sbh_high].</summary>
    public sealed class RegionsSection
    {
        /// <summary>Lower edge of the low sideband.</summary>
        public double SblLow { get; set; } = 5.0;
        /// <summary>Lower edge of the signal region.</summary>
        public double SrLow { get; set; } = 9.0;
        /// <summary>Upper edge of the signal region.</summary>
        public double SrHigh { get; set; } = 10.6;
        /// <summary>Upper edge of the high sideband.</summary>
        public double SbhHigh { get; set; } = 16.0;

        /// <summary>The band of mass <paramref name="m"/>.</summary>
        public MassBand BandOf(double m) => m < SblLow || m > SbhHigh ? MassBand.Outside : m < SrLow ? MassBand.Sbl : m < SrHigh ? MassBand.Sr : MassBand.Sbh;
    }

    /// <summary>The conditional MAF ensemble (SPEC 1.3): the shared flow settings with CATHODE's defaults, and the samples per flow.</summary>
    public sealed class FlowsSection : FlowSection
    {
        /// <summary>Samples per flow and set; 0 = the SR count predicted by the sideband polynomial (SPEC 1.4).</summary>
        /// <remarks>Written after the shared keys, where it always stood, so that the configuration's YAML (and the digests of it) stay as they were.</remarks>
        [YamlDotNet.Serialization.YamlMember(Order = 1), System.Text.Json.Serialization.JsonPropertyOrder(1)]
        public int SamplesPerFlow { get; set; }
    }

    /// <summary>The k-fold BDT ensemble (SPEC 1.5): the shared boosting settings with CATHODE's defaults, folds and members.</summary>
    public sealed class BdtSection : BoostingSection
    {
        /// <summary>The SPEC 1.5 defaults: 300 rounds of depth 3, learning rate 0.1, subsample 0.7, patience 10.</summary>
        public BdtSection() => (MaxRounds, MaxDepth, LearningRate, Subsample, Patience) = (300, 3, 0.1, 0.7, 10);

        /// <summary>Folds of the rotation.</summary>
        public int Folds { get; set; } = 5;
        /// <summary>BDTs per fold (different seeds), scores averaged.</summary>
        public int Members { get; set; } = 100;
    }

    /// <summary>Bump hunt, working points and variations.</summary>
    public sealed class StatisticsSection
    {
        /// <summary>Polynomial degree (nominal).</summary>
        public int Degree { get; set; } = 5;
        /// <summary>SR bin boundaries (nominal).</summary>
        public int BinsSr { get; set; } = 12;
        /// <summary>Points of the log-spaced FPR scan from 1 down to <see cref="FprLowest"/>.</summary>
        public int FprPoints { get; set; } = 25;
        /// <summary>Lowest FPR of the scan.</summary>
        public double FprLowest { get; set; } = 1e-3;
        /// <summary>FPRs whose spectra and feature distributions are drawn.</summary>
        public List<double> HistogramFprs { get; set; } = [1, 0.25, 0.1, 0.05, 0.01, 0.005, 0.001];
        /// <summary>Degrees of the systematic variations.</summary>
        public List<int> VariationDegrees { get; set; } = [3, 5, 7];
        /// <summary>SR boundaries of the systematic variations.</summary>
        public List<int> VariationBins { get; set; } = [8, 12, 16];
        /// <summary>Steps of the two-feature cut scan per axis.</summary>
        public int CutScanSteps { get; set; } = 10;
    }

    /// <summary>A demo that finishes in well under a minute on two cores: 2 short flows, 5 × 8 BDTs.</summary>
    protected override void MakeQuick()
    {
        Flows.Ensemble = 2;
        Flows.Epochs = 40;
        Bdt.Members = 8;
        Bdt.MaxRounds = 100;
    }

    /// <inheritdoc />
    protected override string Command => "cathode";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Columns.Features.Count >= 2, "columns.features: the flow needs at least two features.");
        Require(Columns.Features.Distinct().Count() == Columns.Features.Count, "columns.features: a feature is named twice.");
        Require(Regions.SblLow < Regions.SrLow && Regions.SrLow < Regions.SrHigh && Regions.SrHigh < Regions.SbhHigh,
            $"regions: need sbl_low < sr_low < sr_high < sbh_high (got {Regions.SblLow}, {Regions.SrLow}, {Regions.SrHigh}, {Regions.SbhHigh}).");
        Flows.Validate();
        Require(Flows.SamplesPerFlow >= 0, "flows.samples_per_flow must be ≥ 0 (0 = the predicted SR count).");
        Require(Bdt.Folds >= 3, $"bdt.folds must be at least 3 (got {Bdt.Folds}).");
        Require(Bdt.Members >= 1, "bdt.members must be positive.");
        Bdt.Validate("bdt", FastAD.Trees.BoostingParameters.Cathode.Growth);
        Require(Statistics.Degree is >= 1 and <= FastAD.Stats.BackgroundModel.MaxDegree, $"statistics.degree must be 1..{FastAD.Stats.BackgroundModel.MaxDegree}.");
        Require(Statistics.BinsSr >= 2, "statistics.bins_sr must be at least 2.");
        Require(Statistics.FprPoints >= 2, "statistics.fpr_points must be at least 2.");
        Require(Statistics.FprLowest > 0 && Statistics.FprLowest < 1, $"statistics.fpr_lowest must be in (0, 1) (got {Statistics.FprLowest}).");
        foreach (var f in Statistics.HistogramFprs)
            Require(f > 0 && f <= 1, $"statistics.histogram_fprs: {f} is outside (0, 1]; an FPR is a fraction of sideband events.");
        foreach (var d in Statistics.VariationDegrees)
            Require(d is >= 1 and <= FastAD.Stats.BackgroundModel.MaxDegree, $"statistics.variation_degrees: {d} is not in 1..{FastAD.Stats.BackgroundModel.MaxDegree}.");
        foreach (var b in Statistics.VariationBins) Require(b >= 2, $"statistics.variation_bins: {b} is below 2.");
        Require(Statistics.CutScanSteps >= 2, "statistics.cut_scan_steps must be at least 2.");
        foreach (var name in Baselines.High.Concat(Baselines.Low))
            Require(Columns.Features.Contains(name),
                $"baselines: '{name}' is not one of columns.features ({string.Join(", ", Columns.Features)}); list the features to cut on under baselines.high / baselines.low.");
    }

    /// <summary>Flow training options shared by the members; each member's shuffle seed comes from the channel's seed tree (CathodeBackground).</summary>
    public FlowTrainingOptions FlowOptions() => Flows.TrainingOptions();

    /// <summary>Boosting parameters (SPEC 1.5) of a channel's BDTs, seeded from its node of the seed tree (cathode/CH/bdt/boosting).</summary>
    public BoostingParameters BoostingParameters(DimuonChannel channel) =>
        Bdt.Parameters(FastAD.Trees.BoostingParameters.Cathode, SeedTree.Of(Seed)["cathode"][channel.Text().ToLowerInvariant()]["bdt"]["boosting"].Seed);
}

/// <summary>The mass bands of SPEC 1.1: the low sideband, the signal region, the high sideband, and outside them all.</summary>
public enum MassBand
{
    /// <summary>Low sideband [sbl_low, sr_low).</summary>
    Sbl = -1,
    /// <summary>Signal region [sr_low, sr_high).</summary>
    Sr = 0,
    /// <summary>High sideband [sr_high, sbh_high].</summary>
    Sbh = 1,
    /// <summary>Below sbl_low or above sbh_high: in no band.</summary>
    Outside = 2,
}

/// <summary>Names of the mass bands.</summary>
public static class MassBands
{
    /// <summary>"SBL", "SR", "SBH" or "outside" (the band column of the score tables).</summary>
    public static string Label(this MassBand band) => band switch { MassBand.Sbl => "SBL", MassBand.Sr => "SR", MassBand.Sbh => "SBH", _ => "outside" };
}
