using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Diagnostics;
using FastAD.Kernels.Random;

namespace FastAD.Trees;

/// <summary>The Trees row of <c>fastad selftest</c>: a kernel-trained ensemble against the managed one.</summary>
public static class TreesSelfTest
{
    /// <summary>What <see cref="Compare"/> found.</summary>
    /// <param name="IdenticalTrees">Trees with the same features, thresholds and default directions in both.</param>
    /// <param name="Trees">Trees compared (the larger count of each model pair).</param>
    /// <param name="MaxScoreDifference">Largest |Δ| of out-of-fold scores over the SR rows.</param>
    /// <param name="Managed">The managed ensemble.</param>
    /// <param name="Kernel">The kernel ensemble.</param>
    public sealed record Comparison(int IdenticalTrees, int Trees, double MaxScoreDifference, Ensemble Managed, Ensemble Kernel);

    /// <summary>
    /// Trains 5 folds × 2 models (CATHODE parameters, 60 rounds) on a small CATHODE-like task with missing
    /// values both ways, on the managed path and on <paramref name="device"/>, and compares them. With
    /// <paramref name="frequencies"/> every row carries a frequency weight of 1 to 3 (as bootstrap multiplicities do).
    /// <paramref name="parameters"/> replace the CATHODE parameters (e.g. leaf-wise growth).
    /// </summary>
    public static Comparison Compare(ComputeDevice device, bool frequencies = false, BoostingParameters? parameters = null)
    {
        const int sr = 500, samples = 2500, n = sr + samples;
        var cols = Enumerable.Range(0, 3).Select(f =>
        {
            var c = new double[n];
            Philox4x32.FillNormal(c, 9, (ulong)f);
            for (int i = 0; i < sr; i++) c[i] += 0.4 * (f + 1) / 3;
            if (f == 2) for (int i = 0; i < n; i += 17) c[i] = double.NaN;
            return c;
        }).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i < sr ? 1.0 : 0.0).ToArray();
        var binner = QuantileBinner.Fit(["a", "b", "c"], cols);
        var x = binner.Transform(cols);
        var folds = Folds(sr, samples);
        var p = parameters ?? BoostingParameters.Cathode with { MaxRounds = 60 };
        double[]? k = null;
        if (frequencies)
        {
            k = new double[n];
            Philox4x32.FillUniform(k, 9, 7);
            for (int i = 0; i < n; i++) k[i] = 1 + Math.Floor(3 * k[i]);
        }
        var managed = Ensemble.Train(binner, x, labels, folds, 2, p, frequencies: k);
        var kernel = KernelEnsembleTrainer.Train(device, binner, x, labels, folds, 2, p, k);
        int same = 0, total = 0;
        for (int f = 0; f < folds.Length; f++)
            for (int m = 0; m < 2; m++)
            {
                var a = managed.Models[f][m].Trees;
                var b = kernel.Models[f][m].Trees;
                total += Math.Max(a.Length, b.Length);
                for (int t = 0; t < Math.Min(a.Length, b.Length); t++)
                    if (a[t].Feature.SequenceEqual(b[t].Feature) && a[t].Threshold.SequenceEqual(b[t].Threshold) && a[t].DefaultLeft.SequenceEqual(b[t].DefaultLeft))
                        same++;
            }
        var sa = managed.OutOfFoldScores(x);
        var sb = kernel.OutOfFoldScores(x);
        double worst = Enumerable.Range(0, sr).Max(i => Math.Abs(sa[i] - sb[i]));
        return new Comparison(same, total, worst, managed, kernel);
    }

    /// <summary>
    /// The self-test task's folds: the rotation over SR rows and samples (no scored-only rows), seed 0, 5 folds.
    /// </summary>
    private static FoldSplit[] Folds(int dataSr, int samples) => FoldRotation.Make(dataSr, 0, samples, 5, 0);

    /// <summary>
    /// Largest out-of-fold score difference accepted between the kernel and the managed ensemble: histogram sums in
    /// another order may flip a near-tied split in a few trees, which moves later trees of that model slightly.
    /// </summary>
    public const double ScoreTolerance = 1e-3;

    /// <summary>
    /// Runs <see cref="Compare"/> as selftest rows (none on the managed CPU device): the depth-wise CATHODE trainer, and the
    /// leaf-wise one with scikit-learn's growth as CONRAD's classifiers use it (31 leaves, 60 rounds, subsample 0.7).
    /// </summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device)
    {
        if (device is CpuDevice) return [];
        return
        [
            Row(device, "BDT ensemble (kernel vs managed)", null),
            Row(device, "BDT ensemble, leaf-wise (kernel vs managed)", BoostingParameters.ScikitLearn with { MaxRounds = 60, Subsample = 0.7, Seed = 4 }),
        ];
    }

    private static SelfTestResult Row(ComputeDevice device, string name, BoostingParameters? parameters)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var c = Compare(device, parameters: parameters);
            // Histogram sums come from atomics: a split whose gain ties an equivalent one (no sampled row between
            // the two thresholds) may go either way; scores must still agree.
            bool ok = c.IdenticalTrees >= 0.95 * c.Trees && c.MaxScoreDifference <= ScoreTolerance;
            return new SelfTestResult(name, ok, c.MaxScoreDifference, ScoreTolerance,
                $"{c.IdenticalTrees}/{c.Trees} trees identical (ties by summation order allowed); max |Δ score|", sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return new SelfTestResult(name, false, double.NaN, ScoreTolerance, e.Message, sw.Elapsed.TotalSeconds);
        }
    }
}
