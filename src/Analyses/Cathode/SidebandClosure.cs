using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>One feature's two-sample Kolmogorov–Smirnov distance between the sideband data and the flow samples at their masses.</summary>
public sealed record FeatureDistance(string Feature, double Ks, double PValue);

/// <summary>
/// The background model's closure in the sidebands (SPEC 6): a k-fold classifier of sideband data (label 1) against flow
/// samples drawn at the same masses (label 0); the AUC of each test fold, their mean and spread. A perfect model gives
/// what the same classifier gives on two independent sets of flow samples (the reference: its fold AUCs, mean and
/// spread), so the band expected for a perfect model is the reference mean ± 3 standard errors of a difference of two
/// k-fold means, each error the larger of the fold spread / √k and the Mann–Whitney null error of one fold's test sets
/// / √k. An AUC outside the band says the flows do not model the sidebands (<see cref="Outside"/>: a warning in the
/// headline). Per-feature KS distances of data against samples go with it.
/// </summary>
/// <param name="Events">Sideband events compared (all of them up to <see cref="SidebandClosureStage.MaxEvents"/>, a seeded subset beyond).</param>
/// <param name="Folds">Folds of the classifier.</param>
/// <param name="Auc">Mean test-fold AUC of data against samples.</param>
/// <param name="AucSpread">Standard deviation of the fold AUCs.</param>
/// <param name="FoldAucs">Each fold's AUC.</param>
/// <param name="ReferenceAuc">Mean test-fold AUC of samples against independent samples.</param>
/// <param name="ReferenceSpread">Standard deviation of the reference fold AUCs.</param>
/// <param name="ReferenceFoldAucs">Each reference fold's AUC.</param>
/// <param name="BandLow">Lower edge of the band expected for a perfect model.</param>
/// <param name="BandHigh">Upper edge.</param>
/// <param name="Features">Per feature, KS distance and p-value of data against samples.</param>
public sealed record SidebandClosure(int Events, int Folds, double Auc, double AucSpread, double[] FoldAucs, double ReferenceAuc, double ReferenceSpread,
    double[] ReferenceFoldAucs, double BandLow, double BandHigh, FeatureDistance[] Features)
{
    /// <summary>True when the data's AUC leaves the band a perfect background model gives.</summary>
    public bool Outside => Auc < BandLow || Auc > BandHigh;
}

/// <summary>
/// The closure stage of a channel, after its background stage: flow samples at the sideband events' masses (event i
/// from flow i mod E, through the flow-evaluation seam), the k-fold classifiers through the boosting seam (one model
/// per fold, the run's BDT settings), and the KS distances.
/// </summary>
internal static class SidebandClosureStage
{
    /// <summary>At most this many sideband events are compared (a seeded subset of larger sidebands keeps the check cheap).</summary>
    public const int MaxEvents = 20_000;

