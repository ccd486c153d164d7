using System.Text.Json;
using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

public class FlowEnsembleTests
{
    private static (double[] X, double[] C) Data(int rows, ulong seed)
    {
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, seed, 0);
        Philox4x32.FillUniform(c, seed, 1);
        return (x, c);
    }

    private static NflowsMaf Rqs(int member) =>
        new(3, 1, 8, 2, AutoregressiveTransform.RationalQuadratic, bins: 4, tailBound: 3, permutation: FlowPermutation.Random, seed: 10 + (ulong)member);

    [Fact]
    public void MembersTrainConcurrentlyLikeAloneAndSamplesPool()
    {
        var (xt, ct) = Data(300, 1);
        var (xv, cv) = Data(100, 2);
        var options = new FlowTrainingOptions { Epochs = 2, BatchSize = 64, LearningRate = 1e-2, Seed = 5 };
        var (ensemble, results) = FlowEnsemble.Train(3, Rqs, xt, ct, xv, cv, options, maxParallel: 3);
        Assert.Equal(3, ensemble.Members.Count);
        // Concurrency changes nothing: member 1 equals the same flow trained alone with seed + 1.
        var alone = Rqs(1);
        FlowTrainer.Train(alone, xt, ct, xv, cv, options with { Seed = 6 });
        Assert.Equal(alone.Parameters().SelectMany(p => p.Value), ensemble.Members[1].Parameters().SelectMany(p => p.Value));
        Assert.All(results, r => Assert.Equal(2, r.ValidationLoss.Length));

        // The recorded condition range is the training data's, and counts rows outside it.
        Assert.Equal(ct.Min(), ensemble.ConditionRange!.Min[0]);
        Assert.Equal(ct.Max(), ensemble.ConditionRange.Max[0]);
        Assert.Equal(3, ensemble.ConditionRange.CountOutside([0.5, -0.1, 1.5, double.NaN, 0.2], 5));

        // Mean log-prob is the average of the members'.
        var mean = new double[100];
        ensemble.MeanLogProb(xv, cv, mean, 100);
        var each = ensemble.Members.Select(m =>
        {
            var lp = new double[100];
            m.LogProb(xv, cv, lp, false, m.NewFlowPass(100));
            return lp;
        }).ToArray();
        for (int n = 0; n < 100; n++) Assert.Equal((each[0][n] + each[1][n] + each[2][n]) / 3, mean[n], 12);

        // Pooled samples: member m's block is that member's sample from stream m.
        var pooled = ensemble.Sample(cv, 100, seed: 9);
        Assert.Equal(3 * 100 * 3, pooled.Length);
        var noise = new double[300];
        Philox4x32.FillNormal(noise, 9, 2);
        var own = new double[300];
        ensemble.Members[2].Sample(noise, cv, own, ensemble.Members[2].NewFlowPass(100));
        Assert.Equal(own, pooled[600..]);
        Assert.NotEqual(pooled[..300], pooled[300..600]);
    }

    [Fact]
    public void ChunkedEvaluationEqualsOnePass()
    {
        const int rows = 50;
        var (x, c) = Data(rows, 7);
        foreach (IConditionalFlow flow in new IConditionalFlow[] { Rqs(0), new Spec13AffineMaf(3, 1, 6, 2, seed: 1) })
        {
            var pass = flow.NewFlowPass(rows);
            var lp = new double[rows];
            var z = new double[rows * 3];
            var ld = new double[rows];
            var back = new double[rows * 3];
            flow.LogProb(x, c, lp, false, pass);
            flow.Latent(x, c, z, ld, pass);
            flow.Sample(z, c, back, pass);
            var lp2 = new double[rows];
            var z2 = new double[rows * 3];
            var ld2 = new double[rows];
            var back2 = new double[rows * 3];
            flow.LogProbInChunks(x, c, lp2, rows, chunk: 8);
            flow.LatentInChunks(x, c, z2, ld2, rows, chunk: 7);
            flow.SampleInChunks(z, c, back2, rows, chunk: 16);
            Assert.Equal(lp, lp2);
            Assert.Equal(z, z2);
            Assert.Equal(ld, ld2);
            Assert.Equal(back, back2);
            var lp3 = new double[rows];
            var z3 = new double[rows * 3];
            flow.EvaluateLogProb(x, c, lp3, z3);
            for (int n = 0; n < rows; n++) Assert.Equal(lp[n], lp3[n], 10);
            for (int i = 0; i < z.Length; i++) Assert.Equal(z[i], z3[i], 10);
        }
    }

    [Fact]
    public void AdamWDecaysWeightsInsteadOfAddingToTheGradient()
    {
        // One full-batch step from the same start: Adam's first step moves each weight by lr·g/(|g| + ε), so
        // AdamW gives (1 − lr·λ)w − lr·g/(|g| + ε) and coupled decay the same step for g + λw without the shrink.
        var (x, c) = Data(64, 3);
        const double lr = 1e-2, lambda = 0.5;
        var start = Rqs(0);
        var pass = start.NewPass(64);
        start.LogProb(x, c, new double[64], true, pass);
        start.ZeroGrad();
        start.Backward(c, pass);
        var w0 = start.Parameters().SelectMany(p => p.Value).ToArray();
        var g0 = start.Parameters().SelectMany(p => p.Grad).ToArray();
        foreach (bool decoupled in new[] { true, false })
        {
            var flow = Rqs(0);
            FlowTrainer.Train(flow, x, c, x, c, new FlowTrainingOptions
            {
                Epochs = 1, BatchSize = 64, LearningRate = lr, WeightDecay = lambda, DecoupledWeightDecay = decoupled, ClipNorm = 0,
            });
            var w1 = flow.Parameters().SelectMany(p => p.Value).ToArray();
            int checkedCount = 0;
            for (int i = 0; i < w0.Length; i++)
            {
                double g = decoupled ? g0[i] : g0[i] + lambda * w0[i];
                if (Math.Abs(g) < 1e-6) continue;
                double expected = (decoupled ? (1 - lr * lambda) * w0[i] : w0[i]) - lr * g / (Math.Abs(g) + 1e-8);   // m̂/(√v̂ + ε), ε = 1e-8
                Assert.True(Math.Abs(w1[i] - expected) < 1e-12, $"{(decoupled ? "AdamW" : "Adam")} weight {i}: {w1[i]:R}, expected {expected:R}");
                checkedCount++;
            }
            Assert.True(checkedCount > 100);
        }
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestEpoch()
    {
        // 40 training rows and a high rate overfit quickly: training stops `patience` epochs after the best
        // validation loss and the flow is left at that epoch's parameters.
        var (xt, ct) = Data(40, 4);
        var (xv, cv) = Data(400, 5);
        var flow = new NflowsMaf(3, 1, 32, 3, AutoregressiveTransform.RationalQuadratic, bins: 8, tailBound: 3, seed: 2);
        var result = FlowTrainer.Train(flow, xt, ct, xv, cv, new FlowTrainingOptions { Epochs = 300, BatchSize = 40, LearningRate = 2e-2, Patience = 5, Seed = 1 });
        Assert.True(result.ValidationLoss.Length < 300, "no early stop");
        Assert.Equal(result.BestEpoch + 5 + 1, result.ValidationLoss.Length);
        Assert.Equal(result.ValidationLoss.Min(), result.ValidationLoss[result.BestEpoch]);
        Assert.Equal(result.ValidationLoss[result.BestEpoch], FlowTrainer.ValidationLoss(flow, xv, cv, 400), 12);
    }

    [Fact]
    public void TrainingRejectsBadInput()
    {
        var (x, c) = Data(50, 6);
        var flow = Rqs(0);
        var o = new FlowTrainingOptions { Epochs = 1 };
        var e = Assert.Throws<ArgumentException>(() => FlowTrainer.Train(flow, x, c, [], [], o));
        Assert.Contains("validation set is empty", e.Message);
        x[7] = double.PositiveInfinity;
        e = Assert.Throws<ArgumentException>(() => FlowTrainer.Train(flow, x, c, x, c, o));
        Assert.Contains("row 3, column 2", e.Message);
    }
}

