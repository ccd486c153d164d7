using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Primitives;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Kernels.Tests;

public class DeviceTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void BuffersRoundTripWithOffsetsAndZeroFill(string backend)
    {
        var device = TestDevices.Get(backend);
        var data = Enumerable.Range(0, 1000).Select(i => i * 0.5 - 3).ToArray();
        using var buffer = device.Upload<double>(data);
        Assert.Equal(data, device.Download(buffer));
        device.Write(buffer, new double[] { 42, 43 }, offset: 998);
        var tail = new double[3];
        device.Read(buffer, tail, offset: 997);
        Assert.Equal(new[] { data[997], 42, 43 }, tail);
        device.Clear(buffer);
        Assert.All(device.Download(buffer), v => Assert.Equal(0.0, v));
        using var zeroed = device.AllocateZeroed<int>(77);
        Assert.All(device.Download(zeroed), v => Assert.Equal(0, v));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void MisuseIsReportedClearly(string backend)
    {
        var device = TestDevices.Get(backend);
        using var buffer = device.Allocate<float>(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Write(buffer, new float[5], offset: 7));
        Assert.Contains("outside a buffer of 10 elements", e.Message);
        var prims = Primitives.Primitives.For(device);
        using var other = device.Allocate<float>(11);
        var e2 = Assert.Throws<ArgumentException>(() => prims.Map(UnaryOp.Exp, buffer, other));
        Assert.Contains("expected 10", e2.Message);
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Download(buffer));
        if (device.Kind != DeviceKind.Cpu)
        {
            using var cpuBuffer = Cpu.CpuDevice.Instance.Allocate<float>(3);
            using var mine = device.Allocate<float>(3);
            var e3 = Assert.Throws<ArgumentException>(() => prims.Map(UnaryOp.Exp, cpuBuffer, mine));
            Assert.Contains("belongs to device 'cpu'", e3.Message);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void FailedBuildThrowsWithLogAndOptions(string backend)
    {
        var device = TestDevices.Get(backend);
        Skip.If(!device.SupportsKernels, "the managed CPU device compiles no kernels");
        var e = Assert.Throws<KernelBuildException>(() => device.Compile(
            "KERNEL void broken(GLOBAL float* x) { x[0] = undefined_symbol_xyz; }",
            new Dictionary<string, string> { ["SOME_SIZE"] = "17" }));
        Assert.Contains("-DSOME_SIZE=17", e.Options);
        Assert.Contains("undefined_symbol_xyz", e.Log);
        Assert.Contains("-DSOME_SIZE=17", e.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void DefinesSpecialiseAKernelAnd2DLaunchesCoverTheGrid(string backend)
    {
        var device = TestDevices.Get(backend);
        Skip.If(!device.SupportsKernels, "the managed CPU device compiles no kernels");
        const string source = """
            KERNEL void fill2d(GLOBAL int* out, int nx, int ny)
            {
                i64 x = GLOBAL_ID(0), y = GLOBAL_ID(1);
                if (x < nx && y < ny) out[y * nx + x] = (int)(y * 1000 + x) * SCALE;
            }
            """;
        using var program = device.Compile(source, new Dictionary<string, string> { ["SCALE"] = "3" });
        const int nx = 37, ny = 19;
        using var output = device.AllocateZeroed<int>(nx * ny);
        program.GetKernel("fill2d").Launch(LaunchGrid.Planar(nx, ny, 8, 4), output, nx, ny);
        var got = device.Download(output);
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                Assert.Equal((y * 1000 + x) * 3, got[y * nx + x]);
    }

    [Fact]
    public void SelectorsResolveOrExplain()
    {
        var registry = TestDevices.All;
        Assert.Same(Cpu.CpuDevice.Instance, registry.Select("cpu"));
        Assert.NotNull(registry.Select("auto"));
        var e = Assert.Throws<ArgumentException>(() => registry.Select("tpu"));
        Assert.Contains("auto, cpu, opencl[:N] or cuda[:N]", e.Message);
        Assert.Throws<ArgumentException>(() => registry.Select("opencl:x"));
        Assert.Throws<ArgumentException>(() => registry.Select("opencl:99"));
        var cuda = registry[DeviceKind.Cuda];
        if (cuda.Devices.Count == 0)
        {
            Assert.False(string.IsNullOrWhiteSpace(cuda.Problem));
            var e2 = Assert.Throws<ArgumentException>(() => registry.Select("cuda"));
            Assert.Contains(cuda.Problem!, e2.Message);
        }
    }
}
