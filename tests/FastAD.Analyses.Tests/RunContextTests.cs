using FastAD.Kernels.Cpu;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The run context's side-by-side stages (CATHODE's two channels): both results, and a failure reported as itself.</summary>
public sealed class RunContextTests
{
    private static RunContext Run(CancellationToken cancel = default) =>
        new(CpuDevice.Instance, new ModelStore(Path.GetTempPath(), reuse: false, "test"), null, cancel);

    /// <summary>A stage that runs until it is cancelled (or 10 s pass, which fails the test).</summary>
    private static int UntilCancelled(RunContext r)
    {
        for (int i = 0; i < 1000; i++)
        {
            r.ThrowIfCancelled();
            Thread.Sleep(10);
        }
        return -1;
    }

    [Fact]
    public void BothStagesRunAndShareTheTimings()
    {
        var run = Run();
        var (a, b) = run.Both(r => r.Time("one", () => 1), r => r.Time("two", () => "2"));
        Assert.Equal((1, "2"), (a, b));
        Assert.Equal(["one", "two"], run.Seconds.Keys.Order());
    }

    [Fact]
    public void AFailureStopsTheOtherStageAndIsReportedAsItself()
    {
        // Either side failing: the other stops at its next check, and the error is the failure, not the cancellation it caused.
        var e = Assert.Throws<InvalidDataException>(() => Run().Both<int, int>(UntilCancelled, _ => throw new InvalidDataException("bad SS file")));
        Assert.Equal("bad SS file", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Run().Both<int, int>(_ => throw new InvalidDataException("bad OS file"), UntilCancelled));
        Assert.Equal("bad OS file", e.Message);
    }

    [Fact]
    public void CtrlCStopsBoth()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => Run(cts.Token).Both(UntilCancelled, UntilCancelled));
    }
}
