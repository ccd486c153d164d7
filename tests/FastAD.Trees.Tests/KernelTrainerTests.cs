using FastAD.TestSupport;
using FastAD.Trees;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Trees.Tests;

public class KernelTrainerTests(ITestOutputHelper output)
{
    /// <summary>Leaf-wise parameters of the comparisons: scikit-learn's, with subsampling and early stopping; optionally a depth limit.</summary>
    private static BoostingParameters LeafWise(int maxDepth) =>
        BoostingParameters.ScikitLearn with { MaxRounds = 40, MaxLeafNodes = 15, MaxDepth = maxDepth, Subsample = 0.7, Patience = 10, Seed = 4 };

    [SkippableTheory]
    [InlineData("opencl", false, "depth-wise")]
    [InlineData("cuda", false, "depth-wise")]
    [InlineData("opencl", true, "depth-wise")]
    [InlineData("cuda", true, "depth-wise")]
    [InlineData("opencl", false, "leaf-wise")]
    [InlineData("opencl", true, "leaf-wise")]
    [InlineData("opencl", false, "leaf-wise, depth 3")]
    [InlineData("cuda", true, "leaf-wise")]
    public void KernelEnsembleMatchesTheManagedEnsemble(string backend, bool frequencies, string growth)
    {
        var device = TestDevices.Get(backend);
        var p = growth switch { "leaf-wise" => LeafWise(0), "leaf-wise, depth 3" => LeafWise(3), _ => null };
        var c = TreesSelfTest.Compare(device, frequencies, p);
        if (p is not null)   // the leaf limit and the depth limit hold, and some tree reaches the limit (the kernels' limits are tested)
        {
            var trees = c.Kernel.Models.SelectMany(f => f).SelectMany(m => m.Trees).ToArray();
            Assert.All(trees, t => Assert.True(t.Leaves <= p.MaxLeafNodes));
            Assert.Contains(trees, t => t.Leaves == p.MaxLeafNodes || p.MaxDepth > 0);
            if (p.MaxDepth > 0) Assert.All(trees, t => Assert.True(t.Leaves <= 1 << p.MaxDepth));
        }
        output.WriteLine($"{c.IdenticalTrees} of {c.Trees} trees identical in structure; scores differ by up to {c.MaxScoreDifference:E2}");
        for (int f = 0; f < c.Managed.Models.Length; f++)
            for (int m = 0; m < c.Managed.Models[f].Length; m++)
            {
                Assert.Equal(c.Managed.Models[f][m].RoundsTrained, c.Kernel.Models[f][m].RoundsTrained);
                Assert.Equal(c.Managed.Models[f][m].Trees.Length, c.Kernel.Models[f][m].Trees.Length);
            }
        // Atomics sum the histograms in another order than the managed path: a split whose gain nearly ties another
        // may go the other way (1 in 131 trees on an H100, 2 in 131 on PoCL), which moves that model's later trees a
        // little. Anything beyond that — another algorithm, weights or stopping rule — changes most trees and the scores
        // by far more than 1e-3.
        Assert.True(c.IdenticalTrees >= 0.95 * c.Trees, $"only {c.IdenticalTrees} of {c.Trees} trees identical");
        Assert.True(c.MaxScoreDifference < TreesSelfTest.ScoreTolerance, $"out-of-fold scores differ by up to {c.MaxScoreDifference:E2}");
    }

