using FastAD.Analyses.Simad;
using FastAD.Kernels.Cpu;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Analyses.Tests;

/// <summary>
/// SimAD on a kernel device (issue 16, items 3 and 4): the analysis hands every classifier of a stage to the MLP seams,
/// which train and evaluate them with the device's kernels; the statistics agree with the managed CPU run to rounding.
/// </summary>
public sealed class SimadDeviceTests(ITestOutputHelper output) : TempFolderTests("fastad-simad-device")
{
    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void TheKernelPathAgreesWithTheManagedRun(string backend)
    {
        var device = TestDevices.Get(backend);
        var c = SimadConfig.Quick();
        c.Classifier.Ensemble = 2;
        c.Classifier.Hidden = [12, 12, 12];
        c.Classifier.Epochs = 3;
        c.Classifier.BatchSize = 96;              // does not divide the training sets
        c.Bootstrap.Samples = 3;
        c.Injection.MassPoints = [250];
        c.Injection.Signal = [0, 100];
        c.Injection.Repeats = 2;
        c.Threads = 2;
        var sample = SimadData.Generate(c);
        Assert.StartsWith($"networks in one launch per epoch on {device.Id}", SimadAnalysis.DevicePlan(c, device));
        var notes = new List<string>();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) lock (notes) notes.Add(p.Note); });
        var onDevice = SimadAnalysis.Run(new SimadRequest(c, sample, PathOf("device"), "test", "generated"), device, progress);
        Assert.Contains(notes, n => n.Contains($"in one launch per epoch on {device.Id}", StringComparison.Ordinal));
        var managed = SimadAnalysis.Run(new SimadRequest(c, sample, PathOf("cpu"), "test", "generated"), CpuDevice.Instance);
        Assert.Equal(managed.NetworksTrained, onDevice.NetworksTrained);

        var a = managed.Nulls.SelectMany(n => n.Bootstraps.Prepend(n.BackgroundOnly)).Concat(managed.Scans.SelectMany(s => s.Points.SelectMany(p => p.Injections))).ToArray();
        var b = onDevice.Nulls.SelectMany(n => n.Bootstraps.Prepend(n.BackgroundOnly)).Concat(onDevice.Scans.SelectMany(s => s.Points.SelectMany(p => p.Injections))).ToArray();
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
            for (int k = 0; k < 4; k++)
            {
                double err = Math.Abs(a[i][k] - b[i][k]) / Math.Max(1e-3, Math.Abs(a[i][k]));
                worst = Math.Max(worst, err);
                // Double-precision kernels: the managed networks to rounding (sums in another order), 1e-9 of each statistic.
                Assert.True(err <= 1e-9, $"classifier {i}, {StatisticSet.Names[k]}: {b[i][k]:R} ({backend}) vs {a[i][k]:R} (cpu)");
            }
        output.WriteLine($"{a.Length} classifiers × 4 statistics: worst relative difference {worst:E2}");
    }
}
