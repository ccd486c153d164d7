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

    [Theory]
    [InlineData(8, 1.5)]
    [InlineData(2, 3.0)]      // two bins: both derivatives of either bin are boundary ones, or one of each
    [InlineData(5, 6.0)]      // steep softmaxes: bins near the minimum width and height
    public void InverseFromParametersMatchesTheInverseOfTheBuiltKnots(int bins, double spread)
    {
        Span<double> scratch = stackalloc double[2 * bins];
        for (ulong stream = 0; stream < 20; stream++)
        {
            var p = new double[3 * bins - 1];
            Philox4x32.FillNormal(p, 13, stream);
            for (int i = 0; i < p.Length; i++) p[i] *= spread;
            var k = RationalQuadraticSpline.Build(p, bins, 3.0);
            for (double y = -3.5; y <= 3.5; y += 0.0071)
            {
                double expected = RationalQuadraticSpline.Inverse(y, k).X, got = RationalQuadraticSpline.InverseOf(y, p, bins, 3.0, scratch);
                Assert.True(Math.Abs(expected - got) <= 1e-12 * (1 + Math.Abs(expected)), $"stream {stream}, y {y}: {got:R} vs {expected:R}");
            }
            foreach (double y in k.Y)    // exactly on the knots
                Assert.True(Math.Abs(RationalQuadraticSpline.Inverse(y, k).X - RationalQuadraticSpline.InverseOf(y, p, bins, 3.0, scratch)) <= 1e-12 * 4);
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

public class SplineGradientTests
{
    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        const int bins = 6;
        const double bound = 3.0, h = 1e-6;
        for (ulong stream = 0; stream < 8; stream++)
        {
            var p = new double[3 * bins - 1];
            Philox4x32.FillNormal(p, 31, stream);
            foreach (double x in new[] { -2.7, -1.3, -0.2, 0.4, 1.7, 2.9, 3.5 })
            {
                var dy = new double[p.Length];
                var dl = new double[p.Length];
                var (y, ld, dydx, dldx) = RationalQuadraticSplineGradient.Evaluate(x, p, bins, bound, dy, dl);
                var k = RationalQuadraticSpline.Build(p, bins, bound);
                var (y0, ld0) = RationalQuadraticSpline.Forward(x, k);
                Assert.Equal(y0, y, 12);
                Assert.Equal(ld0, ld, 12);
                double Fy(double xx, double[] pp) => RationalQuadraticSpline.Forward(xx, RationalQuadraticSpline.Build(pp, bins, bound)).Y;
                double Fl(double xx, double[] pp) => RationalQuadraticSpline.Forward(xx, RationalQuadraticSpline.Build(pp, bins, bound)).LogDet;
                void Near(double analytic, double numeric, string what) =>
                    Assert.True(Math.Abs(analytic - numeric) <= 1e-6 * (Math.Abs(analytic) + Math.Abs(numeric)) + 1e-8,
                        $"stream {stream}, x {x}, {what}: analytic {analytic:R}, numeric {numeric:R}");
                Near(dydx, (Fy(x + h, p) - Fy(x - h, p)) / (2 * h), "dy/dx");
                Near(dldx, (Fl(x + h, p) - Fl(x - h, p)) / (2 * h), "dlogdet/dx");
                for (int i = 0; i < p.Length; i++)
                {
                    var pp = (double[])p.Clone(); pp[i] += h;
                    var pm = (double[])p.Clone(); pm[i] -= h;
                    Near(dy[i], (Fy(x, pp) - Fy(x, pm)) / (2 * h), $"dy/dθ{i}");
                    Near(dl[i], (Fl(x, pp) - Fl(x, pm)) / (2 * h), $"dlogdet/dθ{i}");
                }
            }
        }
    }
}
