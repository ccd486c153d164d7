using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>
/// The SPEC 2.1 RQS MAF kernels (Sources/rqs.cl, rqs_train.cl) against the managed NflowsMaf: log-prob, latent map and
/// sampling of an ensemble in one launch, one training step's loss and gradients, whole trainings through the seam, and
/// the ensemble-in-one-launch = one-launch-per-flow check.
/// </summary>
public class RqsKernelTests
{
    private static NflowsMaf[] Flows(int count, int hidden, int conditions, ulong seed, int layers = 2) =>
        FlowsSelfTest.RqsLikeFlows(count, hidden, seed, conditions, FlowPermutation.Random, layers);

    private static (double[] X, double[] C) Inputs(int rows, int conditions, ulong stream)
    {
        var x = new double[rows * 3];
        var c = new double[rows * conditions];
        Philox4x32.FillNormal(x, 61, stream);
        Philox4x32.FillNormal(c, 61, stream + 1);
        for (int i = 0; i < x.Length; i++) x[i] *= 1.6;       // some events in the linear tails beyond ±3
        return (x, c);
    }

    private static double Tolerance(FlowPrecision p) => p == FlowPrecision.Single ? 2e-4 : 1e-9;

    [SkippableTheory]
    [InlineData("opencl", FlowPrecision.Double, 1)]
    [InlineData("opencl", FlowPrecision.Double, 0)]
    [InlineData("opencl", FlowPrecision.Single, 1)]
    [InlineData("cuda", FlowPrecision.Double, 1)]
    [InlineData("cuda", FlowPrecision.Single, 1)]
    public void LogProbLatentAndSamplesOfAnEnsembleMatchEachFlow(string backend, FlowPrecision precision, int conditions)
    {
        var device = TestDevices.Get(backend);
        const int rows = 400;
        var flows = Flows(3, 16, conditions, 5);
        var (x, c) = Inputs(rows, conditions, 0);
        using var evaluator = FlowEvaluator.For(device, flows, precision);
        Assert.IsType<KernelFlowEvaluator>(evaluator);
        var lp = evaluator.LogProb(x, c, rows);
        var latent = evaluator.Latent(x, c, rows);
        var noise = new double[rows * 3];
        Philox4x32.FillNormal(noise, 62, 0);
        var sample = evaluator.Sample(noise, c, rows);
        var drawn = evaluator.Sample(7, 3, c, rows);
        double tails = x.Count(v => Math.Abs(v) > 3) / (double)x.Length;
        Assert.True(tails > 0.02, $"only {tails:P1} of the inputs lie in the tails");
        for (int f = 0; f < flows.Length; f++)
        {
            var pass = flows[f].NewPass(rows);
            var expected = new double[rows];
            flows[f].LogProb(x, c, expected, training: false, pass);
            FlowAssert.Close(expected, lp.AsSpan(f * rows, rows), Tolerance(precision), $"log p of flow {f}");
            FlowAssert.Close(pass.Latent, latent.Z.AsSpan(f * rows * 3, rows * 3), Tolerance(precision), $"latent of flow {f}");
            var x0 = new double[rows * 3];
            flows[f].Sample(noise, c, x0, flows[f].NewPass(rows));
            FlowAssert.Close(x0, sample.AsSpan(f * rows * 3, rows * 3), Tolerance(precision), $"samples of flow {f}");
            var philox = new double[rows * 3];
            Philox4x32.FillNormal(philox, 7, 3 + (ulong)f);
            flows[f].Sample(philox, c, x0, flows[f].NewPass(rows));
            FlowAssert.Close(x0, drawn.AsSpan(f * rows * 3, rows * 3), Tolerance(precision), $"Philox samples of flow {f}");
        }
        // The flows differ (their permutations and weights): an evaluator that used flow 0 for all would fail above.
        Assert.NotEqual(flows[0].Permutations.SelectMany(p => p), flows[1].Permutations.SelectMany(p => p));
    }

