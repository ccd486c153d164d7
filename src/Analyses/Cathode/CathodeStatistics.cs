using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// The statistics stage of CATHODE (SPEC 1.6) for one channel: the working-point scans of the CATHODE scores and of the
/// classical baselines through the Stats engine's <see cref="WorkingPointScan"/> (all FPR points fitted in one batch),
/// the two-feature cut scan, the likelihood reweighting, the degree × binning variations and the cross-application of
/// the other channel's ensemble, fold by fold.
/// </summary>
internal static class CathodeStatistics
{
    /// <summary>
    /// What every working-point scan of a channel shares: the events inside the bands, their masses, which are in the
    /// sidebands, their truth (or null), and the FPR points (the scan grid and the histogram FPRs, descending).
    /// </summary>
    internal static (int[] InRange, double[] Masses, bool[] Sideband, double[]? Truth, double[] Fprs) ScanInputs(CathodeConfig c, CathodeAnalysis.ChannelState st)
    {
        var data = st.Data;
        var inRange = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] != MassBand.Outside).ToArray();
        var fprs = ClassifierMetrics.FprGrid(c.Statistics.FprPoints, c.Statistics.FprLowest).Concat(c.Statistics.HistogramFprs)
            .Distinct().OrderByDescending(f => f).ToArray();
        return (inRange, inRange.Select(i => data.Mass[i]).ToArray(), inRange.Select(i => st.Band[i] != MassBand.Sr).ToArray(),
            data.Truth is null ? null : inRange.Select(i => data.Truth[i]).ToArray(), fprs);
    }

    public static ChannelResult Of(RunContext run, CathodeConfig c, CathodeAnalysis.ChannelState st, CathodeAnalysis.ChannelState? other)
    {
        var data = st.Data;
        string stage = $"statistics {data.Channel}";
        run.Report(stage, 0, 6);
        var fitter = ProfileLikelihoodFitter.For(run.Device);
        var model = new BackgroundModel(CathodeAnalysis.Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
        var (inRange, masses, sideband, truth, fprs) = ScanInputs(c, st);
        var scores = inRange.Select(i => st.Scores[i]).ToArray();

        var initial = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, default, out _));
        var cathode = WorkingPointScan.Scan("CATHODE", model, fitter, masses, scores, sideband, fprs, truth, st.RocSampleScores);
        run.Report(stage, 1, 6);

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
        run.Report(stage, 2, 6);

        var cutScan = TwoFeatureScan(c, data, inRange, model, fitter, masses, sideband);
        run.Report(stage, 3, 6);

        var reweighted = WorkingPointScan.Reweight(fitter, model, masses, scores);
        run.Report(stage, 4, 6);

        var variations = new List<Variation>();
        foreach (int degree in c.Statistics.VariationDegrees)
            foreach (int bins in c.Statistics.VariationBins)
            {
                var vm = new BackgroundModel(CathodeAnalysis.Binning(c, bins), degree);
                var scan = WorkingPointScan.Scan("variation", vm, fitter, masses, scores, sideband, fprs, null, null);
                variations.Add(new Variation(degree, bins, scan.Points.Select(p => p.Fpr).ToArray(), scan.Points.Select(p => p.Z).ToArray(),
                    WorkingPointScan.Reweight(fitter, vm, masses, scores)?.Z ?? double.NaN));
            }
        run.Report(stage, 5, 6);

        // Cross-application: this channel's events scored by the other channel's ensemble, fold by fold.
        ScanCurve? cross = null;
        if (other?.Ensemble is { } otherEnsemble && st.Ensemble is { } own)
        {
            var crossScores = CrossScores(otherEnsemble, own, st);
            cross = WorkingPointScan.Scan($"{other.Data.Channel} ensemble on {data.Channel}", model, fitter, masses, inRange.Select(i => crossScores[i]).ToArray(), sideband, fprs, truth, null);
        }
        run.Report(stage, 6, 6);

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
        return new ChannelResult(data.Channel, data.Rows, st.Band.Count(b => b == MassBand.Sbl), st.Band.Count(b => b == MassBand.Sr), st.Band.Count(b => b == MassBand.Sbh), truthInSr,
            initial.Z[0], initial.S[0], initial.B[0], st.PredictedSr, st.SamplesPerSet, st.Flows, allModels.Length, allModels.Average(m => m.Trees.Length),
            srVsSamples, truthAuc, cathode, baselines.ToArray(), reweighted, cutScan, variations.ToArray(),
            cross, other?.Data.Channel,
            Enumerable.Range(0, data.D).Where(j => st.OutsideRange[j] > 0).ToDictionary(j => data.FeatureNames[j], j => st.OutsideRange[j]),
            st.Closure, st.Methods);
    }

    /// <summary>The single-feature cuts: each high-side feature cut from above, each low-side feature from below.</summary>
    private static IEnumerable<(string Name, bool High)> BaselineFeatures(CathodeConfig c) =>
        c.Baselines.High.Select(n => (n, true)).Concat(c.Baselines.Low.Select(n => (n, false)));

    private static double[] CrossScores(Ensemble other, Ensemble own, CathodeAnalysis.ChannelState st)
    {
        // The other channel's fold-f models score this channel's events in its own fold f (its test rows).
        var data = st.Data;
        var sbRows = Enumerable.Range(0, data.Rows).Where(i => st.Band[i] is MassBand.Sbl or MassBand.Sbh).ToArray();
        int nSr = st.SrRows.Length, nSb = sbRows.Length, d = data.D;
        var cols = Enumerable.Range(0, d).Select(j =>
            st.SrRows.Concat(sbRows).Select(i => data.Features[i * d + j]).ToArray()).ToArray();
        var x = other.Binner.Transform(cols);
        int folds = Math.Min(other.Folds.Length, own.Folds.Length);
        var splits = own.Folds.Take(folds).Select(f => new FoldSplit([], [], f.Test.Where(r => r < nSr + nSb).ToArray())).ToArray();
        var s = new Ensemble(other.Binner, splits, other.Models.Take(folds).ToArray()).OutOfFoldScores(x);
        var result = new double[data.Rows];
        Array.Fill(result, double.NaN);
        for (int i = 0; i < nSr; i++) result[st.SrRows[i]] = s[i];
        for (int i = 0; i < nSb; i++) result[sbRows[i]] = s[nSr + i];
        return result;
    }

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
