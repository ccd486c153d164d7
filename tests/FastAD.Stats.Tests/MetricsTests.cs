using FastAD.Kernels.Random;
using FastAD.Stats;
using Xunit;

namespace FastAD.Stats.Tests;

public class MetricsTests
{
    [Fact]
    public void ReweightingWeightsFollowTheFormulaAndClip()
    {
        var w = LikelihoodReweighting.Weights([0.5, 0.0, 0.9, 1.0], 0.1);
        Assert.Equal(1.0, w[0], 12);                       // LR = 1: (1 - 0.9)/0.1
        Assert.Equal(0.0, w[1]);                           // negative, clipped
        Assert.Equal((9.0 - 0.9) / 0.1, w[2], 9);
        Assert.Equal(LikelihoodReweighting.MaxWeight, w[3]);
        Assert.Throws<ArgumentException>(() => LikelihoodReweighting.Weights([1.5], 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LikelihoodReweighting.Weights([0.5], -0.1));
    }

    [Fact]
    public void ReweightingSharpensASignalTheClassifierSees()
    {
        // Falling background over [5, 16] plus a narrow peak at 9.46; the score prefers signal events.
        const int nb = 20000, ns = 400;
        var u = new double[4 * (nb + ns)];
        Philox4x32.FillUniform(u, 31, 1);
        var masses = new double[nb + ns];
        var scores = new double[nb + ns];
        for (int i = 0; i < nb; i++)
        {
            masses[i] = 5 + 11 * (1 - Math.Sqrt(1 - u[4 * i]));           // density falling linearly
            scores[i] = 0.6 * u[4 * i + 1];
        }
        for (int i = nb; i < nb + ns; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - u[4 * i])) * Math.Cos(2 * Math.PI * u[4 * i + 1]);
            masses[i] = 9.46 + 0.09 * g;
            scores[i] = 0.3 + 0.7 * u[4 * i + 2];
        }
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var (plain, weighted, mu) = LikelihoodReweighting.Significance(new ManagedProfileFitter(), model, masses, scores);
        Assert.Equal(FitStatus.Converged, plain.Status[0]);
        Assert.Equal(FitStatus.Converged, weighted.Status[0]);
        Assert.InRange(mu, 0.01, 0.2);
        Assert.True(weighted.Z[0] > plain.Z[0] + 0.5, $"reweighted Z {weighted.Z[0]:F3} vs unweighted {plain.Z[0]:F3}");
    }

    [Fact]
    public void RocAucMatchesTheRankStatistic()
    {
        var s = new double[3000];
        var b = new double[5000];
        Philox4x32.FillUniform(s, 8, 1);
        Philox4x32.FillUniform(b, 8, 2);
        for (int i = 0; i < s.Length; i++) s[i] = Math.Sqrt(s[i]);       // signal leans high
        var roc = ClassifierMetrics.Roc(s, b);
        // P(score_s > score_b) by counting pairs on a sorted background.
        var sorted = b.Order().ToArray();
        double pairs = s.Sum(v => (double)Array.BinarySearch(sorted, v) is var k && k >= 0 ? k : ~(int)k);
        Assert.Equal(pairs / ((double)s.Length * b.Length), roc.Auc, 6);
        Assert.InRange(roc.Auc, 0.6, 0.72);                                // exact: 2/3
        Assert.Equal(1.0, roc.Tpr[^1]);
        Assert.Equal(1.0, roc.Fpr[^1]);
        Assert.All(roc.Sic.Where(double.IsFinite), v => Assert.True(v >= 0));
    }

    [Fact]
    public void WorkingPointIsTheClosestSidebandFpr()
    {
        var scores = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        Assert.Equal((76.0, 0.25), ClassifierMetrics.WorkingPoint(scores, 0.25));
        Assert.Equal((100.0, 0.01), ClassifierMetrics.WorkingPoint(scores, 0.001));
        Assert.Equal((1.0, 1.0), ClassifierMetrics.WorkingPoint(scores, 1));
        var grid = ClassifierMetrics.FprGrid();
        Assert.Equal(25, grid.Length);
        Assert.Equal(1.0, grid[0]);
        Assert.Equal(1e-3, grid[^1], 15);
    }

    [Fact]
    public void AbcdAndBootstrap()
    {
        var (pred, err) = ClassifierMetrics.Abcd(10, 20, 5);
        Assert.Equal(40, pred, 12);
        Assert.Equal(40 * Math.Sqrt(0.1 + 0.05 + 0.2), err, 12);
        Assert.Throws<ArgumentException>(() => ClassifierMetrics.Abcd(1, 1, 0));
        Assert.Equal(3.0 / 11, ClassifierMetrics.BootstrapPValue(5, [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]), 12);
    }

    [Fact]
    public void KolmogorovSmirnovDistanceByHandAndItsAsymptoticPValue()
    {
        // F_a steps at 1, 2, 3 (thirds), F_b at 2.5, 4 (halves): |F_a − F_b| is 1/3, 2/3, 1/6, 1/2, 0 at 1, 2, 2.5, 3, 4.
        var (d, _) = ClassifierMetrics.KolmogorovSmirnov([1.0, 2, 3], [2.5, 4]);
        Assert.Equal(2.0 / 3, d, 12);
        // Ties count once: equal samples are at distance 0 with p = 1.
        var (d0, p0) = ClassifierMetrics.KolmogorovSmirnov([1.0, 1, 2, 3], [3.0, 2, 1, 1]);
        Assert.Equal(0, d0);
        Assert.Equal(1, p0);
        // λ = 1.358 is the 5% point of the Kolmogorov distribution: two uniform grids of 20,000 values, one shifted by the D
        // that gives that λ, must have that distance and p ≈ 0.05.
        int n = 20000;
        var a = Enumerable.Range(0, n).Select(i => (i + 0.5) / n).ToArray();
        double ne = n / 2.0, shift = 1.358 / (Math.Sqrt(ne) + 0.12 + 0.11 / Math.Sqrt(ne));
        var b = a.Select(v => v + shift).ToArray();
        var (ds, ps) = ClassifierMetrics.KolmogorovSmirnov(a, b);
        Assert.Equal(shift, ds, 3);
        Assert.InRange(ps, 0.045, 0.055);
        Assert.Throws<ArgumentException>(() => ClassifierMetrics.KolmogorovSmirnov([], [1.0]));
    }
}
