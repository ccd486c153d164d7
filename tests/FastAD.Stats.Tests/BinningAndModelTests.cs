using FastAD.Stats;
using Xunit;

namespace FastAD.Stats.Tests;

public class BinningAndModelTests
{
    [Theory]
    [InlineData(12, 27, 37, 11)]
    [InlineData(8, 17, 23, 7)]
    [InlineData(16, 37, 50, 15)]
    public void DimuonBinningHasTheSpecBinCounts(int boundaries, int sbl, int sbh, int sr)
    {
        var b = BumpHuntBinning.Dimuon(boundaries);
        Assert.Equal(sbl, b.SblBins);
        Assert.Equal(sbh, b.SbBins - b.SblBins);
        Assert.Equal(sr, b.SrCentres.Length);
        Assert.Equal(1.6 / (boundaries - 1), b.Width, 12);
        Assert.Equal(9.0, b.SblEdges[^1]);
        Assert.Equal(10.6, b.SbhEdges[0]);
        Assert.True(b.SblEdges[0] >= 5.0 && b.SblEdges[0] - b.Width < 5.0);
        Assert.True(b.SbhEdges[^1] <= 16.0 && b.SbhEdges[^1] + b.Width > 16.0);
    }

    [Fact]
    public void RowsFollowTheReferenceCountingRules()
    {
        var b = BumpHuntBinning.Dimuon();
        Assert.Equal(-1, b.Row(9.0));        // SR edges belong to no band
        Assert.Equal(-1, b.Row(10.6));
        Assert.Equal(b.SbBins, b.Row(9.5));
        Assert.Equal(-1, b.Row(5.0));        // below the first SBL edge (5.0727)
        Assert.Equal(0, b.Row(5.08));
        Assert.Equal(b.SblBins - 1, b.Row(8.999));
        Assert.Equal(b.SblBins, b.Row(10.6001));
        Assert.Equal(b.SbBins - 1, b.Row(b.SbhEdges[^1])); // closed last edge
        Assert.Equal(-1, b.Row(15.999));     // above the last SBH edge (15.98)
        Assert.Equal(-1, b.Row(double.NaN));
    }

    [Fact]
    public void InternalAndRawCoefficientsDescribeTheSamePolynomial()
    {
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        double[] phi = [120, -30, 8, 2.5, -1, 0.3];
        var theta = model.ToRaw(phi);
        Assert.Equal(phi, model.FromRaw(theta), (x, y) => Math.Abs(x - y) < 1e-9 * (1 + Math.Abs(x)));
        var lambda = new double[model.Rows];
        model.Expectations(phi, lambda);
        for (int r = 0; r < model.Binning.SbBins; r++)
            Assert.Equal(BackgroundModel.Evaluate(theta, model.Binning.SbCentres[r]), lambda[r], 1e-8);
        // The SR row is the integral over the SR divided by the width: check with Simpson's rule.
        double a = 9.0, c = 10.6, sum = 0;
        const int steps = 2000;
        for (int i = 0; i <= steps; i++)
        {
            double m = a + (c - a) * i / steps, w = i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2;
            sum += w * BackgroundModel.Evaluate(theta, m);
        }
        double integral = sum * (c - a) / steps / 3 / model.Binning.Width;
        Assert.Equal(integral, lambda[model.SrRow], 1e-7);
        Assert.Equal(integral, model.SignalRegionExpectation(theta), 1e-7);
    }

    [Fact]
    public void DegreeTooHighForTheBinsIsAClearError()
    {
        var tiny = new BumpHuntBinning(8.5, 9, 10.6, 11.2, 12); // 3 + 4 sideband bins
        var e = Assert.Throws<ArgumentException>(() => new BackgroundModel(tiny, 6));
        Assert.Contains("needs at least 8 sideband bins", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundModel(BumpHuntBinning.Dimuon(), 10));
    }

    [Fact]
    public void SpectraRejectBadEventsAndCountIgnoredOnes()
    {
        var b = BumpHuntBinning.Dimuon();
        var e = Assert.Throws<ArgumentException>(() => Spectra.FromEvents(b, [9.5, double.NaN], default, out _));
        Assert.Contains("row 2", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Spectra.FromEvents(b, [9.5, 9.6], [1.0, -2.0], out _));
        Assert.Contains("row 2", e2.Message);
        var s = Spectra.FromEvents(b, [4.0, 9.5, 9.6, 17.0, 6.0], default, out int ignored);
        Assert.Equal(2, ignored);
        Assert.Equal(2, s.N[b.SbBins]);
    }

    [Fact]
    public void WeightedCellsUseTheBohmZechScale()
    {
        var b = BumpHuntBinning.Dimuon();
        var s = Spectra.FromEvents(b, [9.5, 9.6, 9.7, 6.01, 6.02], [0.5, 2.0, 1.5, 1.0, 1.0005], out _);
        int sr = b.SbBins;
        Assert.Equal(4.0, s.N[sr], 12);
        Assert.Equal((0.25 + 4 + 2.25) / 4.0, s.K[sr], 12);   // k = Σw²/Σw
        int bin = b.Row(6.01);
        Assert.Equal(1.0, s.K[bin]);                          // mean(w), mean(w²) within 1e-3 of 1: Poisson
    }
}
