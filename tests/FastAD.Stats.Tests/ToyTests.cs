using FastAD.Kernels.Cpu;
using FastAD.Stats;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Stats.Tests;

public class ToyTests(ITestOutputHelper output)
{
    /// <summary>The background-only fit of the published OS spectrum at FPR 1: the toys' generating model.</summary>
    internal static (BackgroundModel Model, double[] Phi) CmsBackground()
    {
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(), 5);
        var spectra = Spectra.FromEvents(model.Binning, ReferenceData.CutMasses("os_cathode", "1"), default, out _);
        var r = new ManagedProfileFitter().Fit(model, spectra);
        return (model, model.FromRaw(r.ThetaHatHatOf(0)));
    }

    [Fact]
    public void NullToysFollowTheAsymptoticLaw()
    {
        var (model, phi) = CmsBackground();
        var toys = ToyStudy.Run(CpuDevice.Instance, model, phi, 100_000, seed: 2026);
        Assert.Equal(0, toys.Failed);
        foreach (var row in toys.Calibration(1, 2, 3))
        {
            output.WriteLine($"{row.Quantity}: {row.Fraction:F5} ± {row.Error:F5} (asymptotic {row.Expected:F5}, pull {row.Pull:F2})");
            Assert.True(Math.Abs(row.Pull) < 4, $"{row.Quantity}: {row.Fraction:F5} ± {row.Error:F5}, asymptotic {row.Expected:F5}");
        }
    }

    [Fact]
    public void TallyCountsTheSameToysAsRunWithoutKeepingThem()
    {
        // Batches of 700 over 5000 toys: the last batch is partial and every batch starts at another Philox offset.
        var (model, phi) = CmsBackground();
        double[] thresholds = [0.5, 1, 2];
        var kept = ToyStudy.Run(CpuDevice.Instance, model, phi, 5000, seed: 31);
        var tally = ToyStudy.Tally(CpuDevice.Instance, model, phi, 5000, seed: 31, thresholds, batch: 700);
        Assert.Equal(5000, tally.Toys);
        Assert.Equal(kept.Q0.LongCount(q => q == 0), tally.Zeros);
        Assert.Equal(thresholds.Select(z => kept.Q0.LongCount(q => q >= z * z)), tally.Above);
        Assert.Equal(kept.Failed, tally.Failed);
        Assert.Equal(kept.Calibration(thresholds).Select(r => (r.Count, r.Fraction)), tally.Calibration().Select(r => (r.Count, r.Fraction)));
        // Cancellation stops between batches.
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(done => { if (done >= 1400) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ToyStudy.Tally(CpuDevice.Instance, model, phi, 5000, seed: 31, thresholds, progress: progress, cancel: cancel.Token, batch: 700));
        Assert.Equal([700L, 1400L], progress.Seen);
    }

    private sealed class Progress(Action<long> onReport) : IProgress<long>
    {
        public List<long> Seen { get; } = [];

        public void Report(long value)
        {
            Seen.Add(value);
            onReport(value);
        }
    }

    [Fact]
    public void InjectedSignalRaisesTheSignificance()
    {
        var (model, phi) = CmsBackground();
        var signal = new double[model.Rows];
        // The published fit has S = 97.16 at Z = 1.5956; Z scales about linearly with S at fixed background.
        signal[model.SrRow] = 150;
        var toys = ToyStudy.Run(CpuDevice.Instance, model, phi, 4000, seed: 7, signal);
        double medianZ = toys.Q0.Select(Math.Sqrt).Order().ElementAt(2000);
        output.WriteLine($"median Z with 150 injected events: {medianZ:F3}");
        Assert.InRange(medianZ, 150 / 97.16 * 1.5956 - 0.3, 150 / 97.16 * 1.5956 + 0.3);
        Assert.InRange(toys.S.Average(), 150 - 10, 150 + 10);
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void KernelToysEqualManagedToys(string backend)
    {
        var device = TestDevices.Get(backend);
        var (model, phi) = CmsBackground();
        var a = ToyStudy.Run(CpuDevice.Instance, model, phi, 3000, seed: 99);
        var b = ToyStudy.Run(device, model, phi, 3000, seed: 99, batch: 1000);
        int differ = 0;
        for (int i = 0; i < 3000; i++)
        {
            if (a.Status[i] != b.Status[i] || Math.Abs(a.Q0[i] - b.Q0[i]) > 1e-9 * Math.Max(1, a.Q0[i])) differ++;
        }
        Assert.True(differ <= 1, $"{differ} of 3000 toys differ between managed and {backend}");
    }
}
