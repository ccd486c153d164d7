namespace FastAD.Analyses.Simad;

/// <summary>The four statistics of one classifier, on held-out events (SPEC 3).</summary>
/// <param name="MeanLoss">Mean loss per event over the test data and test simulation events.</param>
/// <param name="MeanScore">Mean score of the test data events (sigmoid for BCE, f = log-ratio for MLC).</param>
/// <param name="MaxScore">Largest score of the test data events.</param>
/// <param name="StdScore">Standard deviation of the scores of the test data events.</param>
public sealed record StatisticSet(double MeanLoss, double MeanScore, double MaxScore, double StdScore)
{
    /// <summary>Names of the statistics, in index order.</summary>
    public static readonly string[] Names = ["mean_loss", "mean_score", "max_score", "std_score"];
    /// <summary>Axis labels, in index order.</summary>
    public static readonly string[] Labels = ["mean loss", "mean score", "max score", "score standard deviation"];

    /// <summary>The statistic with index <paramref name="k"/> (0..3, as <see cref="Names"/>).</summary>
    public double this[int k] => k switch { 0 => MeanLoss, 1 => MeanScore, 2 => MaxScore, 3 => StdScore, _ => throw new ArgumentOutOfRangeException(nameof(k)) };

    /// <summary>+1 where signal raises the statistic (scores), −1 where it lowers it (the losses: data and simulation become separable).</summary>
    public static int Direction(int k) => k == 0 ? -1 : 1;
}

/// <summary>Null band of one statistic: the background-only value and the bootstrap distribution's quantiles at ±1σ, ±2σ.</summary>
public sealed record NullBand(string Statistic, double BackgroundOnly, double Mean, double Std, double Lower2, double Lower1, double Median, double Upper1, double Upper2);

/// <summary>The null of one loss: the classifier on the background-only sample and on each bootstrap "data" set.</summary>
public sealed record NullResult(string Loss, StatisticSet BackgroundOnly, StatisticSet[] Bootstraps, NullBand[] Bands);

/// <summary>One injected amount: the statistics of each independent injection, their means, and bootstrap p-values of the means.</summary>
/// <param name="Signal">Injected signal events (in the whole "data" set).</param>
/// <param name="CrossSectionFb">The same as a cross section: events / luminosity.</param>
/// <param name="Injections">Statistics of each injection.</param>
/// <param name="Mean">Mean over injections, per statistic.</param>
/// <param name="Std">Standard deviation over injections, per statistic.</param>
/// <param name="PValue">Bootstrap p-value of the mean (in the statistic's signal direction), per statistic.</param>
/// <param name="AsymptoticPValue">Asymptotic (Gaussian) p-value of the mean, per statistic; null unless <c>evaluation.p_value</c> asks for it.</param>
public sealed record InjectionPoint(int Signal, double CrossSectionFb, StatisticSet[] Injections, double[] Mean, double[] Std, double[] PValue,
    double[]? AsymptoticPValue = null);

/// <summary>
/// Where the mean of a statistic leaves the 2σ null band (linear interpolation between scan points); null if it never
/// does, or if it is already outside at the lowest scanned amount (<paramref name="BeyondAtLowest"/>; with no signal
/// there, the null does not describe the background-only classifiers and no crossing is defined).
/// </summary>
public sealed record Crossing(string Statistic, double? Signal, double? CrossSectionFb, bool BeyondAtLowest = false);

/// <summary>The injection scan of one loss at one mass point.</summary>
public sealed record ScanResult(string Loss, string Pool, double MassA, InjectionPoint[] Points, Crossing[] Crossings);

/// <summary>A file's observed data against the null of one loss.</summary>
public sealed record ObservedResult(string Loss, StatisticSet Statistics, double[] PValue, double[]? AsymptoticPValue = null);

/// <summary>Event counts of the held-out split.</summary>
public sealed record SplitSizes(int BackgroundTrain, int BackgroundTest, int SimulationTrain, int SimulationTest);

/// <summary>
/// Everything a run computed (results.json); <c>NetworkPath</c> is where the classifiers trained (<see cref="SimadAnalysis.PathOn"/>),
/// <c>NetworksTrained</c> the networks or BDTs trained, <c>LuminosityFb</c> the luminosity the background stands for (with
/// <c>injection.selection_efficiency</c> it converts injected events to fb).
/// </summary>
public sealed record SimadResults(string Version, string Device, string Input, string Preset, SimadConfig Config, SplitSizes Split,
    IReadOnlyList<string> Notes, NullResult[] Nulls, ScanResult[] Scans, ObservedResult[] Observed, int NetworksTrained,
    Dictionary<string, double> Seconds, string NetworkPath = "", double LuminosityFb = 0);
