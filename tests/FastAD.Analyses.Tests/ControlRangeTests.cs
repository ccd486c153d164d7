using FastAD.Analyses.Cathode;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// Issue 14, item 1: control-channel events outside the range the SPEC 1.2 preprocessing was fitted on (min to
/// 1.2 × max of OS) are clamped to its edge and counted, never mapped to NaN.
/// </summary>
public sealed class ControlRangeTests
{
    [Fact]
    public void ValuesOutsideTheFittedRangeAreClampedToItsEdgeAndCounted()
    {
        int n = 2000, d = 2;
        var mass = new double[n];
        var x = new double[n * d];
        var u = new double[n];
        Philox4x32.FillUniform(u, 11, 1);
        Philox4x32.FillNormal(x, 11, 2);
        for (int i = 0; i < n; i++)
        {
            mass[i] = 5 + 11 * u[i];
            x[i * d] = Math.Exp(3 + 0.5 * x[i * d]);
        }
        var p = CathodePreprocessing.Fit(mass, x, d, mass.Select(m => m < 9 || m >= 10.6).ToArray());
        // A control sample: far above 1.2 × max, just above, far below min, at the edges, and inside.
        double[] control =
        [
            p.Max[0] * 3, 0.5 * (p.Min[1] + p.Max[1]),
            p.Max[0] + 1e-9, p.Min[1] - 100,
            p.Min[0] - 1, p.Max[1] + 1,
            p.Max[0], p.Min[1],
            0.5 * (p.Min[0] + p.Max[0]), 0.25 * p.Min[1] + 0.75 * p.Max[1],
        ];
        var z = p.Features(control);
        Assert.All(z, v => Assert.True(double.IsFinite(v), $"feature value {v}"));
        Assert.Equal([3, 2], p.OutsideRange(control));
        var edges = p.Features([p.Max[0], p.Min[1], p.Min[0], p.Max[1]]);
        Assert.Equal(edges[0], z[0]);          // above max → max
        Assert.Equal(edges[0], z[2]);
        Assert.Equal(edges[1], z[3]);          // below min → min
        Assert.Equal(edges[2], z[4]);
        Assert.Equal(edges[3], z[5]);
        // Inside the range nothing changes: the exact inverse still holds.
        var inside = control[6..];
        var back = p.InverseFeatures(p.Features(inside));
        for (int i = 0; i < inside.Length; i++) Assert.Equal(inside[i], back[i], 1e-9 * Math.Max(1, Math.Abs(inside[i])));
    }

    [Fact]
    public void TheGeneratorsControlChannelIsFiniteAfterTheOsPreprocessingForTwentySeeds()
    {
        // The quick preset's own data: some seeds put SS events above 1.2 × the OS maximum (seed 5 did, and the run died).
        int seedsWithClamping = 0;
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var c = CathodeConfig.Quick();
            c.Seed = seed;
            var (os, ss) = CathodeData.Generate(c);
            var pre = CathodeAnalysis.FitPreprocessing(os, c);
            Assert.All(pre.Features(ss.Features), v => Assert.True(double.IsFinite(v), $"seed {seed}: SS feature {v}"));
            Assert.All(pre.Features(os.Features), v => Assert.True(double.IsFinite(v), $"seed {seed}: OS feature {v}"));
            Assert.All(pre.OutsideRange(os.Features), k => Assert.Equal(0, k));
            if (pre.OutsideRange(ss.Features).Sum() > 0) seedsWithClamping++;
        }
        Assert.True(seedsWithClamping >= 3, $"only {seedsWithClamping} of 20 seeds exercise the clamp");
    }

    [Fact]
    public void TheQuickPresetOnSeedFiveFinishesAndReportsTheClampedEvents()
    {
        var c = CathodeInterruptionTests.Tiny(epochs: 4);
        c.Seed = 5;
        var (os, ss) = CathodeData.Generate(c);
        var dir = Directory.CreateTempSubdirectory("fastad-control-range").FullName;
        try
        {
            var (r, _, control) = CathodeAnalysis.Run(new CathodeRequest(c, os, ss, dir, false, "test", "generated"), CpuDevice.Instance);
            Assert.NotNull(r.Control);
            Assert.All(control!.Flows, f => Assert.True(double.IsFinite(f.BestValidationLoss)));
            Assert.NotNull(r.Control.ClampedToPreprocessingRange);
            Assert.Equal(CathodeAnalysis.FitPreprocessing(os, c).OutsideRange(ss.Features).Sum(), r.Control.ClampedToPreprocessingRange!.Values.Sum());
            Assert.True(r.Control.ClampedToPreprocessingRange.Values.Sum() > 0);
            Assert.All(r.Control.Cathode.Points, q => Assert.True(double.IsFinite(q.Z)));
            Assert.Empty(r.Primary.ClampedToPreprocessingRange!);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
