using FastAD.TestSupport;
using FastAD.Trees;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Trees.Tests;

/// <summary>
/// Out-of-fold AUC (5 folds, row i in fold i mod 5) against the peers' numbers, computed with
/// bench/peers/trees_peers.py on Debian's python3-xgboost 1.7.4 and python3-sklearn 1.2.1 (2026-11-23).
/// </summary>
public class PeerAucTests(ITestOutputHelper output)
{
    private const double XgbSynthetic = 0.833720100185618, SklearnSynthetic = 0.8329958546367937;
    private const double XgbCms = 0.8012408910336087, SklearnCms = 0.7851989958811629;

    internal static (string[] Names, double[][] Columns, double[] Labels) Synthetic()
    {
        var t = TestTables.ReadCsv(Path.Combine(Layering.RepositoryRoot(), "data", "synthetic", "trees_task.csv"));
        string[] names = ["x0", "x1", "x2", "x3"];
        return (names, names.Select(n => t[n]).ToArray(), t["label"]);
    }

    internal static (string[] Names, double[][] Columns, double[] Labels) Cms()
    {
        var t = TestTables.ReadCsv(Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv"));
        string[] names = ["dimu_pt", "mu0_ip3d", "mu1_ip3d"];
        var labels = t["mu0_iso04"].Zip(t["mu1_iso04"], (a, b) => a >= 0.55 && b >= 0.55 ? 1.0 : 0.0).ToArray();
        return (names, names.Select(n => t[n]).ToArray(), labels);
    }

    internal static double OutOfFoldAuc(string[] names, double[][] columns, double[] labels, BoostingParameters p)
    {
        int n = labels.Length;
        var pred = new double[n];
        for (int k = 0; k < 5; k++)
        {
            var trainRows = Enumerable.Range(0, n).Where(i => i % 5 != k).ToArray();
            var testRows = Enumerable.Range(0, n).Where(i => i % 5 == k).ToArray();
            var binner = QuantileBinner.Fit(names, columns.Select(c => trainRows.Select(i => c[i]).ToArray()).ToArray());
            var x = binner.Transform(columns);
            var model = HistogramBooster.Train(binner, new TrainingSet(x, labels, rows: trainRows), null, p);
            var margin = model.PredictMargin(x);
            foreach (int i in testRows) pred[i] = margin[i];
        }
        return TestTables.Auc(pred, labels);
    }

    private static BoostingParameters DepthWise => BoostingParameters.XGBoost with { MaxRounds = 100, MaxDepth = 3 };
    private static BoostingParameters LeafWise => BoostingParameters.ScikitLearn with { MaxRounds = 100 };

    [Fact]
    public void SyntheticTaskMatchesXGBoostAndScikitLearn()
    {
        var (names, cols, y) = Synthetic();
        double depth = OutOfFoldAuc(names, cols, y, DepthWise), leaf = OutOfFoldAuc(names, cols, y, LeafWise);
        output.WriteLine($"synthetic: depth-wise {depth:F5} (XGBoost {XgbSynthetic:F5}), leaf-wise {leaf:F5} (scikit-learn {SklearnSynthetic:F5})");
        Assert.InRange(depth, XgbSynthetic - 0.005, XgbSynthetic + 0.005);
        Assert.InRange(leaf, SklearnSynthetic - 0.005, SklearnSynthetic + 0.005);
    }

    [Fact]
    public void CmsFeaturesMatchXGBoostAndScikitLearn()
    {
        var (names, cols, y) = Cms();
        double depth = OutOfFoldAuc(names, cols, y, DepthWise), leaf = OutOfFoldAuc(names, cols, y, LeafWise);
        output.WriteLine($"CMS: depth-wise {depth:F5} (XGBoost {XgbCms:F5}), leaf-wise {leaf:F5} (scikit-learn {SklearnCms:F5})");
        Assert.InRange(depth, XgbCms - 0.005, XgbCms + 0.005);
        Assert.InRange(leaf, SklearnCms - 0.005, SklearnCms + 0.005);
    }
}
