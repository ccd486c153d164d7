using FastAD.Analyses.Cathode;
using FastAD.Analyses.Conrad;
using FastAD.Analyses.Simad;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The `devices:` line of each analysis says, per stage, the path the engines' seams pick and why.</summary>
public class DevicePlanTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void EachStageSaysWhereItRuns(string backend)
    {
        var device = TestDevices.Get(backend);
        string cathode = CathodeAnalysis.DevicePlan(CathodeConfig.Quick(), device);
        string conrad = ConradAnalysis.DevicePlan(ConradConfig.Quick(), device);
        string simad = SimadAnalysis.DevicePlan(SimadConfig.Quick(), device);
        if (device.SupportsKernels)
        {
            Assert.StartsWith($"flows in one launch per epoch on {device.Id}", cathode);
            Assert.Contains($"BDTs in one launch on {device.Id}", cathode);
            // CONRAD's RQS flows train and map latents with kernels, and its leaf-wise classifiers train with them.
            Assert.StartsWith($"flows in one launch per epoch on {device.Id} (RQS MAF kernels, double precision)", conrad);
            Assert.Contains($"latent map in one launch per call on {device.Id} (RQS MAF kernels, double precision)", conrad);
            Assert.Contains($"classifiers in one launch on {device.Id} (leaf-wise kernels)", conrad);
            Assert.Equal($"networks in one launch per epoch on {device.Id} (MLP kernels, double precision)", simad);
        }
        else
        {
            Assert.StartsWith("flows on the managed CPU path (cpu runs no kernels)", cathode);
            Assert.Contains("classifiers on the managed CPU path (cpu runs no kernels)", conrad);
            Assert.Contains("latent map on the managed CPU path (cpu runs no kernels)", conrad);
            Assert.StartsWith("networks on the managed CPU path (cpu runs no kernels, ", simad);
        }
    }
}
