using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>
/// The flow-training seam (<see cref="FlowTraining"/>) on every backend: it picks the kernel path for affine MAFs on
/// OpenCL/CUDA and the managed reference elsewhere, says so, and trains to the reference's results either way.
/// </summary>
public class FlowTrainingSeamTests
{
    private static (double[] X, double[] C) Data(int rows, ulong stream)
    {
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 43, stream);
        Philox4x32.FillNormal(c, 43, stream + 1);
        for (int n = 0; n < rows; n++) x[3 * n + 1] += 0.7 * x[3 * n] * c[n];
        return (x, c);
    }

    private static double Worst(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        return worst;
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void AnAffineEnsembleTrainsToTheReferenceOnEveryBackend(string backend)
    {
        var device = TestDevices.Get(backend);
        var (x, c) = Data(140, 50);
        var (xv, cv) = Data(50, 52);
        // Seeds that are not consecutive (members of an ensemble some of whose members were reused), and the default
        // options (float products only from width 32, so all double here): the kernels, in double, must give the
        // reference's numbers to rounding.
        FlowTrainingOptions[] options =
        [
            new() { Epochs = 3, BatchSize = 32, Seed = 11 },
            new() { Epochs = 3, BatchSize = 32, Seed = 17 },
        ];
        var reference = FlowsSelfTest.TrainedLikeFlows(2, 12, 2, 5);
        var expected = Enumerable.Range(0, 2).Select(k => FlowTrainer.Train(reference[k], x, c, xv, cv, options[k])).ToArray();

        var flows = FlowsSelfTest.TrainedLikeFlows(2, 12, 2, 5);
        string path = FlowTraining.PathOn(device, flows, options);
        Assert.Contains(device.SupportsKernels ? $"in one launch per epoch on {device.Id}" : "on the managed CPU path", path);
        var trained = new System.Collections.Concurrent.ConcurrentBag<int>();
        var results = FlowTraining.Train(device, flows, x, c, xv, cv, options, trained: trained.Add);
        Assert.Equal([0, 1], trained.Order());
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(expected[k].BestEpoch, results[k].BestEpoch);
            Assert.True(Worst(expected[k].ValidationLoss, results[k].ValidationLoss) <= 1e-9, $"{backend}: validation losses of member {k}");
            Assert.True(Worst(reference[k].Parameters().SelectMany(p => p.Value).ToArray(), flows[k].Parameters().SelectMany(p => p.Value).ToArray()) <= 1e-9,
                $"{backend}: parameters of member {k}");
        }
    }

    [Fact]
    public void MembersSideBySideTrainBitForBitAsAlone()
    {
        // As many members as cores: each member's loops stay on its thread (FlowParallelism), while a flow trained alone
        // splits its large products (256 x 64 x 64 ≥ SmallGemm.ParallelThreshold) and its whole-set passes over the cores.
        // Every row is computed the same way either way: the same bits.
        int members = Math.Max(2, Environment.ProcessorCount);
        var (x, c) = Data(700, 60);
        var (xv, cv) = Data(600, 62);
        var options = Enumerable.Range(0, members).Select(k => new FlowTrainingOptions { Epochs = 2, BatchSize = 256, Seed = 3 + (ulong)k, SinglePrecisionProducts = false }).ToArray();
        IConditionalFlow[] Make() => Enumerable.Range(0, members).Select(k => (IConditionalFlow)new Spec13AffineMaf(3, 1, 64, 2, seed: 20 + (ulong)k)).ToArray();
        var alone = Make();
        var expected = alone.Select((f, k) => FlowTrainer.Train(f, x, c, xv, cv, options[k])).ToArray();
        var together = Make();
        var results = FlowTraining.Train(FastAD.Kernels.Cpu.CpuDevice.Instance, together, x, c, xv, cv, options);
        for (int k = 0; k < members; k++)
        {
            Assert.Equal(expected[k].ValidationLoss, results[k].ValidationLoss);
            Assert.Equal(alone[k].Parameters().SelectMany(p => p.Value), together[k].Parameters().SelectMany(p => p.Value));
            Assert.Equal(alone[k].State().SelectMany(v => v), together[k].State().SelectMany(v => v));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void FlowsWithoutKernelsTrainOnTheReferenceAndSayWhy(string backend)
    {
        var device = TestDevices.Get(backend);
        // nflows' residual MADE has no kernels (the plain RQS MAF does: RqsKernelTests).
        IConditionalFlow[] rqs = [new NflowsMaf(3, 1, 8, 2, AutoregressiveTransform.RationalQuadratic, bins: 4, tailBound: 3, seed: 2, residual: true)];
        var options = new[] { new FlowTrainingOptions { Epochs = 1, BatchSize = 32, Seed = 1 } };
        string path = FlowTraining.PathOn(device, rqs, options);
        Assert.Contains("on the managed CPU path", path);
        Assert.Contains(device.SupportsKernels ? "residual MADEs have no kernels" : "runs no kernels", path);
        var (x, c) = Data(64, 60);
        var r = FlowTraining.Train(device, rqs, x, c, x, c, options);
        Assert.True(double.IsFinite(r[0].ValidationLoss[0]));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void CancellationStopsTrainingAfterAnEpoch(string backend)
    {
        var device = TestDevices.Get(backend);
        var flows = FlowsSelfTest.TrainedLikeFlows(2, 12, 2, 7);
        var options = Enumerable.Range(0, 2).Select(k => new FlowTrainingOptions { Epochs = 50, BatchSize = 32, Seed = (ulong)k }).ToArray();
        var (x, c) = Data(100, 70);
        using var cancel = new CancellationTokenSource();
        int epochs = 0;
        var progress = new CallbackProgress<(int Member, int Epoch, double Train, double Validation)>(_ => { if (Interlocked.Increment(ref epochs) == 1) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => FlowTraining.Train(device, flows, x, c, x, c, options, progress, cancel: cancel.Token));
        // The first report cancels; at most the other member's report of the same epoch (and one in flight) can follow.
        Assert.True(epochs <= 2 * flows.Length, $"{epochs} epoch reports after cancelling");
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void NonFiniteInputsAreRefusedOnEveryPath(string backend)
    {
        var device = TestDevices.Get(backend);
        var flows = FlowsSelfTest.TrainedLikeFlows(1, 12, 2, 9);
        var options = new[] { new FlowTrainingOptions { Epochs = 1, BatchSize = 32 } };
        var (x, c) = Data(64, 80);
        x[7] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => FlowTraining.Train(device, flows, x, c, x, c, options));
        Assert.Contains("training features hold NaN at row 3, column 2", e.Message);
    }

    private sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
