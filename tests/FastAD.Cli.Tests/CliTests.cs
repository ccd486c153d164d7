using FastAD.Cli;
using FastAD.TestSupport;
using Spectre.Console;
using Xunit;

namespace FastAD.Cli.Tests;

public class CliTests
{
    private static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void DevicesListsTheCpuAndExplainsMissingBackends()
    {
        var (code, output) = Run("devices");
        Assert.Equal(0, code);
        Assert.Contains("Managed CPU", output);
        Assert.Contains("--device auto selects", output);
        var registry = TestDevices.All;
        foreach (var d in registry.Devices) Assert.Contains(d.Id, output);
        foreach (var b in registry.Backends.Where(b => b.Devices.Count == 0))
            Assert.Contains($"{b.Kind} unavailable", output);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void SelfTestPassesOnEveryAvailableBackend(string backend)
    {
        var device = TestDevices.Get(backend);
        var (code, output) = Run("selftest", "--device", device.Id);
        Assert.True(code == 0, output);
        Assert.Contains($"checks passed on {device.Id}", output);
        Assert.DoesNotContain("FAIL", output);
    }

    [Fact]
    public void UnknownDeviceIsAClearErrorWithoutStackTrace()
    {
        var (code, output) = Run("selftest", "--device", "tpu:3");
        Assert.Equal(2, code);
        Assert.Contains("error: Unknown device 'tpu:3'", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void BenchRejectsUnknownSuite()
    {
        var (code, output) = Run("bench", "--suite", "nope", "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("Unknown suite 'nope'", output);
    }

    [Fact]
    public void QuickBenchMeasuresTheCpu()
    {
        var (code, output) = Run("bench", "--device", "cpu", "--quick", "--seconds", "0.05");
        Assert.Equal(0, code);
        Assert.Contains("batched matmul", output);
        Assert.Contains("weighted histogram", output);
    }
}
