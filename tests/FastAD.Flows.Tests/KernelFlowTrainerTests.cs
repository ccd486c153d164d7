using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>The training kernels against the managed forward/backward and FlowTrainer.</summary>
public class KernelFlowTrainerTests
{
    private static (double[] X, double[] C) Data(int rows, ulong stream)
    {
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 41, stream);
        Philox4x32.FillNormal(c, 41, stream + 1);
        for (int n = 0; n < rows; n++) x[3 * n + 2] += 0.5 * x[3 * n] * c[n];
        return (x, c);
    }

    [SkippableTheory]
    [InlineData("opencl", FlowPrecision.Double, 20)]
    [InlineData("opencl", FlowPrecision.Single, 20)]
    [InlineData("opencl", FlowPrecision.Double, 64)]
    [InlineData("cuda", FlowPrecision.Double, 128)]
    [InlineData("cuda", FlowPrecision.Single, 128)]
    public void OneStepGradientsAndLossEqualTheManagedBackward(string backend, FlowPrecision precision, int hidden)
    {
        var device = TestDevices.Get(backend);
        const int rows = 96;
        var flows = FlowsSelfTest.TrainedLikeFlows(2, hidden, 6, 21);
        var (x, c) = Data(rows, 0);
        using var trainer = new KernelFlowTrainer(device, flows, new FlowTrainingOptions(), precision);
        var losses = trainer.Step(x, c, rows);
        double tol = precision == FlowPrecision.Single ? 1e-5 : 1e-9;
        for (int f = 0; f < flows.Length; f++)
        {
            var expected = FlowAssert.ManagedGradients(flows[f], x, c, rows, out double loss);
            Assert.True(Math.Abs(losses[f] - loss) <= tol * Math.Max(1, Math.Abs(loss)), $"loss of flow {f}: {losses[f]} vs {loss}");
            FlowAssert.CloseToLargest(expected, trainer.LastGradients(f), tol, $"gradients of flow {f}");
        }
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void AnEpochOfKernelStepsEqualsFlowTrainer(string backend)
    {
        var device = TestDevices.Get(backend);
        const int batch = 64, rows = 2 * batch + 17;            // two full minibatches and a short one
        var options = new FlowTrainingOptions { Epochs = 1, BatchSize = batch, Seed = 5, ClipNorm = 0.5 };
        var managed = FlowsSelfTest.TrainedLikeFlows(1, 12, 3, 22)[0];
        var kernelFlow = FlowsSelfTest.TrainedLikeFlows(1, 12, 3, 22)[0];
        var (x, c) = Data(rows, 2);
        var (xv, cv) = Data(50, 4);
        var result = FlowTrainer.Train(managed, x, c, xv, cv, options);
        using var trainer = new KernelFlowTrainer(device, [kernelFlow], options);
        var loss = trainer.Epoch(x, c, rows, 0);
        Assert.Equal(3, trainer.StepsTaken);
        Assert.True(Math.Abs(loss[0] - result.TrainLoss[0]) <= 1e-9 * Math.Abs(result.TrainLoss[0]), $"epoch loss {loss[0]} vs {result.TrainLoss[0]}");
        var before = kernelFlow.Parameters().SelectMany(p => p.Value).ToArray();
        trainer.CopyToFlows();
        var after = kernelFlow.Parameters().SelectMany(p => p.Value).ToArray();
        FlowAssert.CloseToLargest(managed.Parameters().SelectMany(p => p.Value).ToArray(), after, 1e-9, "parameters after the epoch");
        Assert.NotEqual(before, after);
    }

    [SkippableTheory]
    [InlineData("opencl", false)]
    [InlineData("opencl", true)]
    [InlineData("cuda", false)]
    public void EnsembleTrainingEqualsFlowEnsembleTrain(string backend, bool decoupled)
    {
        var device = TestDevices.Get(backend);
        const int rows = 150;
        var options = new FlowTrainingOptions { Epochs = 3, BatchSize = 64, Seed = 3, WeightDecay = decoupled ? 0.05 : 1e-6, DecoupledWeightDecay = decoupled };
        var (x, c) = Data(rows, 30);
        var (xv, cv) = Data(60, 32);
        var (managed, expected) = FlowEnsemble.Train(2, i => FlowsSelfTest.TrainedLikeFlows(2, 12, 3, 24)[i], x, c, xv, cv, options);
        var flows = FlowsSelfTest.TrainedLikeFlows(2, 12, 3, 24);
        var results = KernelFlowTrainer.Train(device, flows, x, c, xv, cv, options, FlowPrecision.Double);
        for (int f = 0; f < 2; f++)
        {
            Assert.Equal(expected[f].BestEpoch, results[f].BestEpoch);
            FlowAssert.CloseToLargest(expected[f].TrainLoss, results[f].TrainLoss, 1e-9, $"training losses of flow {f}");
            FlowAssert.CloseToLargest(expected[f].ValidationLoss, results[f].ValidationLoss, 1e-9, $"validation losses of flow {f}");
            var m = (Spec13AffineMaf)managed.Members[f];
            FlowAssert.CloseToLargest(m.Parameters().SelectMany(p => p.Value).ToArray(), flows[f].Parameters().SelectMany(p => p.Value).ToArray(), 1e-9, $"parameters of flow {f}");
            FlowAssert.CloseToLargest(m.State().SelectMany(s => s).ToArray(), flows[f].State().SelectMany(s => s).ToArray(), 1e-9, $"running statistics of flow {f}");
        }
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void EnsembleMembersTrainIndependentlyInOneLaunch(string backend)
    {
        var device = TestDevices.Get(backend);
        const int rows = 80;
        var options = new FlowTrainingOptions { BatchSize = 32, Seed = 9 };
        var flows = FlowsSelfTest.TrainedLikeFlows(3, 10, 2, 23);
        var (xs, cs) = Data(3 * rows, 6);                        // one data set per member
        using var ensemble = new KernelFlowTrainer(device, flows, options, FlowPrecision.Single);
        var losses = ensemble.Epoch(xs, cs, rows, 0);
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0, $"loss {l}"));
        ensemble.CopyToFlows();
        for (int f = 0; f < flows.Length; f++)
        {
            var single = FlowsSelfTest.TrainedLikeFlows(3, 10, 2, 23)[f];
            using var alone = new KernelFlowTrainer(device, [single], options with { Seed = options.Seed + (ulong)f }, FlowPrecision.Single);
            var loss = alone.Epoch(xs.AsSpan(f * rows * 3, rows * 3), cs.AsSpan(f * rows, rows), rows, 0);
            Assert.Equal(loss[0], losses[f]);
            alone.CopyToFlows();
            Assert.Equal(single.Parameters().SelectMany(p => p.Value), flows[f].Parameters().SelectMany(p => p.Value));
        }
        Assert.NotEqual(flows[0].Parameters().SelectMany(p => p.Value), FlowsSelfTest.TrainedLikeFlows(3, 10, 2, 23)[0].Parameters().SelectMany(p => p.Value));
    }
}