    [SkippableFact]
    public void TooManyLeavesAndDeepTreesAreRefusedClearly()
    {
        var device = TestDevices.All.Devices.FirstOrDefault(d => d.SupportsKernels);
        Skip.If(device is null, "no kernel device");
        var binner = QuantileBinner.Fit(["a"], [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]);
        var x = binner.Transform([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]);
        var folds = new[] { new FoldSplit([0, 1, 2, 3], [], [4, 5]) };
        double[] y = [1, 0, 1, 0, 1, 0];
        Assert.Throws<NotSupportedException>(() => KernelEnsembleTrainer.Train(device!, binner, x, y, folds, 1, BoostingParameters.ScikitLearn with { MaxLeafNodes = 129 }));
        Assert.Throws<NotSupportedException>(() => KernelEnsembleTrainer.Train(device!, binner, x, y, folds, 1, BoostingParameters.XGBoost with { MaxDepth = 9 }));
    }
    /// <summary>
    /// Every (fold, member) job of a launch is its own model: the ensemble trained in one launch has the trees of the jobs
    /// trained one launch each (member j with seed + j), so no job reads another's rows, histograms or trees.
    /// </summary>
    [SkippableTheory]
    [InlineData("opencl", "depth-wise")]
    [InlineData("opencl", "leaf-wise")]
    [InlineData("cuda", "leaf-wise")]
    public void OneLaunchTrainsWhatSeparateLaunchesTrain(string backend, string growth)
    {
        var device = TestDevices.Get(backend);
        const int n = 1500;
        var cols = Enumerable.Range(0, 2).Select(f =>
        {
            var c = new double[n];
            FastAD.Kernels.Random.Philox4x32.FillNormal(c, 3, (ulong)f);
            for (int i = 0; i < n; i += 3) c[i] += 0.8;
            if (f == 1) for (int i = 0; i < n; i += 11) c[i] = double.NaN;
            return c;
        }).ToArray();
        var y = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 1.0 : 0.0).ToArray();
        var binner = QuantileBinner.Fit(["a", "b"], cols);
        var x = binner.Transform(cols);
        // Folds of different sizes, so that the jobs' row ranges and buffers have different offsets and lengths.
        var folds = new[] { (0, 900), (300, 1500), (100, 1200) }.Select(r =>
        {
            var rows = Enumerable.Range(r.Item1, r.Item2 - r.Item1).ToArray();
            return new FoldSplit(rows.Where(i => i % 5 != 0).ToArray(), rows.Where(i => i % 5 == 0).ToArray(), []);
        }).ToArray();
        var p = growth == "leaf-wise" ? LeafWise(0) with { MaxRounds = 15 } : BoostingParameters.Cathode with { MaxRounds = 15 };
        var together = KernelEnsembleTrainer.Train(device, binner, x, y, folds, 2, p);
        int splits = 0;
        for (int f = 0; f < folds.Length; f++)
            for (int m = 0; m < 2; m++)
            {
                var alone = KernelEnsembleTrainer.Train(device, binner, x, y, [folds[f]], 1, p with { Seed = p.Seed + (ulong)m }).Models[0][0];
                var a = alone.Trees;
                var b = together.Models[f][m].Trees;
                Assert.Equal(alone.RoundsTrained, together.Models[f][m].RoundsTrained);
                Assert.Equal(a.Length, b.Length);
                for (int t = 0; t < a.Length; t++)
                {
                    Assert.Equal(a[t].Feature, b[t].Feature);
                    Assert.Equal(a[t].Threshold, b[t].Threshold);
                    Assert.Equal(a[t].DefaultLeft, b[t].DefaultLeft);
                    Assert.Equal(a[t].Left, b[t].Left);
                    Assert.Equal(a[t].Right, b[t].Right);
                    for (int k = 0; k < a[t].Value.Length; k++) Assert.Equal(a[t].Value[k], b[t].Value[k], 1e-12);
                    splits += a[t].Leaves - 1;
                }
            }
        Assert.True(splits > 0, "no tree split: the comparison would be empty");
    }

    /// <summary>The boosting seam: depth-wise (depth ≤ 8) and leaf-wise (≤ 128 leaves) trees on kernel devices, everything else on the managed reference, saying why.</summary>
    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void TheSeamPicksThePathAndSaysWhy(string backend)
    {
        var device = TestDevices.Get(backend);
        var binner = QuantileBinner.Fit(["a"], [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]);
        var x = binner.Transform([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]);
        var folds = new[] { new FoldSplit([0, 1, 2, 3, 4, 5], [], [6, 7]) };
        double[] y = [1, 0, 1, 0, 1, 0, 1, 0];
        var deep = BoostingParameters.XGBoost with { MaxDepth = 9, MaxRounds = 3 };
        Assert.Contains(device.SupportsKernels ? $"in one launch on {device.Id}" : "runs no kernels", Ensemble.PathOn(device, BoostingParameters.XGBoost));
        if (device.SupportsKernels)
        {
            Assert.Equal($"in one launch on {device.Id} (leaf-wise kernels)", Ensemble.PathOn(device, BoostingParameters.ScikitLearn));
            Assert.Contains("≤ 128 leaves, not 129", Ensemble.PathOn(device, BoostingParameters.ScikitLearn with { MaxLeafNodes = 129 }));
            Assert.Contains("depth ≤ 8, not 9", Ensemble.PathOn(device, deep));
        }
        // What the kernels cannot grow still trains (on the managed path), to the managed path's result.
        var e = Ensemble.Train(device, binner, x, y, folds, 1, deep);
        var managed = Ensemble.Train(binner, x, y, folds, 1, deep);
        Assert.Equal(managed.OutOfFoldScores(x), e.OutOfFoldScores(x));
    }
}
