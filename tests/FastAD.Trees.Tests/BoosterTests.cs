using FastAD.TestSupport;
using FastAD.Trees;
using Xunit;

namespace FastAD.Trees.Tests;

public class BoosterTests
{
    private static (QuantileBinner Binner, BinnedFeatures X, double[] Y) SyntheticBinned(int rows = 4000)
    {
        var (names, cols, y) = PeerAucTests.Synthetic();
        var c = cols.Select(col => col[..rows]).ToArray();
        var binner = QuantileBinner.Fit(names, c);
        return (binner, binner.Transform(c), y[..rows]);
    }

    [Fact]
    public void BinnerUsesMidpointsQuantilesAndAMissingBin()
    {
        var few = new double[] { 3, 1, 2, 2, double.NaN, 1 };
        var many = Enumerable.Range(0, 10_000).Select(i => (double)(i * 7919 % 10_000)).ToArray();
        var b = QuantileBinner.Fit(["few"], [few]);
        Assert.Equal(new[] { 1.5, 2.5 }, b.Thresholds[0]);
        Assert.Equal(new byte[] { 2, 0, 1, 1, QuantileBinner.MissingBin, 0 }, b.Transform([few]).Column(0).ToArray());
        var m = QuantileBinner.Fit(["many"], [many]);
        Assert.True(m.Thresholds[0].Length <= QuantileBinner.MaxBins - 1);
        Assert.True(m.Thresholds[0].Length >= 250);
        // Equal-population bins: about 10000/255 values each.
        var counts = m.Transform([many]).Column(0).ToArray().GroupBy(v => v).Select(g => g.Count()).ToArray();
        Assert.InRange(counts.Max(), 35, 45);
        Assert.Throws<ArgumentException>(() => QuantileBinner.Fit(["bad"], [[1.0, double.PositiveInfinity]]));
    }

