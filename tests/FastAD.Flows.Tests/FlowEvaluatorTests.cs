using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>
/// FlowEvaluator on every backend against the flows' own LogProb / Sample (the reference), with trained-like
/// flows (non-zero biases, log γ, β and running statistics from data).
/// </summary>
public class FlowEvaluatorTests
{
    private static double Tolerance(FlowPrecision p) => p == FlowPrecision.Single ? 1e-4 : 1e-9;

    private static (double[] X, double[] C) Inputs(int rows, int conditions, ulong stream)
    {
        var x = new double[rows * 3];
        var c = new double[rows * conditions];
        Philox4x32.FillNormal(x, 31, stream);
        Philox4x32.FillNormal(c, 31, stream + 1);
        for (int i = 0; i < x.Length; i++) x[i] = 1.3 * x[i] + 0.2;
        return (x, c);
    }

    /// <summary>Reference: log p, z and log|det| of flow f from its own managed pass.</summary>
    private static (double[] LogProb, double[] Z) Reference(Spec13AffineMaf flow, double[] x, double[] c, int rows)
    {
        var pass = flow.NewPass(rows);
        var lp = new double[rows];
        flow.LogProb(x, c, lp, training: false, pass);
        return (lp, pass.Latent.ToArray());
    }

    private static double[] ReferenceSample(Spec13AffineMaf flow, double[] noise, double[] c, int rows)
    {
        var x = new double[rows * 3];
        flow.Sample(noise, c, x, flow.NewPass(rows));
        return x;
    }

    [SkippableTheory]
    [InlineData("cpu", FlowPrecision.Double, 20)]
    [InlineData("opencl", FlowPrecision.Single, 20)]
    [InlineData("opencl", FlowPrecision.Double, 20)]
    [InlineData("opencl", FlowPrecision.Single, 128)]
    [InlineData("opencl", FlowPrecision.Double, 128)]
    [InlineData("cuda", FlowPrecision.Single, 20)]
    [InlineData("cuda", FlowPrecision.Double, 128)]
    public void LogProbAndLatentOfAnEnsembleMatchEachFlow(string backend, FlowPrecision precision, int hidden)
    {
        var device = TestDevices.Get(backend);
        int rows = hidden > 32 ? 100 : 300;
        var flows = FlowsSelfTest.TrainedLikeFlows(3, hidden, 6, 11);
        var (x, c) = Inputs(rows, 1, 0);
        using var evaluator = FlowEvaluator.For(device, flows, precision);
        Assert.Equal(device.SupportsKernels, evaluator is KernelFlowEvaluator);
        var lp = evaluator.LogProb(x, c, rows);
        var latent = evaluator.Latent(x, c, rows);
        double spread = 0;
        for (int f = 0; f < flows.Length; f++)
        {
            var (refLp, refZ) = Reference(flows[f], x, c, rows);
            FlowAssert.Close(refLp, lp.AsSpan(f * rows, rows), Tolerance(precision), $"log p of flow {f}");
            FlowAssert.Close(refZ, latent.Z.AsSpan(f * rows * 3, rows * 3), Tolerance(precision), $"latent of flow {f}");
            // log p = log N(z) + log|det|.
            for (int n = 0; n < rows; n++)
            {
                double s = 0;
                for (int d = 0; d < 3; d++) s += refZ[n * 3 + d] * refZ[n * 3 + d];
                double expected = refLp[n] + 0.5 * s + 1.5 * Math.Log(2 * Math.PI);
                Assert.True(Math.Abs(latent.LogDet[f * rows + n] - expected) <= Tolerance(precision) * Math.Max(1, Math.Abs(expected)),
                    $"log|det| of flow {f}, event {n}: {latent.LogDet[f * rows + n]} vs {expected}");
            }
            spread = Math.Max(spread, refLp.Max() - refLp.Min());
        }
        // The flows are far from the identity: the check is not of near-constant values.
        Assert.True(spread > 5, $"log p spread only {spread}");
    }