public class FlowFileV2Tests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.json");

    [Fact]
    public void EnsemblesOfEveryKindRoundTrip()
    {
        var x = new double[60];
        var c = new double[20];
        Philox4x32.FillNormal(x, 3, 1);
        Philox4x32.FillNormal(c, 3, 2);
        var maf = new Spec13AffineMaf(3, 1, 6, 2, seed: 1);
        maf.UpdateRunningStatistics(x, c, 20);
        IConditionalFlow[] members =
        [
            maf,
            new NflowsMaf(3, 1, 6, 3, AutoregressiveTransform.RationalQuadratic, bins: 5, tailBound: 2.5, hiddenLayers: 1, FlowPermutation.Random, seed: 2),
            new NflowsMaf(3, 1, 6, 2, AutoregressiveTransform.AffineNflows, permutation: FlowPermutation.Random, seed: 3),
            new NflowsMaf(3, 1, 6, 2, AutoregressiveTransform.RationalQuadratic, seed: 4, residual: true),
        ];
        var ensemble = new FlowEnsemble(members, ConditionRange.Of(c, 1));
        string path = TempFile();
        var standardization = new Standardization([1, 2, 3], [4, 5, 6], [7], [8]);
        FlowFile.Save(path, ensemble, standardization);
        var (loaded, s) = FlowFile.LoadEnsemble(path);
        File.Delete(path);
        Assert.Equal(standardization.FeatureStd, s!.FeatureStd);
        Assert.Equal(ensemble.ConditionRange!.Max, loaded.ConditionRange!.Max);
        Assert.Equal(new[] { FlowFile.AffineSpec13, FlowFile.Rqs, FlowFile.AffineNflows, FlowFile.Rqs }, loaded.Members.Select(FlowFile.KindOf));
        Assert.True(((NflowsMaf)loaded.Members[3]).Blocks[0].IsResidual);
        Assert.Equal(((NflowsMaf)members[1]).Permutations, ((NflowsMaf)loaded.Members[1]).Permutations);
        for (int m = 0; m < members.Length; m++)
        {
            var a = new double[20];
            var b = new double[20];
            members[m].LogProb(x, c, a, false, members[m].NewFlowPass(20));
            loaded.Members[m].LogProb(x, c, b, false, loaded.Members[m].NewFlowPass(20));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void VersionOneFilesAreReportedAsWrittenByAnOlderFastAD()
    {
        var flow = new Spec13AffineMaf(3, 1, 6, 2, seed: 4);
        var x = new double[30];
        var c = new double[10];
        Philox4x32.FillNormal(x, 4, 1);
        Philox4x32.FillNormal(c, 4, 2);
        flow.UpdateRunningStatistics(x, c, 10);
        // A version 1 file as FastAD wrote it before version 2.
        var v1 = new
        {
            format = "fastad-flow", version = 1, kind = "maf-affine", features = 3, conditions = 1, hidden = 6, blocks = 2,
            parameters = flow.Parameters().Select(p => p.Value).ToArray(),
            runningMean = flow.Norm.Select(n => n.RunningMean).ToArray(), runningVariance = flow.Norm.Select(n => n.RunningVariance).ToArray(),
        };
        string path = TempFile();
        File.WriteAllText(path, JsonSerializer.Serialize(v1));
        // Version 1 has no identity or checksum: it is recognised only to say so (issue 14, item 5).
        var e = Assert.Throws<FastAD.Kernels.IO.ModelMismatchException>(() => FlowFile.Load(path));
        File.Delete(path);
        Assert.Contains($"{path} was written by an older FastAD (flow format version 1, without identity or checksum)", e.Message);
    }

    [Fact]
    public void WrongFilesAreNamedWithTheSupportedVersions()
    {
        string path = TempFile();
        File.WriteAllText(path, "{\"format\":\"fastad-flow\",\"version\":9}");
        var e = Assert.Throws<InvalidDataException>(() => FlowFile.LoadEnsemble(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("version 9", e.Message);
        Assert.Contains("reads version 3", e.Message);
        File.WriteAllText(path, "{\"format\":\"fastad-model\",\"version\":1}");
        e = Assert.Throws<InvalidDataException>(() => FlowFile.LoadEnsemble(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("expected format 'fastad-flow', version 3", e.Message);
        File.WriteAllText(path, "not json");
        e = Assert.Throws<InvalidDataException>(() => FlowFile.LoadEnsemble(path));
        Assert.Contains("not a FastAD flow file", e.Message);
        File.WriteAllText(path, "{\"format\":\"fastad-flow\",\"version\":3,\"members\":[{\"kind\":\"glow\",\"features\":3,\"conditions\":1,\"hidden\":4,\"blocks\":1,\"parameters\":[],\"state\":[]}]}");
        e = Assert.Throws<InvalidDataException>(() => FlowFile.LoadEnsemble(path));
        Assert.Contains("'glow'", e.Message);
        File.Delete(path);
        Assert.Throws<FileNotFoundException>(() => FlowFile.LoadEnsemble(path));
    }
}
