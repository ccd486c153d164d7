using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Stats.Tests;

/// <summary>The discrete-window Gross–Vitells estimate (SPEC 5.3) against Monte Carlo sequences whose global p is known by counting.</summary>
public class LookElsewhereTests
{
    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, -0.4)]
    [InlineData(3.0, 0.9)]
    public void TheNeighbourUpcrossingIsTheBivariateNormalsProbability(double u, double rho)
    {
        // Monte Carlo pairs (X, ρX + √(1 − ρ²) Y): the fraction with X < u ≤ second.
        const int n = 2_000_000;
        var x = new double[n];
        var y = new double[n];
        Philox4x32.FillNormal(x, 5, 0);
        Philox4x32.FillNormal(y, 5, 1);
        int k = 0;
        for (int i = 0; i < n; i++)
            if (x[i] < u && rho * x[i] + Math.Sqrt(1 - rho * rho) * y[i] >= u) k++;
        double p = (double)k / n, err = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(LookElsewhere.NeighbourUpcrossing(u, rho), p - 5 * err, p + 5 * err);
        // Closed forms: at u = 0, 1/4 − asin ρ / 2π; with ρ = −1 (Y = −X), P(X ≤ −u) = 1 − Φ(u); identical windows never cross.
        Assert.Equal(0.25 - Math.Asin(rho) / (2 * Math.PI), LookElsewhere.NeighbourUpcrossing(0, rho), 12);
        Assert.Equal(LookElsewhere.PLocal(u), LookElsewhere.NeighbourUpcrossing(u, -1), 12);
        Assert.Equal(0, LookElsewhere.NeighbourUpcrossing(u, 1), 10);
    }

    [Theory]
    [InlineData(new[] { 1.0 })]                          // independent windows
    [InlineData(new[] { 1.0, 0.8 })]                     // neighbours sharing part of their events (lag-1 correlation 0.49)
    [InlineData(new[] { 1.0, -0.6 })]                    // an excess in one window's SR raising its neighbour's sideband (−0.44)
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 })] // windows one resolution bin apart (lag-1 correlation 5/6, lags up to 5)
    public void TheDiscreteEstimateMatchesCountedMaximaWhereTheContinuousOneOverstatesThem(double[] c)
    {
        // 41 windows, Z_i = Σ_k c_k e_(i+k) / |c|: a stationary standard normal sequence with lag-1 correlation Σ c_k c_(k+1) / |c|².
        const int windows = 41, sequences = 200_000;
        int stride = windows + c.Length - 1;
        var e = new double[stride * sequences];
        Philox4x32.FillNormal(e, 17, 0);
        var z = new double[windows];
        double norm = Math.Sqrt(c.Sum(x => x * x)), rho = Enumerable.Range(0, c.Length - 1).Sum(k => c[k] * c[k + 1]) / (norm * norm), sumUp = 0;
        int above3 = 0, above4 = 0;
        for (int s = 0; s < sequences; s++)
        {
            for (int w = 0; w < windows; w++)
            {
                double v = 0;
                for (int k = 0; k < c.Length; k++) v += c[k] * e[s * stride + w + k];
                z[w] = v / norm;
            }
            sumUp += LookElsewhere.Upcrossings(z, 1);
            double max = z.Max();
            if (max >= 3) above3++;
            if (max >= 4) above4++;
        }
        double meanUp = sumUp / sequences;
        // The upcrossings depend on the neighbouring pairs alone: the fitted correlation is the sequence's lag-1 correlation.
        Assert.Equal(rho, LookElsewhere.NeighbourCorrelation(1, meanUp, windows), 0.03);
        foreach (var (t, count) in new[] { (3.0, above3), (4.0, above4) })
        {
            double p = (double)count / sequences, err = Math.Sqrt(Math.Max(p * (1 - p), 1.0 / sequences) / sequences);
            var (discrete, _) = LookElsewhere.DiscreteGrossVitells(t, 1, meanUp, windows);
            Assert.InRange(discrete, p - 4 * err, p + 4 * err);
            if (t == 3 && rho < 0.6) Assert.True(LookElsewhere.GrossVitells(t, 1, meanUp) > 1.3 * p, $"continuous GV {LookElsewhere.GrossVitells(t, 1, meanUp)} vs counted {p}");
        }
    }
}

/// <summary>The sideband-fit quality check of a scan window.</summary>
public class SidebandFitTests
{
    [Fact]
    public void CountsOnThePolynomialFitPerfectlyAndASpikeInASidebandDoesNot()
    {
        var model = new BackgroundModel(new BumpHuntBinning(5, 9, 10.6, 16, 12), 5);
        double[] theta = [400, -60, 3, 0, 0, 0];                 // f(m) = 400 − 60 m + 3 m² > 0 on [5, 16]
        var exact = model.Binning.SbCentres.Select(m => BackgroundModel.Evaluate(theta, m)).ToArray();
        var (d, ndf, p) = model.SidebandFit(theta, exact);
        Assert.Equal(0, d, 9);
        Assert.Equal(model.Binning.SbBins - 6, ndf);
        Assert.Equal(1, p, 9);
        // One bin 5σ high among the ~70 sideband bins is within what the fluctuations give (deviance about 25, p near 1) ...
        var one = (double[])exact.Clone();
        one[3] += 5 * Math.Sqrt(one[3]);
        var (d1, _, p1) = model.SidebandFit(theta, one);
        Assert.InRange(d1, 20, 30);
        Assert.True(p1 > 0.5, $"p = {p1}");
        // ... a resonance over five sideband bins, 6σ each, is not: deviance about 180, p far below 1e-3.
        var spiked = (double[])exact.Clone();
        for (int r = 3; r < 8; r++) spiked[r] += 6 * Math.Sqrt(spiked[r]);
        var (d2, _, p2) = model.SidebandFit(theta, spiked);
        Assert.InRange(d2, 150, 200);
        Assert.True(p2 < 1e-3, $"p = {p2}");
        Assert.Equal(MathNet.Numerics.SpecialFunctions.GammaUpperRegularized(ndf / 2.0, d2 / 2), p2, 12);
    }
}
