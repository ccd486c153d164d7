using FastAD.Kernels;
using FastAD.Stats;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Stats.Tests;

public class ProfileLikelihoodTests(ITestOutputHelper output)
{
    private static BumpHuntResults FitSelection(ProfileLikelihoodFitter fitter, string selection, string fpr, int degree = 5, int bins = 12)
    {
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(bins), degree);
        var spectra = Spectra.FromEvents(model.Binning, ReferenceData.CutMasses(selection, fpr), default, out _);
        return fitter.Fit(model, spectra);
    }

    [Theory]
    [InlineData("os_cathode", "1", 97.16, 1594.84, 1.5956)]
    [InlineData("os_cathode", "0.25", double.NaN, double.NaN, 2.9662)]
    [InlineData("ss_cathode", "1", double.NaN, double.NaN, 0.5263)]
    public void ReproducesThePublishedSignificances(string selection, string fpr, double s, double b, double z)
    {
        var r = FitSelection(new ManagedProfileFitter(), selection, fpr);
        output.WriteLine($"{selection} FPR {fpr}: S {r.S[0]:F4} B {r.B[0]:F4} Z {r.Z[0]:F5} q0 {r.Q0[0]:F5} -2lnL0 {r.MinusTwoLnL0[0]:F5} -2lnL1 {r.MinusTwoLnL1[0]:F5}");
        Assert.Equal(FitStatus.Converged, r.Status[0]);
        if (!double.IsNaN(s)) Assert.InRange(r.S[0], s - 0.002, s + 0.002);
        if (!double.IsNaN(b)) Assert.InRange(r.B[0], b - 0.002, b + 0.002);
        Assert.InRange(r.Z[0], z - 0.002, z + 0.002);
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("opencl")]
    public void AFitWhoseLikelihoodOverflowsIsNotReportedAsConverged(string backend)
    {
        // One weight of 1e300 among unit weights: B ≈ 1e299, the likelihood overflows (it said Converged with Z = 0 before).
        var fitter = ProfileLikelihoodFitter.For(TestDevices.Get(backend));
        var masses = ReferenceData.CutMasses("os_cathode", "1");
        var weights = masses.Select((m, i) => i == 7 ? 1e300 : 1.0).ToArray();
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var huge = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, weights, out _));
        Assert.Equal(FitStatus.NotFinite, huge.Status[0]);
        // Large but representable weights still fit.
        weights[7] = 1e6;
        Assert.Equal(FitStatus.Converged, fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, weights, out _)).Status[0]);
    }

    [Fact]
    public void FitsAreOptimalUnderTheConstraints()
    {
        // No random feasible perturbation of either optimum may lower its objective: the fit is the true optimum.
        var fitter = new ManagedProfileFitter();
        var rng = new System.Random(5);
        foreach (var (selection, fpr) in ReferenceData.CutSelections)
        {
            var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
            var spectra = Spectra.FromEvents(model.Binning, ReferenceData.CutMasses(selection, fpr), default, out _);
            var r = fitter.Fit(model, spectra);
            Assert.True(r.Status[0] == FitStatus.Converged, $"{selection} {fpr}: {r.Status[0]}");
            var phi = model.FromRaw(r.ThetaHatHatOf(0));
            double best = Objective(model, spectra, phi, model.Rows);
            var lambda = new double[model.Rows];
            model.Expectations(phi, lambda);
            for (int rr = 0; rr < model.Binning.SbBins; rr++) Assert.True(lambda[rr] >= -1e-9 * (1 + Math.Abs(phi[0])), $"{selection} {fpr}: f < 0 at SB bin {rr}");
            for (int trial = 0; trial < 300; trial++)
            {
                var q = phi.Select(v => v * (1 + 1e-4 * (rng.NextDouble() - 0.5)) + 1e-4 * (rng.NextDouble() - 0.5)).ToArray();
                double value = Objective(model, spectra, q, model.Rows);
                if (double.IsNaN(value)) continue; // infeasible perturbation
                Assert.True(value >= best - 1e-9 * (1 + Math.Abs(best)), $"{selection} {fpr}: perturbation lowers F from {best:R} to {value:R}");
            }
        }
    }

    private static double Objective(BackgroundModel model, Spectra spectra, double[] phi, int rows)
    {
        var lambda = new double[model.Rows];
        model.Expectations(phi, lambda);
        double f = 0;
        for (int r = 0; r < rows; r++)
        {
            double n = spectra.N[r], k = spectra.K[r];
            if (n > 0 && !(lambda[r] > 0)) return double.NaN;
            // Active constraints sit at zero up to rounding of the coefficients.
            if (n == 0 && lambda[r] < -1e-9) return double.NaN;
            f += n > 0 ? (lambda[r] - n * Math.Log(lambda[r])) / k : Math.Max(lambda[r], 0) / k;
        }
        return f;
    }

    [Fact]
    public void EmptySpectrumIsAStatusNotANaN()
    {
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var r = new ManagedProfileFitter().Fit(model, new Spectra(2, model.Rows));
        Assert.All(r.Status, s => Assert.Equal(FitStatus.Empty, s));
        Assert.All(r.Z, z => Assert.Equal(0.0, z));
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void KernelFitsAgreeWithManagedOnEveryPublishedCut(string backend)
    {
        var device = TestDevices.Get(backend);
        var kernel = ProfileLikelihoodFitter.For(device);
        var managed = new ManagedProfileFitter();
        foreach (int degree in new[] { 3, 5, 7 })
            foreach (int bins in new[] { 8, 12, 16 })
            {
                var model = new BackgroundModel(BumpHuntBinning.Dimuon(bins), degree);
                var selections = ReferenceData.CutSelections.ToList();
                var spectra = new Spectra(selections.Count, model.Rows);
                for (int i = 0; i < selections.Count; i++)
                {
                    var one = Spectra.FromEvents(model.Binning, ReferenceData.CutMasses(selections[i].Selection, selections[i].Fpr), default, out _);
                    one.N.CopyTo(spectra.N, i * model.Rows);
                    one.K.CopyTo(spectra.K, i * model.Rows);
                }
                var a = managed.Fit(model, spectra);
                var b = kernel.Fit(model, spectra);
                for (int i = 0; i < selections.Count; i++)
                {
                    string what = $"{selections[i]} degree {degree} bins {bins}";
                    Assert.True(a.Status[i] == b.Status[i], $"{what}: managed {a.Status[i]}, kernel {b.Status[i]}");
                    Close.Scalar(a.Q0[i], b.Q0[i], 1e-9, 1e-12, what + " q0");
                    Close.Scalar(a.MinusTwoLnL0[i], b.MinusTwoLnL0[i], 1e-11, 1e-9, what + " -2lnL0");
                    Close.Scalar(a.B[i], b.B[i], 1e-9, 1e-9, what + " B");
                }
            }
    }
}
