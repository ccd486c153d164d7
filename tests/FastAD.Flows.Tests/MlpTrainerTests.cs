using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

public class MlpTrainerTests
{
    // data ~ N(μ_d, 1), simulation ~ N(0, 1) in 2-D (second column pure noise at a large offset and scale, which the
    // standardisation must absorb): ln(p_data/p_sim) = μ_d x₀ − μ_d²/2.
    private static (double[] X, double[] Y) Sample(int n, double shift, ulong seed)
    {
        var z = new double[4 * n];
        Philox4x32.FillNormal(z, seed, 0);
        var x = new double[4 * n];
        var y = new double[2 * n];
        for (int i = 0; i < 2 * n; i++)
        {
            bool data = i < n;
            x[2 * i] = z[2 * i] + (data ? shift : 0);
            x[2 * i + 1] = 1000 + 50 * z[2 * i + 1];
            y[i] = data ? 1 : 0;
        }
        return (x, y);
    }

    [Fact]
    public void MlcEnsembleLearnsTheLogLikelihoodRatioFromStandardisedInputs()
    {
        var (x, y) = Sample(3000, 0.6, 11);
        var ens = MlpEnsemble.Train(x, y, null, 2, [16, 16], ClassifierLoss.Mlc, 3,
            new MlpTrainingOptions { Epochs = 30, BatchSize = 128, LearningRate = 3e-3, Seed = 5 }, seed: 9, parallelism: 2);
        var probe = new double[] { -1, 1000, 0, 1000, 1, 1000 };
        var f = ens.Outputs(probe);
        for (int i = 0; i < 3; i++)
        {
            double truth = 0.6 * probe[2 * i] - 0.18;
            Assert.InRange(f[i], truth - 0.2, truth + 0.2);
        }
    }

    [Fact]
    public void BceEnsembleSeparatesAndLossFallsBelowLn2()
    {
        var (x, y) = Sample(2000, 1.5, 12);
        var opts = new MlpTrainingOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-3, Seed = 1 };
        var net = new MlpClassifier(2, [8], ClassifierLoss.Bce, 3);
        var (mean, std) = MlpEnsemble.Standardization(x, 2);
        var z = new MlpEnsemble([net], mean, std).Standardize(x);
        var history = MlpTrainer.Train(net, z, y, null, opts);
        Assert.True(history[^1] < history[0], $"loss {history[0]} -> {history[^1]}");
        Assert.True(history[^1] < Math.Log(2) - 0.1, $"final loss {history[^1]}");
    }

    [Fact]
    public void ParallelTrainingGivesTheSameEnsembleAsSequential()
    {
        var (x, y) = Sample(500, 1, 13);
        var o = new MlpTrainingOptions { Epochs = 3, BatchSize = 50, Seed = 2 };
        var a = MlpEnsemble.Train(x, y, null, 2, [8, 8], ClassifierLoss.Bce, 4, o, seed: 4, parallelism: 1);
        var b = MlpEnsemble.Train(x, y, null, 2, [8, 8], ClassifierLoss.Bce, 4, o, seed: 4, parallelism: 4);
        Assert.Equal(a.Outputs(x), b.Outputs(x));
        // Different member seeds give different networks.
        var c = MlpEnsemble.Train(x, y, null, 2, [8, 8], ClassifierLoss.Bce, 4, o, seed: 5, parallelism: 4);
        Assert.NotEqual(a.Outputs(x), c.Outputs(x));
    }

    [Fact]
    public void ClassWeightsShiftTheBceOptimum()
    {
        // Identical classes: the BCE optimum is the weighted label mean, so weight 3 on data gives sigmoid(f) → 3/4.
        var (x, _) = Sample(1000, 0, 14);
        var y = Enumerable.Range(0, 2000).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
        var w = y.Select(v => v == 1 ? 3.0 : 1.0).ToArray();
        var ens = MlpEnsemble.Train(x, y, w, 2, [4], ClassifierLoss.Bce, 1, new MlpTrainingOptions { Epochs = 20, BatchSize = 100, LearningRate = 1e-2, Seed = 3 }, seed: 6);
        double mean = ens.Outputs(x).Average(ens.Score);
        Assert.InRange(mean, 0.7, 0.8);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var net = new MlpClassifier(2, [4], ClassifierLoss.Bce, 1);
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(net, new double[5], new double[3], null, new MlpTrainingOptions()));
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(net, new double[6], new double[3], new double[2], new MlpTrainingOptions()));
        Assert.Throws<ArgumentException>(() => MlpTrainer.Train(net, [], [], null, new MlpTrainingOptions()));
    }
}
