using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Diagnostics;
using FastAD.Kernels.Random;

namespace FastAD.Trees;

/// <summary>The Trees row of <c>fastad selftest</c>: a kernel-trained ensemble against the managed one.</summary>
public static class TreesSelfTest
{
    /// <summary>Trains 5 folds × 2 models both ways on a small CATHODE-like task and compares trees and scores.</summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device)
    {
        if (device is CpuDevice) return [];
        var sw = Stopwatch.StartNew();
        const string name = "BDT ensemble (kernel vs managed)";
        try
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
            var folds = CathodeFolds.Make(sr, 0, samples);
            var p = BoostingParameters.Cathode with { MaxRounds = 60 };
            var managed = Ensemble.Train(binner, x, labels, folds, 2, p);
            var kernel = KernelEnsembleTrainer.Train(device, binner, x, labels, folds, 2, p);
            int same = 0, total = 0;
            for (int f = 0; f < folds.Length; f++)
                for (int m = 0; m < 2; m++)
                {
                    var a = managed.Models[f][m].Trees;
                    var b = kernel.Models[f][m].Trees;
                    total += Math.Max(a.Length, b.Length);
                    for (int t = 0; t < Math.Min(a.Length, b.Length); t++)
                        if (a[t].Feature.SequenceEqual(b[t].Feature) && a[t].Threshold.SequenceEqual(b[t].Threshold)) same++;
                }
            var sa = managed.OutOfFoldScores(x);
            var sb = kernel.OutOfFoldScores(x);
            double worst = Enumerable.Range(0, sr).Max(i => Math.Abs(sa[i] - sb[i]));
            // Histogram sums come from atomics: a split whose gain ties an equivalent one (no sampled row between
            // the two thresholds) may go either way; scores must still agree.
            return [new SelfTestResult(name, same >= 0.95 * total && worst <= 1e-6, worst, 1e-6, $"{same}/{total} trees identical (ties by summation order allowed); max |Δ score|", sw.Elapsed.TotalSeconds)];
        }
        catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return [new SelfTestResult(name, false, double.NaN, 1e-6, e.Message, sw.Elapsed.TotalSeconds)];
        }
    }
}
