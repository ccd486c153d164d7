using FastAD.Analyses.Cathode;
using FastAD.Kernels.Cpu;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Analyses.Tests;

/// <summary>
/// CATHODE on a kernel device (issue 15, item 3): the analysis hands its flows and BDTs to the engines' seams, which
/// run them on the device's kernels; the results agree with the managed CPU run within the tolerances below.
/// </summary>
public sealed class CathodeDeviceTests(ITestOutputHelper output) : TempFolderTests("fastad-cathode-device")
{
    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void TheKernelPathAgreesWithTheManagedRun(string backend)
    {
        var device = TestDevices.Get(backend);
        var c = CathodeInterruptionTests.Tiny(epochs: 3);
        c.Seed = 3;
        var (os, _) = CathodeData.Generate(c);
        Assert.StartsWith($"flows in one launch per epoch on {device.Id}", CathodeAnalysis.DevicePlan(c, device));
        var notes = new List<string>();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) lock (notes) notes.Add(p.Note); });
        var (onDevice, _, _) = CathodeAnalysis.Run(new CathodeRequest(c, os, null, PathOf("device"), false, "test", "generated"), device, progress);
        Assert.Contains(notes, n => n.Contains($"in one launch per epoch on {device.Id}", StringComparison.Ordinal));
        var (managed, _, _) = CathodeAnalysis.Run(new CathodeRequest(c, os, null, PathOf("cpu"), false, "test", "generated"), CpuDevice.Instance);

        var a = managed.Primary;
        var b = onDevice.Primary;
        for (int k = 0; k < a.Flows.Length; k++)
        {
            output.WriteLine($"flow {k}: validation NLL {a.Flows[k].BestValidationLoss:F6} (cpu) vs {b.Flows[k].BestValidationLoss:F6} ({backend})");
            // Double-precision kernels against the managed path (all double at hidden width 20): the same flows to rounding,
            // which three epochs of batch-norm statistics and Adam steps over 8,000 events carry to about 1e-8 (measured on
            // PoCL: 2.3e-8 absolute); a wrong option or seed moves the loss by 1e-3 or more.
            Assert.True(Math.Abs(a.Flows[k].BestValidationLoss - b.Flows[k].BestValidationLoss) <= 1e-6 * Math.Max(1, Math.Abs(a.Flows[k].BestValidationLoss)),
                $"flow {k}: {a.Flows[k].BestValidationLoss} vs {b.Flows[k].BestValidationLoss}");
        }
        output.WriteLine($"SR vs samples AUC {a.SrVsSamplesAuc:F4} vs {b.SrVsSamplesAuc:F4}; initial Z {managed.Headline.InitialZ} vs {onDevice.Headline.InitialZ}");
        Assert.Equal(managed.Headline.InitialZ, onDevice.Headline.InitialZ, 1e-6);
        Assert.True(Math.Abs(a.SrVsSamplesAuc - b.SrVsSamplesAuc) <= 0.005, $"SR-vs-samples AUC {a.SrVsSamplesAuc} vs {b.SrVsSamplesAuc}");
    }
}