    [SkippableTheory]
    [InlineData("cpu", FlowPrecision.Double)]
    [InlineData("opencl", FlowPrecision.Single)]
    [InlineData("opencl", FlowPrecision.Double)]
    [InlineData("cuda", FlowPrecision.Single)]
    public void SamplesMatchTheFlowsGivenTheSameNoiseAndInvertTheLatentMap(string backend, FlowPrecision precision)
    {
        var device = TestDevices.Get(backend);
        const int rows = 400;
        var flows = FlowsSelfTest.TrainedLikeFlows(3, 20, 6, 12);
        var (_, c) = Inputs(rows, 1, 4);
        var noise = new double[flows.Length * rows * 3];
        for (int f = 0; f < flows.Length; f++) Philox4x32.FillNormal(noise.AsSpan(f * rows * 3, rows * 3), 8, 40 + (ulong)f);
        using var evaluator = FlowEvaluator.For(device, flows, precision);
        var given = evaluator.Sample(noise, c, rows);              // one noise set per flow
        var drawn = evaluator.Sample(8, 40, c, rows);              // the same noise drawn from Philox on the device
        double tol = Tolerance(precision);
        for (int f = 0; f < flows.Length; f++)
        {
            var expected = ReferenceSample(flows[f], noise.AsSpan(f * rows * 3, rows * 3).ToArray(), c, rows);
            FlowAssert.Close(expected, given.AsSpan(f * rows * 3, rows * 3), tol, $"samples of flow {f} from given noise");
            FlowAssert.Close(expected, drawn.AsSpan(f * rows * 3, rows * 3), tol, $"samples of flow {f} from Philox noise");
        }
        // latent ∘ sample = identity (per-flow inputs: flow f maps back its own samples), and sample ∘ latent too.
        FlowAssert.Close(noise, evaluator.Latent(given, c, rows).Z, 100 * tol, "latent(sample(noise))");
        FlowAssert.Close(given, evaluator.Sample(evaluator.Latent(given, c, rows).Z, c, rows), 100 * tol, "sample(latent(x))");
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void AnEnsembleInOneLaunchEqualsSingleFlowEvaluations(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 257;
        var flows = FlowsSelfTest.TrainedLikeFlows(3, 16, 4, 13);
        var (x, c) = Inputs(rows, 1, 8);
        // Per-flow inputs: flow f reads its own rows.
        var (xs, cs) = Inputs(3 * rows, 1, 12);
        using var ensemble = new KernelFlowEvaluator(device, flows, FlowPrecision.Single);
        var lp = ensemble.LogProb(x, c, rows);
        var lpOwn = ensemble.LogProb(xs, cs, rows);
        var samples = ensemble.Sample(3, 7, c, rows);
        for (int f = 0; f < flows.Length; f++)
        {
            using var single = new KernelFlowEvaluator(device, [flows[f]], FlowPrecision.Single);
            Assert.Equal(single.LogProb(x, c, rows), lp.AsSpan(f * rows, rows).ToArray());
            Assert.Equal(single.LogProb(xs.AsSpan(f * rows * 3, rows * 3), cs.AsSpan(f * rows, rows), rows), lpOwn.AsSpan(f * rows, rows).ToArray());
            Assert.Equal(single.Sample(3, 7 + (ulong)f, c, rows), samples.AsSpan(f * rows * 3, rows * 3).ToArray());
        }
        Assert.NotEqual(lp.AsSpan(0, rows).ToArray(), lp.AsSpan(rows, rows).ToArray());
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void UnconditionalFlowsAndRefreshAfterTraining(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 200;
        var flows = FlowsSelfTest.TrainedLikeFlows(2, 8, 2, 14, conditions: 0);
        var (x, _) = Inputs(rows, 0, 16);
        using var evaluator = new KernelFlowEvaluator(device, flows, FlowPrecision.Double);
        var before = evaluator.LogProb(x, [], rows);
        FlowAssert.Close(Reference(flows[1], x, [], rows).LogProb, before.AsSpan(rows, rows), 1e-9, "unconditional log p");
        flows[1].Made[0].Output.Bias[4] += 0.5;                  // a log-scale bias of dimension 1
        flows[1].Norm[1].RunningMean[2] -= 0.25;
        Assert.Equal(before, evaluator.LogProb(x, [], rows));     // parameters were copied
        evaluator.Refresh();
        var after = evaluator.LogProb(x, [], rows);
        FlowAssert.Close(Reference(flows[1], x, [], rows).LogProb, after.AsSpan(rows, rows), 1e-9, "log p after refresh");
        Assert.NotEqual(before.AsSpan(rows, rows).ToArray(), after.AsSpan(rows, rows).ToArray());
    }

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void StandsInForFlowEnsembleSamplingAndMeanLogProb(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 150;
        var ensemble = new FlowEnsemble(FlowsSelfTest.TrainedLikeFlows(3, 20, 6, 15));
        var (x, c) = Inputs(rows, 1, 20);
        using var evaluator = FlowEvaluator.For(device, ensemble, FlowPrecision.Double);
        FlowAssert.Close(ensemble.Sample(c, rows, 77), evaluator.Sample(77, 0, c, rows), 1e-9, "pooled samples");
        var mean = new double[rows];
        ensemble.MeanLogProb(x, c, mean, rows);
        FlowAssert.Close(mean, evaluator.MeanLogProb(x, c, rows), 1e-9, "mean log p");
    }

    [Fact]
    public void BadShapesAreClearErrors()
    {
        var a = new Spec13AffineMaf(3, 1, 8, 2, 1);
        var b = new Spec13AffineMaf(3, 1, 10, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => FlowEvaluator.For(new FastAD.Kernels.Cpu.CpuDevice(), [a, b]));
        Assert.Contains("H=10", e.Message);
        using var ev = new ManagedFlowEvaluator([a, a]);
        e = Assert.Throws<ArgumentException>(() => ev.LogProb(new double[10], new double[5], 5));
        Assert.Contains("features hold 10 values", e.Message);
        e = Assert.Throws<ArgumentException>(() => ev.Sample(new double[15], new double[4], 5));
        Assert.Contains("conditions hold 4 values", e.Message);
        Assert.Throws<ArgumentException>(() => new KernelFlowEvaluator(new FastAD.Kernels.Cpu.CpuDevice(), [a]));
        Assert.Empty(ev.LogProb([], [], 0));
    }

    [SkippableTheory]
    [InlineData("cpu", 301)]
    [InlineData("cpu", 2)]
    [InlineData("opencl", 301)]
    public void RoundRobinSendsEventIToFlowIModF(string backend, int rows)
    {
        var device = TestDevices.Get(backend);
        var flows = FlowsSelfTest.TrainedLikeFlows(3, 12, 2, 17);
        var (x, c) = Inputs(rows, 1, 40);
        using var evaluator = FlowEvaluator.For(device, flows, FlowPrecision.Double);
        var z = evaluator.LatentRoundRobin(x, c, rows);
        var back = evaluator.SampleRoundRobin(z, c, rows);
        for (int i = 0; i < rows; i++)
        {
            var (_, zi) = Reference(flows[i % 3], x[(3 * i)..(3 * i + 3)], c[i..(i + 1)], 1);
            FlowAssert.Close(zi, z.AsSpan(3 * i, 3), 1e-9, $"latent of event {i} (flow {i % 3})");
            FlowAssert.Close(ReferenceSample(flows[i % 3], zi, c[i..(i + 1)], 1), back.AsSpan(3 * i, 3), 1e-9, $"sample of event {i} (flow {i % 3})");
        }
        Assert.Throws<ArgumentException>(() => evaluator.LatentRoundRobin(new double[3 * 3 * rows], c, rows));
    }
}
