using FastAD.Analyses.Cathode;
using FastAD.Flows;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// The background model's sideband closure (SPEC 6): it accepts a model that is exact by construction (sideband data
/// replaced by the flows' own samples at the data's masses) and catches deliberately under-trained flows (2 epochs).
/// </summary>
public sealed class SidebandClosureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastad-closure").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void TheClosureAcceptsAnExactModelAndCatchesUnderTrainedFlows()
    {
        var c = CathodeConfig.Quick();
        c.Flows.Epochs = 2;
        var (os, _) = CathodeData.Generate(c);
        var pre = CathodeAnalysis.FitPreprocessing(os, c);
        var run = new RunContext(CpuDevice.Instance, new ModelStore(_dir, false, "cathode"));
        var bg = CathodeBackground.Train(run, c, os, pre);
        var under = SidebandClosureStage.Of(run, c, os, pre, bg);
        Assert.True(under.Outside && under.Auc > under.BandHigh, $"2-epoch flows: AUC {under.Auc:F3} in [{under.BandLow:F3}, {under.BandHigh:F3}]");
        Assert.Equal(c.Bdt.Folds, under.FoldAucs.Length);

        // The same flows as an exact background model: every sideband event's features are a sample of its flow at its mass.
        var band = CathodeAnalysis.Bands(os, c);
        var sb = Enumerable.Range(0, os.Rows).Where(i => band[i] is MassBand.Sbl or MassBand.Sbh).ToArray();
        using var evaluator = FlowEvaluator.For(CpuDevice.Instance, bg.Flows, FlowPrecision.Double);
        var noise = new double[sb.Length * os.D];
        Philox4x32.FillNormal(noise, 99, 0);
        var drawn = pre.InverseFeatures(evaluator.SampleRoundRobin(noise, pre.Masses(sb.Select(i => os.Mass[i]).ToArray()), sb.Length));
        var features = (double[])os.Features.Clone();
        for (int k = 0; k < sb.Length; k++) Array.Copy(drawn, k * os.D, features, sb[k] * os.D, os.D);
        var exact = SidebandClosureStage.Of(run, c, os with { Features = features }, pre, bg);
        Assert.False(exact.Outside, $"exact model: AUC {exact.Auc:F3} outside [{exact.BandLow:F3}, {exact.BandHigh:F3}]");
        Assert.InRange(exact.Auc, 0.46, 0.54);
        Assert.All(exact.Features, f => Assert.True(f.PValue > 1e-3, $"{f.Feature}: KS p {f.PValue:G3} for an exact model"));
        Assert.Contains(under.Features, f => f.PValue < exact.Features.Min(e => e.PValue));
        Assert.InRange(exact.BandHigh - exact.BandLow, 0.005, 0.1);
    }
}
