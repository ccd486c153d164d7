using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

public class MafTests(ITestOutputHelper output)
{
    [Fact]
    public void WholeFlowGradientsMatchFiniteDifferences()
    {
        // Two blocks with batch norm in training mode: the batch statistics' dependence on x is part of the check.
        const int d = 3, batch = 9;
        var flow = new Spec13AffineMaf(d, 1, 5, 2, seed: 4);
        foreach (var (value, _) in flow.Parameters())
        {
            var noise = new double[value.Length];
            Philox4x32.FillNormal(noise, 5, (ulong)value.Length);
            for (int i = 0; i < value.Length; i++) value[i] += 0.1 * noise[i];
        }
        var x = new double[batch * d];
        var c = new double[batch];
        Philox4x32.FillNormal(x, 6, 0);
        Philox4x32.FillNormal(c, 6, 1);
        // Five-point differences with an absolute floor of 1e-10 (this test once used two-point differences, h = 1e-6, floor 1e-8).
        var r = GradientCheck.CheckFlowParameters(flow, x, c, batch, absoluteFloor: 1e-10);
        output.WriteLine($"{r.Count} gradients checked, worst relative error {r.Worst:E2}");
    }

    [Fact]
    public void SamplingInvertsTheEvaluationTransform()
    {
        var flow = new Spec13AffineMaf(3, 1, 8, 3, seed: 2);
        var x = new double[40 * 3];
        var c = new double[40];
        Philox4x32.FillNormal(x, 1, 1);
        Philox4x32.FillNormal(c, 1, 2);
        flow.UpdateRunningStatistics(x, c, 40);
        var pass = flow.NewPass(40);
        flow.LogProb(x, c, new double[40], training: false, pass);
        var z = pass.Latent.ToArray();
        var back = new double[x.Length];
        flow.Sample(z, c, back, flow.NewPass(40));
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], back[i], 9);
    }

    [Fact]
    public void LearnsAConditionalGaussianToItsEntropy()
    {
        // x | c = μ(c) + e^{0.3c} L ε (see ReferenceConditionalDensity).
        const int d = ReferenceConditionalDensity.D, nTrain = 16000, nVal = 4000;
        var (xt, ct) = ReferenceConditionalDensity.Draw(nTrain, 1);
        var (xv, cv) = ReferenceConditionalDensity.Draw(nVal, 2);
        double entropy = ReferenceConditionalDensity.Entropy;
        var flow = new Spec13AffineMaf(d, 1, 32, 5, seed: 3);
        var result = FlowTrainer.Train(flow, xt, ct, xv, cv, new FlowTrainingOptions { Epochs = 25, LearningRate = 3e-3, BatchSize = 256, Seed = 7 });
        double best = result.ValidationLoss[result.BestEpoch];
        // The true density's NLL on the same validation events: the flow's excess over it estimates the KL
        // divergence without the ±0.02 sampling noise of comparing with the analytic entropy.
        double trueNll = ReferenceConditionalDensity.MeanNll(xv, cv);
        output.WriteLine($"validation NLL {best:F4} at epoch {result.BestEpoch}; true density on the same events {trueNll:F4}; analytic entropy {entropy:F4}");
        Assert.InRange(best - trueNll, -0.005, 0.02);

        // Samples at the validation conditions against fresh true events at the same conditions: per-dimension
        // two-sample KS distances below the 1% critical value √(−ln(0.005)·(n+m)/(2nm)) ≈ 0.036 for n = m = 4000.
        var noise = new double[nVal * d];
        Philox4x32.FillNormal(noise, 99, 1);
        var samples = new double[nVal * d];
        flow.Sample(noise, cv, samples, flow.NewPass(nVal));
        var fresh = ReferenceConditionalDensity.DrawAt(cv, 98, 1);
        double critical = Math.Sqrt(-Math.Log(0.005) / nVal);   // c(0.01)·√((n+m)/(nm)) with c = √(−ln(0.005)/2), n = m
        for (int i = 0; i < d; i++)
        {
            var a = Enumerable.Range(0, nVal).Select(k => samples[k * d + i]).Order().ToArray();
            var b = Enumerable.Range(0, nVal).Select(k => fresh[k * d + i]).Order().ToArray();
            double ks = 0;
            int ia = 0, ib = 0;
            while (ia < a.Length && ib < b.Length)
            {
                if (a[ia] <= b[ib]) ia++; else ib++;
                ks = Math.Max(ks, Math.Abs(ia / (double)a.Length - ib / (double)b.Length));
            }
            output.WriteLine($"dimension {i}: KS distance {ks:F4} (1% critical {critical:F4})");
            Assert.True(ks < critical, $"dimension {i}: KS distance {ks:F4} ≥ {critical:F4}");
        }
    }
}

public class FlowFileTests
{
    [Fact]
    public void SavedFlowsGiveTheSameLogProbAndBadFilesAreNamed()
    {
        var flow = new Spec13AffineMaf(3, 1, 8, 2, seed: 5);
        var x = new double[30];
        var c = new double[10];
        Philox4x32.FillNormal(x, 2, 1);
        Philox4x32.FillNormal(c, 2, 2);
        flow.UpdateRunningStatistics(x, c, 10);
        string path = Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.json");
        FlowFile.Save(path, flow);
        var loaded = FlowFile.Load(path);
        var a = new double[10];
        var b = new double[10];
        flow.LogProb(x, c, a, training: false, flow.NewPass(10));
        loaded.LogProb(x, c, b, training: false, loaded.NewPass(10));
        Assert.Equal(a, b);
        File.WriteAllText(path, "{\"Format\":\"fastad-flow\",\"Version\":7}");
        var e = Assert.Throws<InvalidDataException>(() => FlowFile.Load(path));
        Assert.Contains("version 7", e.Message);
        File.Delete(path);
    }
}
