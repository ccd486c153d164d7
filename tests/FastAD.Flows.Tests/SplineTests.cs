using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

public class SplineTests
{
    private static RationalQuadraticSpline.Knots RandomKnots(int bins, ulong stream)
    {
        var p = new double[3 * bins - 1];
        Philox4x32.FillNormal(p, 12, stream);
        for (int i = 0; i < p.Length; i++) p[i] *= 1.5;
        return RationalQuadraticSpline.Build(p, bins, 3.0);
    }

    [Fact]
    public void KnotsArePinnedIncreasingAndRespectTheMinima()
    {
        var k = RandomKnots(8, 1);
        Assert.Equal(-3.0, k.X[0]);
        Assert.Equal(3.0, k.X[^1]);
        Assert.Equal(-3.0, k.Y[0]);
        Assert.Equal(3.0, k.Y[^1]);
        for (int i = 0; i < 8; i++)
        {
            Assert.True(k.X[i + 1] - k.X[i] >= 6 * RationalQuadraticSpline.MinWidth - 1e-12);
            Assert.True(k.Y[i + 1] - k.Y[i] >= 6 * RationalQuadraticSpline.MinHeight - 1e-12);
        }
        Assert.Equal(1.0, k.Derivative[0]);
        Assert.Equal(1.0, k.Derivative[^1]);
        Assert.All(k.Derivative, v => Assert.True(v >= RationalQuadraticSpline.MinDerivative));
    }

    [Fact]
    public void InverseUndoesForwardAndLogDetMatchesFiniteDifferences()
    {
        for (ulong stream = 0; stream < 20; stream++)
        {
            var k = RandomKnots(8, stream);
            for (double x = -4; x <= 4; x += 0.0137)
            {
                var (y, ld) = RationalQuadraticSpline.Forward(x, k);
                var (back, ldInv) = RationalQuadraticSpline.Inverse(y, k);
                Assert.True(Math.Abs(back - x) < 1e-5, $"stream {stream}: inverse(forward({x})) = {back}");
                Assert.Equal(-ld, ldInv, 8);
                const double h = 1e-6;
                if (Math.Abs(Math.Abs(x) - 3) < 2 * h || k.X.Any(e => Math.Abs(e - x) < 2 * h)) continue; // not across a knot
                double numeric = (RationalQuadraticSpline.Forward(x + h, k).Y - RationalQuadraticSpline.Forward(x - h, k).Y) / (2 * h);
                // Central differences of y = O(1) carry ~1e-10 of rounding, which matters only where the slope is tiny.
                double analytic = Math.Exp(ld);
                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 * analytic + 1e-9, $"stream {stream}, x {x}: dy/dx {analytic:R} vs finite difference {numeric:R}");
            }
        }
    }

    [Fact]
    public void SplineIsContinuousAndMonotoneAcrossKnotsAndTails()
    {
        var k = RandomKnots(8, 3);
        double prev = double.NegativeInfinity;
        for (double x = -3.5; x <= 3.5; x += 1e-3)
        {
            var (y, _) = RationalQuadraticSpline.Forward(x, k);
            Assert.True(y > prev);
            prev = y;
        }
        foreach (var knot in k.X)
        {
            var (ya, _) = RationalQuadraticSpline.Forward(knot - 1e-9, k);
            var (yb, _) = RationalQuadraticSpline.Forward(knot + 1e-9, k);
            Assert.True(Math.Abs(ya - yb) < 1e-7);
        }
    }
}
