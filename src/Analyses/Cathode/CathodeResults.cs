using FastAD.Data.Synthetic;
using FastAD.Stats;

namespace FastAD.Analyses.Cathode;

/// <summary>The 10 × 10 scan of dimu_pt &gt; a and both ip3d &lt; b: Z[i, j] for pt cut i and ip3d cut j.</summary>
public sealed record CutScan(string PtFeature, string[] IpFeatures, double[] PtCuts, double[] IpCuts, double[][] Z)
{
    /// <summary>The best cell.</summary>
    public (double PtCut, double IpCut, double Z) Best
    {
        get
        {
            (double, double, double) best = (PtCuts[0], IpCuts[0], double.NegativeInfinity);
            for (int i = 0; i < PtCuts.Length; i++)
                for (int j = 0; j < IpCuts.Length; j++)
                    if (Z[i][j] > best.Item3) best = (PtCuts[i], IpCuts[j], Z[i][j]);
            return best;
        }
    }
}

/// <summary>One systematic variation: the CATHODE scan and the reweighted Z with another degree and binning.</summary>
public sealed record Variation(int Degree, int BinsSr, double[] Fpr, double[] Z, double ReweightedZ);

/// <summary>A flow of the ensemble: its best epoch and validation loss.</summary>
public sealed record FlowSummary(int Member, int BestEpoch, double BestValidationLoss, int EpochsRun, bool Reused);

/// <summary>Everything computed for one channel.</summary>
public sealed record ChannelResult(
    DimuonChannel Channel, int Events, int Sbl, int Sr, int Sbh, int TruthSignalInSr,
    double InitialZ, double InitialS, double InitialB, double PredictedSrCount, int SamplesPerSet,
    FlowSummary[] Flows, int BdtModels, double MeanTreesPerModel, double SrVsSamplesAuc, double TruthAuc,
    ScanCurve Cathode, ScanCurve[] Baselines, ReweightedResult? Reweighted, CutScan TwoFeatureScan, Variation[] Variations,
    ScanCurve? CrossApplied, DimuonChannel? CrossAppliedBy, IReadOnlyDictionary<string, int>? ClampedToPreprocessingRange = null,
    SidebandClosure? SidebandClosure = null, MethodResult[]? Methods = null, PreIsolationResult? PreIsolation = null);

/// <summary>The headline numbers of a run (the final table).</summary>
public sealed record CathodeHeadline(double InitialZ, double BestCathodeZ, double BestCathodeFpr, double? ReweightedZ,
    double BestSingleCutZ, string BestSingleCutName, double BestTwoFeatureCutZ, double? ControlMaxZ, double? ControlReweightedZ);

/// <summary>A whole run.</summary>
public sealed record CathodeResults(string Version, string Device, string Input, string Preset, CathodeConfig Config,
    ChannelResult Primary, ChannelResult? Control, CathodeHeadline Headline, IReadOnlyDictionary<string, double> StageSeconds);