    [Fact]
    public void DepthAndLeafLimitsHold()
    {
        var (binner, x, y) = SyntheticBinned();
        var depth = HistogramBooster.Train(binner, new TrainingSet(x, y), null, BoostingParameters.XGBoost with { MaxRounds = 5, MaxDepth = 3 });
        Assert.All(depth.Trees, t => Assert.True(t.Leaves <= 8));
        Assert.Contains(depth.Trees, t => t.Leaves == 8);
        var leaf = HistogramBooster.Train(binner, new TrainingSet(x, y), null, BoostingParameters.ScikitLearn with { MaxRounds = 5, MaxLeafNodes = 13 });
        Assert.All(leaf.Trees, t => Assert.Equal(13, t.Leaves));
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestIteration()
    {
        var (binner, x, y) = SyntheticBinned();
        var train = new TrainingSet(x, y, rows: Enumerable.Range(0, 3000).ToArray());
        var validation = new TrainingSet(x, y, rows: Enumerable.Range(3000, 1000).ToArray(), name: "validation");
        var p = BoostingParameters.XGBoost with { MaxRounds = 500, MaxDepth = 6, LearningRate = 0.3, Patience = 10 };
        var m = HistogramBooster.Train(binner, train, validation, p);
        Assert.True(m.RoundsTrained < 500, "a deep fast learner must overfit and stop");
        Assert.Equal(m.RoundsTrained - 10, m.Trees.Length);
        // The kept prefix has the lowest validation loss of all prefixes.
        double Loss(int trees)
        {
            var margin = m.PredictMargin(x, 0, trees);
            return validation.Rows.Average(r => Math.Log(1 + Math.Exp(-Math.Abs(margin[r]))) + Math.Max(margin[r], 0) - y[r] * margin[r]);
        }
        double best = Loss(m.Trees.Length);
        for (int t = 1; t < m.Trees.Length; t += 7) Assert.True(Loss(t) >= best - 1e-12);
    }

    [Fact]
    public void SubsamplingIsSeededAndDeterministic()
    {
        var (binner, x, y) = SyntheticBinned(2000);
        var p = BoostingParameters.Cathode with { MaxRounds = 20, Patience = 0 };
        var a = HistogramBooster.Train(binner, new TrainingSet(x, y), null, p with { Seed = 3 }).PredictMargin(x);
        var b = HistogramBooster.Train(binner, new TrainingSet(x, y), null, p with { Seed = 3 }).PredictMargin(x);
        var c = HistogramBooster.Train(binner, new TrainingSet(x, y), null, p with { Seed = 4 }).PredictMargin(x);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void MissingValuesLearnADefaultDirection()
    {
        // The label is carried only by whether x is missing: the model must route NaN apart.
        int n = 2000;
        var xs = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++) { y[i] = i % 3 == 0 ? 1 : 0; xs[i] = y[i] == 1 ? double.NaN : i % 97; }
        var binner = QuantileBinner.Fit(["x"], [xs]);
        var bx = binner.Transform([xs]);
        var m = HistogramBooster.Train(binner, new TrainingSet(bx, y), null, BoostingParameters.XGBoost with { MaxRounds = 10, MaxDepth = 2 });
        Assert.Equal(1.0, TestTables.Auc(m.PredictMargin(bx), y), 9);
    }

    [Fact]
    public void ConstantFeaturesGiveTheBaseline()
    {
        var xs = Enumerable.Repeat(4.2, 100).ToArray();
        var y = Enumerable.Range(0, 100).Select(i => i < 30 ? 1.0 : 0.0).ToArray();
        var binner = QuantileBinner.Fit(["c"], [xs]);
        var bx = binner.Transform([xs]);
        var m = HistogramBooster.Train(binner, new TrainingSet(bx, y), null, BoostingParameters.XGBoost with { MaxRounds = 3 });
        Assert.All(m.Trees, t => Assert.Equal(1, t.Leaves));
        Assert.All(m.PredictProbability(bx), v => Assert.Equal(0.3, v, 9)); // leaves vanish: gradients sum to zero at the baseline
    }

    [Fact]
    public void BadInputIsRejectedClearly()
    {
        var (binner, x, y) = SyntheticBinned(500);
        var e = Assert.Throws<ArgumentException>(() => new TrainingSet(x, y.Select(v => v * 2).ToArray()));
        Assert.Contains("labels must be 0 or 1", e.Message);
        var w = Enumerable.Repeat(1.0, 500).ToArray();
        w[7] = 0;
        e = Assert.Throws<ArgumentException>(() => new TrainingSet(x, y, w));
        Assert.Contains("row 8", e.Message);
        w[7] = double.NaN;
        Assert.Throws<ArgumentException>(() => new TrainingSet(x, y, w));
        e = Assert.Throws<ArgumentException>(() => new TrainingSet(x, y, rows: [], name: "validation"));
        Assert.Contains("validation set is empty", e.Message);
        var ones = Enumerable.Repeat(1.0, 500).ToArray();
        e = Assert.Throws<ArgumentException>(() => HistogramBooster.Train(binner, new TrainingSet(x, ones), null, BoostingParameters.XGBoost));
        Assert.Contains("single class", e.Message);
        Assert.Throws<ArgumentException>(() => HistogramBooster.Train(binner, new TrainingSet(x, y), null, BoostingParameters.Cathode));
    }

    [Fact]
    public void MeanTestScoresAverageEveryFoldThatTestsARow()
    {
        var (binner, x, y) = SyntheticBinned(2000);
        // Three one-model folds: rows 0..999 are tested by folds 0 and 1, rows 1000..1499 by fold 2 only, the rest by none.
        var first = Enumerable.Range(0, 1000).ToArray();
        var second = Enumerable.Range(1000, 500).ToArray();
        var trainA = Enumerable.Range(1000, 1000).ToArray();
        var trainB = Enumerable.Range(0, 1000).ToArray();
        var folds = new[] { new FoldSplit(trainA, [], first), new FoldSplit(trainA.Where(r => r % 2 == 0).ToArray(), [], first), new FoldSplit(trainB, [], second) };
        var ensemble = Ensemble.Train(binner, x, y, folds, 1, BoostingParameters.ScikitLearn with { MaxRounds = 20 });
        var mean = ensemble.MeanTestScores(x);
        double[] Single(int f) => new Ensemble(binner, [folds[f]], [ensemble.Models[f]]).OutOfFoldScores(x);
        var (s0, s1, s2) = (Single(0), Single(1), Single(2));
        Assert.NotEqual(s0[5], s1[5]);  // the two folds' models differ, so the mean is a real average
        for (int r = 0; r < 1000; r++) Assert.Equal((s0[r] + s1[r]) / 2, mean[r], 12);
        for (int r = 1000; r < 1500; r++) Assert.Equal(s2[r], mean[r], 12);
        Assert.All(Enumerable.Range(1500, 500), r => Assert.True(double.IsNaN(mean[r])));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LeavesHoldTheNewtonStepOfTheRowsThatReachThem(bool leafWise)
    {
        // An independent check of the booster's bookkeeping (subsampling, partition, node sums, margins of grown and of
        // skipped rows, missing values): for the second tree, recompute every row's margin from the first tree by a
        // descent written here, draw the documented subsample (Philox, seed, round 1, u < subsample), route the sampled
        // rows through the second tree, and require each leaf to hold −ΣG/(ΣH + λ) × learning rate of its rows.
        var (names, cols, y) = PeerAucTests.Synthetic();
        var c = cols.Select(col => col[..3000].ToArray()).ToArray();
        var labels = y[..3000];
        // Missing values that carry information (mostly signal), so that splits send them left as well as right.
        for (int i = 0; i < 3000; i++)
            if (i % 7 == 0 || (labels[i] == 1 && i % 3 == 0)) c[0][i] = double.NaN;
        var binner = QuantileBinner.Fit(names, c);
        var x = binner.Transform(c);
        var w = labels.Select(v => v == 1 ? 1.7 : 1.0).ToArray();
        var p = (leafWise ? BoostingParameters.ScikitLearn with { MaxLeafNodes = 8 } : BoostingParameters.Cathode with { Patience = 0 })
            with { MaxRounds = 2, Subsample = 0.7, Seed = 11 };
        var model = HistogramBooster.Train(binner, new TrainingSet(x, labels, w), null, p);
        Assert.Equal(2, model.Trees.Length);
        var second = model.Trees[1];
        Assert.True(second.Leaves >= 4, $"a second tree of {second.Leaves} leaves tests little");
        int Leaf(Tree t, int row)
        {
            int n = 0;
            while (t.Left[n] >= 0)
            {
                byte b = x.Column(t.Feature[n])[row];
                n = (b == QuantileBinner.MissingBin ? t.DefaultLeft[n] : b <= t.Threshold[n]) ? t.Left[n] : t.Right[n];
            }
            return n;
        }
        var u = new double[3000];
        FastAD.Kernels.Random.Philox4x32.FillUniform(u, p.Seed, 1);
        var g = new double[second.Value.Length];
        var h = new double[second.Value.Length];
        for (int r = 0; r < 3000; r++)
        {
            if (!(u[r] < p.Subsample)) continue;
            double margin = model.Baseline + model.Trees[0].Value[Leaf(model.Trees[0], r)];
            double prob = 1 / (1 + Math.Exp(-margin));
            int leaf = Leaf(second, r);
            g[leaf] += (prob - labels[r]) * w[r];
            h[leaf] += prob * (1 - prob) * w[r];
        }
        for (int n = 0; n < second.Value.Length; n++)
            if (second.Left[n] < 0)
                Assert.Equal(-g[n] / (h[n] + p.Lambda) * p.LearningRate, second.Value[n], 10);
        // The case that needs the missing values' sums: a split of the feature with missing values that sends them left.
        Assert.Contains(model.Trees.SelectMany(t => Enumerable.Range(0, t.Value.Length).Select(n => (t, n))),
            tn => tn.t.Left[tn.n] >= 0 && tn.t.Feature[tn.n] == 0 && tn.t.DefaultLeft[tn.n]);
    }

    [Fact]
    public void FrequencyWeightsTrainLikeDuplicatedRows()
    {
        // A row of frequency k must count as k copies of the row: in the gradients, the validation loss (early stopping)
        // and the class weight N0/N1. Without row subsampling the two trainings grow the same trees.
        var (_, x, y) = SyntheticBinned(3000);
        var cols = Enumerable.Range(0, x.Features).Select(f => x.Column(f).ToArray().Select(b => (double)b).ToArray()).ToArray();
        var labels = y.Select((v, i) => i < 800 ? 1.0 : 0.0).ToArray();
        var k = new double[labels.Length];
        for (int i = 0; i < k.Length; i++) k[i] = 1 + (i * 7919 % 13) % 3;   // 1, 2 or 3
        var copies = Enumerable.Range(0, labels.Length).SelectMany(i => Enumerable.Repeat(i, (int)k[i])).ToArray();
        var binner = QuantileBinner.Fit(Enumerable.Range(0, x.Features).Select(f => $"f{f}").ToArray(), cols);
        var xu = binner.Transform(cols);
        var xd = binner.Transform(cols.Select(c => copies.Select(i => c[i]).ToArray()).ToArray());
        var yd = copies.Select(i => labels[i]).ToArray();
        // Rows of one original event stay in one part: train < 2000 ≤ validation < 2500 ≤ test.
        static int[] Where(int[] src, Func<int, bool> keep) => Enumerable.Range(0, src.Length).Where(j => keep(src[j])).ToArray();
        var ids = Enumerable.Range(0, labels.Length).ToArray();
        FoldSplit Split(int[] src) => new(Where(src, i => i % 5 < 3), Where(src, i => i % 5 == 3), Where(src, i => i % 5 == 4));
        var p = BoostingParameters.Cathode with { Subsample = 1, MaxRounds = 60 };
        var weighted = Ensemble.Train(binner, xu, labels, [Split(ids)], 1, p, frequencies: k);
        var duplicated = Ensemble.Train(binner, xd, yd, [Split(copies)], 1, p);
        var (mw, md) = (weighted.Models[0][0], duplicated.Models[0][0]);
        Assert.Equal(md.RoundsTrained, mw.RoundsTrained);
        Assert.Equal(md.Trees.Length, mw.Trees.Length);
        Assert.True(mw.Trees.Length < 60, "early stopping never triggered: the test would not cover the validation loss");
        Assert.Equal(md.Baseline, mw.Baseline, 12);
        var sw = weighted.OutOfFoldScores(xu);
        var sd = duplicated.OutOfFoldScores(xd);
        for (int j = 0; j < copies.Length; j++)
            if (!double.IsNaN(sd[j])) Assert.Equal(sd[j], sw[copies[j]], 9);
        // Frequencies change the model: plain rows give other trees.
        var plain = Ensemble.Train(binner, xu, labels, [Split(ids)], 1, p).OutOfFoldScores(xu);
        Assert.Contains(Enumerable.Range(0, labels.Length), i => !double.IsNaN(plain[i]) && Math.Abs(plain[i] - sw[i]) > 1e-6);
        Assert.Throws<ArgumentException>(() => Ensemble.Train(binner, xu, labels, [Split(ids)], 1, p, frequencies: k.Select(v => v - 1).ToArray()));
    }

    [Fact]
    public void EnsemblesTrainConcurrentlyAndRoundTripThroughTheModelFile()
    {
        var (binner, x, y) = SyntheticBinned(3000);
        // Rows: first 1000 as "SR data" (the labels as they are), then 500 "SB" and 1500 "samples" (label 0).
        var labels = y.Select((v, i) => i < 1000 ? 1.0 : 0.0).ToArray();
        var folds = FoldRotation.Make(1000, 500, 1500);
        var ensemble = Ensemble.Train(binner, x, labels, folds, 3, BoostingParameters.Cathode with { MaxRounds = 30 });
        var scores = ensemble.OutOfFoldScores(x);
        Assert.All(Enumerable.Range(0, 1500), r => Assert.InRange(scores[r], 0, 1));
        Assert.All(Enumerable.Range(1500, 1500), r => Assert.True(double.IsNaN(scores[r])));
        string path = Path.Combine(Path.GetTempPath(), $"fastad-trees-{Guid.NewGuid():N}.json");
        ModelFile.Save(path, ensemble);
        var loaded = ModelFile.Load(path);
        File.Delete(path);
        Assert.Equal(scores, loaded.OutOfFoldScores(x));
        File.WriteAllText(path, "{\"format\": \"something-else\", \"version\": 1}");
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("not a FastAD trees model file", e.Message);
        File.Delete(path);
    }
}
