using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Stats.Tests;

/// <summary>The statistics stage shared by the methods (SPEC 1.6): the working-point scan and the reweighted Z.</summary>
public class WorkingPointScanTests
{
    [Fact]
    public void FprOneIsThePlainBumpHuntEvenWhenSignalRegionEventsScoreBelowEverySidebandEvent()
    {
        var masses = ReferenceData.CutMasses("os_cathode", "1");
        var binning = BumpHuntBinning.Dimuon();
        var model = new BackgroundModel(binning, 5);
        var fitter = new ManagedProfileFitter();
        var sideband = masses.Select(m => !(m > binning.SrLow && m < binning.SrHigh)).ToArray();
        var scores = new double[masses.Length];
        Philox4x32.FillUniform(scores, 3, 0);
        // A tenth of the signal-region events score below every sideband event (a classifier sure they are background).
        for (int i = 0; i < masses.Length; i++)
            if (!sideband[i] && i % 10 == 0) scores[i] = -1 - scores[i];
        var scan = WorkingPointScan.Scan("test", model, fitter, masses, scores, sideband, [1.0, 0.1], null, null);
        var plain = fitter.Fit(model, Spectra.FromEvents(binning, masses, default, out _));
        var all = scan.Points[0];
        Assert.Equal(1.0, all.Fpr);
        Assert.Equal(masses.Length, all.Selected);
        Assert.Equal(plain.Z[0], all.Z, 12);
        // A real working point still cuts: at FPR 0.1 about a tenth of the sideband events pass.
        Assert.InRange(scan.Points[1].Fpr, 0.09, 0.11);
        Assert.True(scan.Points[1].Selected < masses.Length / 5);
    }
}
