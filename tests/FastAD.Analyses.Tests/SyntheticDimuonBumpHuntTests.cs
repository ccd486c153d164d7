using FastAD.Data.Synthetic;
using FastAD.Stats;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Analyses.Tests;

/// <summary>The synthetic dimuon samples through the SPEC 1.6 bump hunt (the generators may not see Stats, so this lives here).</summary>
public class SyntheticDimuonBumpHuntTests(ITestOutputHelper output)
{
    private const int Seeds = 20;

    private static double[] Z(double signalFraction)
    {
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var fitter = new ManagedProfileFitter();
        var z = new double[Seeds];
        for (int s = 0; s < Seeds; s++)
        {
            var table = DimuonGenerator.Generate(new DimuonOptions(SignalFraction: signalFraction, Seed: (ulong)(s + 1)));
            var spectra = Spectra.FromEvents(model.Binning, table.GetDouble("dimu_mass"), default, out _);
            var r = fitter.Fit(model, spectra);
            Assert.Equal(FitStatus.Converged, r.Status[0]);
            z[s] = r.Z[0];
        }
        return z;
    }

    [Fact]
    public void BackgroundOnlySamplesFollowTheNullAndTheDefaultSampleSitsNearThePublishedSignificance()
    {
        // Background only: q0 ~ ½δ(0) + ½χ²₁, so P(Z = 0) = 1/2 and E[Z] = ½·E|N(0,1)| = 0.399 (sd of Z 0.58).
        // Over 20 seeds: the count of Z = 0 is Binomial(20, ½) (3σ: 3..17 → 4..16 kept), the mean within about 3 standard errors (0.13).
        var nulls = Z(0.0);
        output.WriteLine($"background only: Z = {string.Join(" ", nulls.Select(v => v.ToString("F2")))}");
        int zeros = nulls.Count(v => v == 0);
        Assert.InRange(zeros, 4, 16);
        Assert.InRange(nulls.Average(), 0.0, 0.8);
        Assert.True(nulls.Max() < 3.5, "no background-only sample should look like a discovery");

        // Default OS (97 Υ events over ≈ 1595 background in the SR): the published FPR = 1 significance is 1.6σ. One
        // sample fluctuates by about ±1σ, so the mean over 20 seeds (standard error ≈ 0.2) must lie in [1.0, 2.3].
        var withSignal = Z(DimuonGenerator.OsSignalEvents / (double)DimuonGenerator.OsEvents);
        output.WriteLine($"default OS: Z = {string.Join(" ", withSignal.Select(v => v.ToString("F2")))}; mean {withSignal.Average():F3}");
        Assert.InRange(withSignal.Average(), 1.0, 2.3);
        Assert.True(withSignal.Average() > nulls.Average() + 0.6, "the injected Υ should raise the significance well above the null");
    }

    private static double CutAndFit(double[] mass, double[] score, double fpr)
    {
        var sideband = Enumerable.Range(0, mass.Length).Where(i => mass[i] < 9 || mass[i] >= 10.6).Select(i => score[i]).Order().ToArray();
        double cut = sideband[(int)Math.Floor((1 - fpr) * sideband.Length)];
        var kept = Enumerable.Range(0, mass.Length).Where(i => score[i] >= cut).Select(i => mass[i]).ToArray();
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var r = new ManagedProfileFitter().Fit(model, Spectra.FromEvents(model.Binning, kept, default, out _));
        Assert.Equal(FitStatus.Converged, r.Status[0]);
        return r.Z[0];
    }

    [Fact]
    public void TheSignalNeedsTheFeaturesCombined()
    {
        // Ten default OS samples' worth in one (123,320 events, 970 Υ); Z/√10 estimates what one default sample gives on
        // average. Cuts are placed at a false-positive rate measured on the sidebands, as in SPEC 1.6.
        const int k = 10;
        var t = DimuonGenerator.Generate(new DimuonOptions(Events: k * DimuonGenerator.OsEvents, Seed: 11));
        var mass = t.GetDouble("dimu_mass");
        var pt = t.GetDouble("dimu_pt");
        var ip0 = t.GetDouble("mu0_ip3d");
        var ip1 = t.GetDouble("mu1_ip3d");
        // A simple combination: harder and more prompt is more signal-like.
        var combined = Enumerable.Range(0, t.RowCount).Select(i => Math.Log(pt[i] - 22) - Math.Log(ip0[i]) - Math.Log(ip1[i])).ToArray();
        double zCombined = CutAndFit(mass, combined, 0.05) / Math.Sqrt(k);
        var negIp0 = ip0.Select(v => -v).ToArray();
        double zIp0 = new[] { 0.25, 0.15, 0.1, 0.075, 0.05 }.Max(f => CutAndFit(mass, negIp0, f)) / Math.Sqrt(k);
        output.WriteLine($"per default sample: combined score at FPR 0.05 Z = {zCombined:F2}; best mu0_ip3d cut Z = {zIp0:F2}");
        // Expected (scripts/dimuon_separation.py): about 5.7–6.0 combined, about 3 for the best mu0_ip3d cut.
        Assert.InRange(zCombined, 4.0, 7.5);
        Assert.InRange(zIp0, 1.5, 4.3);
        Assert.True(zCombined > zIp0 + 1.0, "combining the features should beat the best single cut clearly");
    }
}