    /// <summary>The closure of <paramref name="bg"/>'s flows on <paramref name="data"/>'s sidebands.</summary>
    public static SidebandClosure Of(RunContext run, CathodeConfig c, CathodeChannelData data, CathodePreprocessing pre, CathodeBackground.BackgroundSamples bg)
    {
        int d = data.D;
        var seeds = CathodeBackground.Seeds(c, data.Channel)["closure"];
        var band = CathodeAnalysis.Bands(data, c);
        var rows = Enumerable.Range(0, data.Rows).Where(i => band[i] is MassBand.Sbl or MassBand.Sbh).ToArray();
        if (rows.Length > MaxEvents)
        {
            var u = new double[rows.Length];
            Philox4x32.FillUniform(u, seeds["subset"].Seed, 0);
            rows = Enumerable.Range(0, rows.Length).OrderBy(i => u[i]).Take(MaxEvents).Order().Select(i => rows[i]).ToArray();
        }
        string stage = $"closure {data.Channel}";
        run.Report(stage, 0, 2, $"{rows.Length:N0} sideband events against flow samples at their masses, {c.Bdt.Folds} folds {Ensemble.PathOn(run.Device, c.BoostingParameters(data.Channel))}");
        var masses = pre.Masses(Rows.Gather(data.Mass, rows, 1));
        using var evaluator = FlowEvaluator.For(run.Device, bg.Flows, FlowPrecision.Double);
        double[] Samples(int set)
        {
            var noise = new double[rows.Length * d];
            Philox4x32.FillNormal(noise, seeds["samples"][set].Seed, 0);
            return pre.InverseFeatures(evaluator.SampleRoundRobin(noise, masses, rows.Length));
        }
        var dataX = Rows.Gather(data.Features, rows, d);
        var samples = Samples(0);
        var folds = FoldAucs(run, c, data, dataX, samples, seeds["folds"].Seed);
        run.Report(stage, 1, 2);
        var reference = FoldAucs(run, c, data, Samples(1), Samples(2), seeds["reference folds"].Seed);
        run.Report(stage, 2, 2);
        var features = Enumerable.Range(0, d).Select(j =>
        {
            var (ks, p) = ClassifierMetrics.KolmogorovSmirnov(Column(dataX, d, j), Column(samples, d, j));
            return new FeatureDistance(data.FeatureNames[j], ks, p);
        }).ToArray();
        int k = folds.Aucs.Length;
        double error = Math.Max(Spread(reference.Aucs), reference.NullError) / Math.Sqrt(k);
        double width = 3 * Math.Sqrt(2) * error, refMean = reference.Aucs.Average();
        return new SidebandClosure(rows.Length, k, folds.Aucs.Average(), Spread(folds.Aucs), folds.Aucs, refMean, Spread(reference.Aucs), reference.Aucs,
            refMean - width, refMean + width, features);
    }

    /// <summary>
    /// Test-fold AUCs of a k-fold classifier of <paramref name="positive"/> (label 1) against <paramref name="negative"/>
    /// (label 0), rows dealt to folds by a seeded permutation (fold f tests part f, validates on part f + 1, trains on the
    /// rest), and the Mann–Whitney null error of one fold's AUC.
    /// </summary>
    private static (double[] Aucs, double NullError) FoldAucs(RunContext run, CathodeConfig c, CathodeChannelData data, double[] positive, double[] negative,
        ulong seed)
    {
        int d = data.D, n1 = positive.Length / d, n0 = negative.Length / d, n = n1 + n0, k = c.Bdt.Folds;
        var columns = Enumerable.Range(0, d).Select(j => new double[n]).ToArray();
        var labels = new double[n];
        for (int i = 0; i < n; i++)
        {
            var (source, r) = i < n1 ? (positive, i) : (negative, i - n1);
            for (int j = 0; j < d; j++) columns[j][i] = source[r * d + j];
            labels[i] = i < n1 ? 1 : 0;
        }
        var splits = CathodeFolds.AllRows(labels, k, seed);
        var binner = QuantileBinner.Fit(data.FeatureNames, columns, seed: seed + 1);
        var x = binner.Transform(columns);
        var ensemble = Ensemble.Train(run.Device, binner, x, labels, splits, 1, c.BoostingParameters(data.Channel), cancel: run.Cancel);
        var scores = ensemble.OutOfFoldScores(x);
        var aucs = splits.Select(s => ClassifierMetrics.Roc(s.Test.Where(i => labels[i] == 1).Select(i => scores[i]).ToArray(),
            s.Test.Where(i => labels[i] == 0).Select(i => scores[i]).ToArray()).Auc).ToArray();
        double t1 = n1 / (double)k, t0 = n0 / (double)k;
        return (aucs, Math.Sqrt((t1 + t0 + 1) / (12 * t1 * t0)));
    }

    private static double Spread(double[] v)
    {
        double mean = v.Average();
        return v.Length < 2 ? 0 : Math.Sqrt(v.Sum(a => (a - mean) * (a - mean)) / (v.Length - 1));
    }

    private static double[] Column(double[] rows, int d, int j)
    {
        var c = new double[rows.Length / d];
        for (int i = 0; i < c.Length; i++) c[i] = rows[i * d + j];
        return c;
    }
}
