using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

/// <summary>
/// The MLP kernels (Sources/mlp.cl) against the managed reference: one step's gradients against
/// <see cref="MlpClassifier.Backward"/>, epochs against <see cref="MlpTrainer.Train"/>, many networks in one launch
/// against one launch each, the evaluation kernel against <see cref="MlpClassifier.Forward"/>. Tolerances are relative
/// to the largest magnitude of what is compared: double 1e-9 after three epochs (sums in another order only), single
/// precision 1e-3 for parameters.
/// </summary>
public class KernelMlpTests(ITestOutputHelper output)
{
    private static readonly int[] Hidden = [12, 10, 7];

    // Two classes in 3-D, shifted and correlated differently; labels 1 (first n) and 0 (last n).
    private static MlpTrainingSet Set(int n, ulong stream, bool weighted)
    {
        var x = new double[2 * n * 3];
        Philox4x32.FillNormal(x, 77, stream);
        var y = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            y[i] = 1;
            x[3 * i] += 0.8;
            x[3 * i + 2] += 0.5 * x[3 * i + 1];
        }
        var w = weighted ? Enumerable.Range(0, 2 * n).Select(i => i < n ? 1.7 : 0.6).ToArray() : null;
        return new MlpTrainingSet(x, y, w);
    }

    private static double[] Parameters(MlpClassifier net) => MlpKernels.Pack([net]);

    private double Worst(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        output.WriteLine($"{what}: max error {worst:E2} of the largest magnitude {scale:E2}");
        Assert.True(worst <= tolerance, $"{what}: max error {worst:E2} of the largest magnitude {scale:E2} > {tolerance:E0}");
        return worst;
    }

    [SkippableTheory]
    [InlineData("opencl", ClassifierLoss.Bce, true, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Mlc, false, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Bce, true, FlowPrecision.Single)]
    [InlineData("cuda", ClassifierLoss.Bce, true, FlowPrecision.Double)]
    [InlineData("cuda", ClassifierLoss.Mlc, false, FlowPrecision.Single)]
    public void OneStepGradientsEqualTheManagedBackward(string backend, ClassifierLoss loss, bool weighted, FlowPrecision precision)
    {
        var device = TestDevices.Get(backend);
        var set = Set(45, 1, weighted);
        int n = set.Y.Length;
        var net = new MlpClassifier(3, Hidden, loss, 5);
        var reference = new MlpClassifier(3, Hidden, loss, 5);
        var pass = reference.NewPass(n);
        var f = new double[n];
        reference.Forward(set.X, f, pass);
        reference.ZeroGrad();
        reference.Backward(set.X, f, set.Y, set.W ?? [], pass);
        var expected = reference.Layers.SelectMany(l => l.WeightGrad.Concat(l.BiasGrad)).ToArray();
        // One minibatch of all rows: the shuffled order changes only the order of the sums.
        using var trainer = new KernelMlpTrainer(device, [net], [set], [0], [new MlpTrainingOptions { Epochs = 1, BatchSize = n, Seed = 3 }], precision);
        var lossOfEpoch = trainer.Epoch();
        Worst(expected, trainer.LastGradients(0), precision == FlowPrecision.Single ? 1e-5 : 1e-12, $"{backend} {loss} {precision}: gradients");
        double managedLoss = reference.BatchLoss(f, set.Y, set.W ?? []);
        Assert.True(Math.Abs(lossOfEpoch[0] - managedLoss) <= (precision == FlowPrecision.Single ? 1e-6 : 1e-13) * Math.Abs(managedLoss), $"loss {lossOfEpoch[0]} vs {managedLoss}");
    }

    [SkippableTheory]
    [InlineData("opencl", ClassifierLoss.Bce, true, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Bce, false, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Mlc, false, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Mlc, false, FlowPrecision.Single)]
    [InlineData("cuda", ClassifierLoss.Bce, true, FlowPrecision.Double)]
    [InlineData("cuda", ClassifierLoss.Mlc, false, FlowPrecision.Double)]
    public void EpochsEqualMlpTrainer(string backend, ClassifierLoss loss, bool weighted, FlowPrecision precision)
    {
        var device = TestDevices.Get(backend);
        var set = Set(75, 2, weighted);                           // 150 rows: four minibatches of 32 and one of 22
        var options = new MlpTrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 3e-3, Seed = 8 };
        var reference = new MlpClassifier(3, Hidden, loss, 6);
        var history = MlpTrainer.Train(reference, set.X, set.Y, set.W, options);
        var net = new MlpClassifier(3, Hidden, loss, 6);
        using var trainer = new KernelMlpTrainer(device, [net], [set], [0], [options], precision);
        var kernelHistory = trainer.Train();
        Assert.Equal(3, trainer.EpochsDone);
        double tol = precision == FlowPrecision.Single ? 1e-3 : 1e-9;
        Worst(history, kernelHistory[0], precision == FlowPrecision.Single ? 1e-5 : 1e-9, $"{backend} {loss} w={weighted} {precision}: epoch losses");
        Worst(Parameters(reference), Parameters(net), tol, $"{backend} {loss} w={weighted} {precision}: parameters after 3 epochs");
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void ManyNetworksInOneLaunchEqualOneLaunchEach(string backend)
    {
        var device = TestDevices.Get(backend);
        // Two sets of different sizes (one smaller than the batch), three networks on the first, one on the second.
        MlpTrainingSet[] sets = [Set(40, 3, true), Set(9, 4, true)];
        int[] setOf = [0, 1, 0, 0];
        var options = setOf.Select((_, k) => new MlpTrainingOptions { Epochs = 2, BatchSize = 32, Seed = 20 + (ulong)k }).ToArray();
        MlpClassifier[] Nets() => setOf.Select((_, k) => new MlpClassifier(3, Hidden, ClassifierLoss.Bce, 30 + (ulong)k)).ToArray();
        var together = Nets();
        double[][] historyTogether;
        using (var trainer = new KernelMlpTrainer(device, together, sets, setOf, options)) historyTogether = trainer.Train();
        var alone = Nets();
        for (int k = 0; k < alone.Length; k++)
        {
            using var trainer = new KernelMlpTrainer(device, [alone[k]], [sets[setOf[k]]], [0], [options[k]]);
            Assert.Equal(trainer.Train()[0], historyTogether[k]);
            Assert.Equal(Parameters(alone[k]), Parameters(together[k]));
        }
        Assert.NotEqual(Parameters(together[0]), Parameters(together[2]));   // other seeds, other networks
    }

    [SkippableTheory]
    [InlineData("opencl", ClassifierLoss.Bce, FlowPrecision.Double)]
    [InlineData("opencl", ClassifierLoss.Mlc, FlowPrecision.Single)]
    [InlineData("cuda", ClassifierLoss.Mlc, FlowPrecision.Double)]
    public void TheEvaluationKernelEqualsTheManagedForward(string backend, ClassifierLoss loss, FlowPrecision precision)
    {
        var device = TestDevices.Get(backend);
        double[][] inputs = [Set(30, 5, false).X, Set(17, 6, false).X];
        int[] setOf = [1, 0, 1];
        var nets = setOf.Select((_, k) => new MlpClassifier(3, Hidden, loss, 40 + (ulong)k)).ToArray();
        foreach (var net in nets)   // trained-like: nonzero biases
            foreach (var l in net.Layers)
                for (int i = 0; i < l.Bias.Length; i++) l.Bias[i] = 0.1 * Math.Sin(i + 1);
        using var evaluator = new KernelMlpEvaluator(device, nets, precision);
        var f = evaluator.Outputs(inputs, setOf);
        for (int k = 0; k < nets.Length; k++)
        {
            int n = inputs[setOf[k]].Length / 3;
            var expected = new double[n];
            nets[k].Forward(inputs[setOf[k]], expected, nets[k].NewPass(n));
            Worst(expected, f[k], precision == FlowPrecision.Single ? 1e-5 : 1e-12, $"{backend} {precision}: outputs of network {k}");
        }
    }
}