    [SkippableTheory]
    [InlineData("opencl", FlowPrecision.Double, 1, 2)]
    [InlineData("opencl", FlowPrecision.Double, 0, 1)]
    [InlineData("opencl", FlowPrecision.Double, 1, 3)]
    [InlineData("opencl", FlowPrecision.Single, 1, 2)]
    [InlineData("cuda", FlowPrecision.Double, 1, 2)]
    [InlineData("cuda", FlowPrecision.Single, 1, 2)]
    public void OneStepLossAndGradientsEqualTheManagedBackward(string backend, FlowPrecision precision, int conditions, int layers)
    {
        var device = TestDevices.Get(backend);
        const int rows = 100;
        var flows = Flows(2, 16, conditions, 9, layers: layers);
        var (x, c) = Inputs(2 * rows, conditions, 4);              // one minibatch per flow
        using var trainer = new KernelFlowTrainer(device, flows, new FlowTrainingOptions(), precision);
        var losses = trainer.Step(x, c, rows);
        double tol = precision == FlowPrecision.Single ? 1e-4 : 1e-9;
        for (int f = 0; f < flows.Length; f++)
        {
            var expected = FlowAssert.ManagedGradients(flows[f], x.AsSpan(f * rows * 3, rows * 3), c.AsSpan(f * rows * conditions, rows * conditions), rows, out double loss);
            Assert.True(Math.Abs(losses[f] - loss) <= tol * Math.Max(1, Math.Abs(loss)), $"loss of flow {f}: {losses[f]} vs {loss}");
            FlowAssert.CloseToLargest(expected, trainer.LastGradients(f), tol, $"gradients of flow {f}");
        }
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void TrainingThroughTheSeamEqualsTheManagedPath(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 150;
        var (x, c) = Inputs(rows, 1, 10);
        var (xv, cv) = Inputs(60, 1, 12);
        var options = Enumerable.Range(0, 2).Select(k => new FlowTrainingOptions { Epochs = 3, BatchSize = 64, LearningRate = 1e-3, Seed = 40 + (ulong)k, ClipNorm = 5 }).ToArray();
        var managed = Flows(2, 12, 1, 30);
        var kernel = Flows(2, 12, 1, 30);
        Assert.False(FlowTraining.RunsKernels(FastAD.Kernels.Cpu.CpuDevice.Instance, managed, options));
        Assert.True(FlowTraining.RunsKernels(device, kernel, options));
        Assert.Contains("RQS MAF kernels", FlowTraining.PathOn(device, kernel, options));
        var expected = FlowTraining.Train(FastAD.Kernels.Cpu.CpuDevice.Instance, managed, x, c, xv, cv, options);
        var got = FlowTraining.Train(device, kernel, x, c, xv, cv, options);
        for (int f = 0; f < 2; f++)
        {
            Assert.Equal(expected[f].BestEpoch, got[f].BestEpoch);
            FlowAssert.Close(expected[f].TrainLoss, got[f].TrainLoss, 1e-9, $"training losses of flow {f}");
            FlowAssert.Close(expected[f].ValidationLoss, got[f].ValidationLoss, 1e-9, $"validation losses of flow {f}");
            var before = Flows(2, 12, 1, 30)[f].Parameters().SelectMany(p => p.Value).ToArray();
            var m = managed[f].Parameters().SelectMany(p => p.Value).ToArray();
            FlowAssert.Close(m, kernel[f].Parameters().SelectMany(p => p.Value).ToArray(), 1e-8, $"parameters of flow {f}");
            Assert.True(FlowsSelfTest.MaxRelative(before, m) > 1e-4, "training moved the parameters");
        }
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void EnsembleMembersTrainIndependentlyInOneLaunch(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 90;
        var options = new FlowTrainingOptions { BatchSize = 32, Seed = 9, LearningRate = 1e-3 };
        var flows = Flows(3, 10, 1, 50);
        var (xs, cs) = Inputs(3 * rows, 1, 20);                    // one data set per member
        using var ensemble = new KernelFlowTrainer(device, flows, options, FlowPrecision.Single);
        var losses = ensemble.Epoch(xs, cs, rows, 0);
        ensemble.CopyToFlows();
        for (int f = 0; f < flows.Length; f++)
        {
            var single = Flows(3, 10, 1, 50)[f];
            using var alone = new KernelFlowTrainer(device, [single], options with { Seed = options.Seed + (ulong)f }, FlowPrecision.Single);
            var loss = alone.Epoch(xs.AsSpan(f * rows * 3, rows * 3), cs.AsSpan(f * rows, rows), rows, 0);
            Assert.Equal(loss[0], losses[f]);
            alone.CopyToFlows();
            Assert.Equal(single.Parameters().SelectMany(p => p.Value), flows[f].Parameters().SelectMany(p => p.Value));
        }
        Assert.NotEqual(flows[0].Parameters().SelectMany(p => p.Value), Flows(3, 10, 1, 50)[0].Parameters().SelectMany(p => p.Value));
    }

    [SkippableFact]
    public void FlowsWithoutKernelsSayWhyAndStayManaged()
    {
        var device = TestDevices.Get("opencl");
        var residual = new NflowsMaf(3, 1, 8, 2, AutoregressiveTransform.RationalQuadratic, 8, 3.0, 2, FlowPermutation.Reverse, 1, residual: true);
        var affine = new NflowsMaf(3, 1, 8, 2, AutoregressiveTransform.AffineNflows);
        var options = new[] { new FlowTrainingOptions() };
        Assert.Contains("residual MADEs have no kernels", FlowTraining.PathOn(device, [residual], options));
        Assert.Contains("nflows affine MAF has no kernels", FlowTraining.PathOn(device, [affine], options));
        Assert.Contains("residual MADEs have no kernels", FlowEvaluator.PathOn(device, [residual], FlowPrecision.Double));
        using var evaluator = FlowEvaluator.For(device, [residual], FlowPrecision.Double);
        Assert.IsType<ManagedFlowEvaluator>(evaluator);
    }
}
