using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Primitives;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Kernels.Tests;

[CollectionDefinition(nameof(LeakTests), DisableParallelization = true)]
public class LeakTestsCollection;

/// <summary>Runs alone: the working-set measurement must not see other tests' allocations.</summary>
[Collection(nameof(LeakTests))]
public class LeakTests
{
    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void ThousandsOfLaunchesAndAllocationsLeakNothing(string backend)
    {
        TestDevices.Get(backend); // skips when the backend is missing
        // A device object of our own, so buffers of tests running alongside do not enter the count.
        using var device = TestDevices.OpenFresh(backend);
        var prims = Primitives.Primitives.For(device);
        long before = device.LiveBufferCount;
        using (var x = device.Upload<float>(new float[4096]))
            for (int i = 0; i < 200; i++) prims.Map(UnaryOp.Tanh, x, x); // warm-up: compile and cache
        device.Synchronize();
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        for (int i = 0; i < 3000; i++)
        {
            using var a = device.Allocate<float>(1 << 14);
            using var b = device.Allocate<double>(100);
            prims.Map(UnaryOp.Tanh, a, a);
            prims.FillUniform(b, 1, (ulong)i);
            if (i % 500 == 0) device.Synchronize();
        }
        device.Synchronize();
        GC.Collect();
        long rssAfter = Process.GetCurrentProcess().WorkingSet64;
        Assert.Equal(before, device.LiveBufferCount);
        // 3000 iterations x 64 KiB would be ~190 MiB if buffers were never released on the native side.
        Assert.True(rssAfter - rssBefore < 120L << 20, $"working set grew by {(rssAfter - rssBefore) >> 20} MiB over 3000 alloc/launch/free cycles");
    }

}
