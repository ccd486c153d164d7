using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

public class RqsFlowTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(AutoregressiveTransform.RationalQuadratic, false)]
    [InlineData(AutoregressiveTransform.AffineNflows, false)]
    [InlineData(AutoregressiveTransform.RationalQuadratic, true)]
    public void MadeBlockGradientsMatchFiniteDifferences(AutoregressiveTransform transform, bool residual)
    {
        // Loss = Σ w·z + Σ v·logdet with random weights: every path (spline parameters, x directly, the condition) is exercised.
        const int d = 3, c = 2, batch = 7, bins = 5;
        var block = new NflowsMadeBlock(d, c, 6, 2, transform, bins, tailBound: 2.5, residual);
        block.InitialiseLikeTorch(3, 0);
        foreach (var l in block.Layers)
        {
            var noise = new double[l.Weight.Length];
            Philox4x32.FillNormal(noise, 8, (ulong)l.Weight.Length);
            for (int i = 0; i < noise.Length; i++) l.Weight[i] += 0.5 * noise[i];
        }
        var x = new double[batch * d];
        var cond = new double[batch * c];
        var w = new double[batch * d];
        var v = new double[batch];
        Philox4x32.FillNormal(x, 9, 0);
        Philox4x32.FillNormal(cond, 9, 1);
        Philox4x32.FillNormal(w, 9, 2);
        Philox4x32.FillNormal(v, 9, 3);
        for (int i = 0; i < x.Length; i++) x[i] *= 2;     // some inputs fall in the linear tails
        var cache = block.NewCache(batch);
        var z = new double[batch * d];
        var ld = new double[batch];
        double Loss()
        {
            block.Forward(x, cond, z, ld, batch, cache);
            double s = 0;
            for (int i = 0; i < z.Length; i++) s += w[i] * z[i];
            for (int n = 0; n < batch; n++) s += v[n] * ld[n];
            return s;
        }
        Loss();
        foreach (var l in block.Layers) l.ZeroGrad();
        var dx = new double[x.Length];
        var dc = new double[cond.Length];
        block.Backward(x, cond, z, w, v, dx, dc, batch, cache);
        Assert.Contains(x, e => Math.Abs(e) > 2.5);
        var arrays = block.Layers.SelectMany((l, k) => new[] { (l.Weight, l.WeightGrad, $"layer {k} W"), (l.Bias, l.BiasGrad, $"layer {k} b") })
            .Append((x, dx, "x")).Append((cond, dc, "c"));
        double worst = GradientCheck.Check(arrays, Loss, absoluteFloor: 1e-10).Worst;
        output.WriteLine($"{transform}{(residual ? ", residual" : "")}: worst relative error {worst:E2}");
    }

    private static NflowsMaf RandomFlow(AutoregressiveTransform transform, FlowPermutation permutation, ulong seed, bool residual = false)
    {
        var flow = new NflowsMaf(3, 1, 8, 3, transform, bins: 6, tailBound: 3, hiddenLayers: 2, permutation, seed, residual);
        GradientCheck.Perturb(flow.Parameters(), 0.3, seed + 1);
        return flow;
    }

    [Theory]
    [InlineData(AutoregressiveTransform.RationalQuadratic, FlowPermutation.Random)]
    [InlineData(AutoregressiveTransform.AffineNflows, FlowPermutation.Reverse)]
    public void WholeFlowGradientsMatchFiniteDifferences(AutoregressiveTransform transform, FlowPermutation permutation)
    {
        const int batch = 6;
        var flow = RandomFlow(transform, permutation, 4);
        var x = new double[batch * 3];
        var c = new double[batch];
        Philox4x32.FillNormal(x, 6, 0);
        Philox4x32.FillNormal(c, 6, 1);
        double worst = GradientCheck.CheckFlowParameters(flow, x, c, batch, absoluteFloor: 1e-10).Worst;
        output.WriteLine($"{transform}, {permutation}: worst relative error {worst:E2}");
    }

    [Theory]
    [InlineData(AutoregressiveTransform.RationalQuadratic, FlowPermutation.Random)]
    [InlineData(AutoregressiveTransform.RationalQuadratic, FlowPermutation.Reverse)]
    [InlineData(AutoregressiveTransform.AffineNflows, FlowPermutation.Random)]
    [InlineData(AutoregressiveTransform.RationalQuadratic, FlowPermutation.Random, true)]
    public void SamplingInvertsTheLatentMap(AutoregressiveTransform transform, FlowPermutation permutation, bool residual = false)
    {
        const int rows = 200;
        var flow = RandomFlow(transform, permutation, 11, residual);
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 12, 0);
        Philox4x32.FillNormal(c, 12, 1);
        for (int i = 0; i < x.Length; i++) x[i] *= 1.5;
        var z = new double[x.Length];
        flow.Latent(x, c, z, new double[rows], flow.NewPass(rows));
        var back = new double[x.Length];
        flow.Sample(z, c, back, flow.NewPass(rows));
        double worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(back[i] - x[i]));
        Assert.True(worst < 1e-5, $"|Sample(Latent(x)) − x| up to {worst:E2}");
    }

    [Fact]
    public void RandomPermutationsAreSeededPermutations()
    {
        var a = new NflowsMaf(5, 0, 4, 4, AutoregressiveTransform.RationalQuadratic, permutation: FlowPermutation.Random, seed: 3);
        var b = new NflowsMaf(5, 0, 4, 4, AutoregressiveTransform.RationalQuadratic, permutation: FlowPermutation.Random, seed: 3);
        var other = new NflowsMaf(5, 0, 4, 4, AutoregressiveTransform.RationalQuadratic, permutation: FlowPermutation.Random, seed: 4);
        Assert.Equal(a.Permutations, b.Permutations);
        Assert.NotEqual(a.Permutations, other.Permutations);
        Assert.All(a.Permutations, p => Assert.Equal(Enumerable.Range(0, 5), p.Order()));
        Assert.Throws<ArgumentException>(() => a.SetPermutations([[0, 0, 1, 2, 3], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]));
    }

    [Theory]
    [InlineData(AutoregressiveTransform.RationalQuadratic)]
    [InlineData(AutoregressiveTransform.AffineNflows)]
    public void LogDetMatchesTheFiniteDifferenceJacobian(AutoregressiveTransform transform)
    {
        var flow = RandomFlow(transform, FlowPermutation.Random, 21);
        const int rows = 20, d = 3;
        var x = new double[rows * d];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 22, 0);
        Philox4x32.FillNormal(c, 22, 1);
        var pass = flow.NewPass(1);
        var z = new double[d];
        var ld = new double[1];
        for (int n = 0; n < rows; n++)
        {
            var row = x.AsSpan(n * d, d).ToArray();
            var cn = new[] { c[n] };
            flow.Latent(row, cn, z, ld, pass);
            double analytic = ld[0];
            var jacobian = new double[d, d];
            const double h = 1e-6;
            for (int j = 0; j < d; j++)
            {
                var plus = (double[])row.Clone();
                var minus = (double[])row.Clone();
                plus[j] += h;
                minus[j] -= h;
                var zp = new double[d];
                var zm = new double[d];
                flow.Latent(plus, cn, zp, new double[1], pass);
                flow.Latent(minus, cn, zm, new double[1], pass);
                for (int i = 0; i < d; i++) jacobian[i, j] = (zp[i] - zm[i]) / (2 * h);
            }
            double det = jacobian[0, 0] * (jacobian[1, 1] * jacobian[2, 2] - jacobian[1, 2] * jacobian[2, 1])
                         - jacobian[0, 1] * (jacobian[1, 0] * jacobian[2, 2] - jacobian[1, 2] * jacobian[2, 0])
                         + jacobian[0, 2] * (jacobian[1, 0] * jacobian[2, 1] - jacobian[1, 1] * jacobian[2, 0]);
            Assert.True(Math.Abs(Math.Log(Math.Abs(det)) - analytic) < 1e-6, $"row {n}: log|det J| {Math.Log(Math.Abs(det)):R} vs {analytic:R}");
        }
    }

    [Fact]
    public void RqsFlowLearnsAConditionalGaussianToItsEntropy()
    {
        // The identity tails cannot rescale: with B = 4 the few events beyond the bound cost ~0.025 nats (seen), so the
        // spline covers [−8, 8], where these events (marginal sd ≈ 1.3) always lie.
        const int nTrain = 16000, nVal = 4000;
        var (xt, ct) = ReferenceConditionalDensity.Draw(nTrain, 1);
        var (xv, cv) = ReferenceConditionalDensity.Draw(nVal, 2);
        var flow = new NflowsMaf(3, 1, 32, 4, AutoregressiveTransform.RationalQuadratic, bins: 8, tailBound: 8, seed: 5);
        var result = FlowTrainer.Train(flow, xt, ct, xv, cv, new FlowTrainingOptions { Epochs = 20, LearningRate = 3e-3, BatchSize = 256, Seed = 7 });
        double best = result.ValidationLoss[result.BestEpoch];
        double trueNll = ReferenceConditionalDensity.MeanNll(xv, cv);
        output.WriteLine($"RQS validation NLL {best:F4} at epoch {result.BestEpoch}; true density on the same events {trueNll:F4}; analytic entropy {ReferenceConditionalDensity.Entropy:F4}");
        Assert.InRange(best - trueNll, -0.005, 0.02);
    }
}
