using FastAD.Analyses.Cathode;
using FastAD.Data.Synthetic;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The signal-injection mixing (issue 18, item 3): nested sets, truth, counts.</summary>
public sealed class SignalInjectionTests
{
    private static (CathodeChannelData Background, CathodeChannelData Signal) Parts(int maxSignal)
    {
        var c = CathodeConfig.Preset("quick");
        return SignalInjection.Generate(c, maxSignal);
    }

    [Fact]
    public void TheGeneratedPartsAreBackgroundAloneAndSignalAlone()
    {
        var (b, s) = Parts(300);
        Assert.Equal(DimuonGenerator.OsEvents - DimuonGenerator.OsSignalEvents, b.Rows);
        Assert.All(b.Truth!, t => Assert.Equal(0, t));
        Assert.Equal(300, s.Rows);
        Assert.All(s.Truth!, t => Assert.Equal(1, t));
        // The generator's Υ: masses around the three peaks.
        Assert.All(s.Mass, m => Assert.InRange(m, 8.5, 11.5));
    }

    [Fact]
    public void InjectedSetsAreNestedAndLabelled()
    {
        var (b, s) = Parts(400);
        var small = SignalInjection.Mix(b, s, 50, 7);
        var large = SignalInjection.Mix(b, s, 400, 7);
        Assert.Equal(b.Rows + 50, small.Rows);
        Assert.Equal(b.Rows + 400, large.Rows);
        Assert.Equal(50, small.Truth!.Count(t => t == 1));
        Assert.Equal(400, large.Truth!.Count(t => t == 1));
        // The data's events first and unchanged, then the injected ones: the 50 are the first 50 of the 400.
        for (int i = 0; i < small.Rows; i++)
        {
            Assert.Equal(large.Mass[i], small.Mass[i]);
            for (int j = 0; j < b.D; j++) Assert.Equal(large.Features[i * b.D + j], small.Features[i * b.D + j]);
        }
        // Every injected event is one of the signal sample's, no event twice.
        var injected = Enumerable.Range(b.Rows, 400).Select(i => large.Mass[i]).ToArray();
        Assert.Equal(400, injected.Distinct().Count());
        Assert.All(injected, m => Assert.Contains(m, s.Mass));
        // Another seed draws the events in another order.
        var other = SignalInjection.Mix(b, s, 50, 8);
        Assert.NotEqual(Enumerable.Range(b.Rows, 50).Select(i => small.Mass[i]), Enumerable.Range(b.Rows, 50).Select(i => other.Mass[i]));
    }

    [Fact]
    public void AGeneratedCountHasTheSameEventsWhateverTheOtherCounts()
    {
        // A study of 0,100,200 and one of 0,100,400 inject the same 100 events: the generator's rows do not depend on the pool's size.
        var (b, small) = Parts(200);
        var (_, large) = Parts(400);
        var a = SignalInjection.Mix(b, small, 100, 3, shuffle: false);
        var c = SignalInjection.Mix(b, large, 100, 3, shuffle: false);
        Assert.Equal(a.Mass, c.Mass);
        Assert.Equal(a.Features, c.Features);
    }

    [Fact]
    public void ASignalFileWithBackgroundRowsIsRefused()
    {
        var (b, s) = Parts(20);
        var mixed = SignalInjection.Mix(b, s, 20, 1);
        var e = Assert.Throws<ArgumentException>(() => SignalInjection.SignalFile(mixed));
        Assert.Contains($"{b.Rows:N0} of its {mixed.Rows:N0} rows have truth ≠ 1", e.Message);
        Assert.Same(s, SignalInjection.SignalFile(s));
    }

    [Fact]
    public void APreIsolationSpectrumWithoutSidebandsIsNotFitted()
    {
        // A features-only file (SR events alone): no fit, a note, and so no dashed spectrum (CathodeReport draws fitted ones only).
        var c = CathodeConfig.Preset("quick");
        var sr = new PreIsolationSample("f.csv", new double[30], "f.csv", Enumerable.Range(0, 10).Select(i => 9.2 + 0.1 * i).ToArray());
        var r = PreIsolationResult.Of(sr, c, 3, FastAD.Kernels.Cpu.CpuDevice.Instance);
        Assert.Null(r.Z);
        Assert.Null(r.ThetaHat);
        Assert.Contains("cannot be fitted", r.Note);
        Assert.Equal(10, r.Sr);
    }

    [Fact]
    public void DataWithoutTruthCountsAsBackground()
    {
        var (b, s) = Parts(20);
        var noTruth = b with { Truth = null };
        var mixed = SignalInjection.Mix(noTruth, s, 20, 1);
        Assert.Equal(20, mixed.Truth!.Count(t => t == 1));
        Assert.Equal(b.Rows, mixed.Truth!.Count(t => t == 0));
    }

    [Theory]
    [InlineData("0,100,50", new[] { 0, 50, 100 })]
    [InlineData("200, 200 ,10", new[] { 10, 200 })]
    public void CountsAreSortedAndDistinct(string text, int[] expected) => Assert.Equal(expected, SignalInjection.ParseCounts(text));

    [Fact]
    public void TooFewSignalEventsAreRefused()
    {
        var (b, s) = Parts(30);
        var e = Assert.Throws<ArgumentException>(() => SignalInjection.Check(b, s, [10, 31]));
        Assert.Contains("asks for 31 signal events but the signal sample has 30", e.Message);
    }
}
