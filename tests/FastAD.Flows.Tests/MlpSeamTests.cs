using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Flows.Tests;

/// <summary>
/// The MLP seams (<see cref="MlpEnsemble.Train(FastAD.Kernels.ComputeDevice, IReadOnlyList{MlpEnsembleRequest}, int, IReadOnlyList{int}, ClassifierLoss, int, int, Action?, CancellationToken)"/>
/// and <see cref="MlpEnsemble.Outputs(FastAD.Kernels.ComputeDevice, IReadOnlyList{MlpEnsemble}, IReadOnlyList{double[]})"/>) on
/// every backend: the kernel path on OpenCL/CUDA, the managed reference on the CPU, said by <see cref="MlpTrainer.PathOn"/>,
/// and the reference's ensembles either way (bit for bit on the CPU, 1e-9 of the largest output in double on kernels).
/// </summary>
public class MlpSeamTests(ITestOutputHelper output)
{
    // Raw (unstandardised) inputs in 2-D: data shifted in the first column, a large offset and scale in the second.
    private static (double[] X, double[] Y, double[] W) Sample(int n, ulong stream)
    {
        var x = new double[4 * n];
        Philox4x32.FillNormal(x, 91, stream);
        var y = new double[2 * n];
        for (int i = 0; i < 2 * n; i++)
        {
            if (i < n) { y[i] = 1; x[2 * i] += 0.7; }
            x[2 * i + 1] = 500 + 30 * x[2 * i + 1];
        }
        return (x, y, y.Select(v => v == 1 ? 1.5 : 0.75).ToArray());
    }

    public static TheoryData<string, ClassifierLoss> Cases()
    {
        var data = new TheoryData<string, ClassifierLoss>();
        foreach (var b in TestDevices.BackendNames)
            foreach (var l in new[] { ClassifierLoss.Bce, ClassifierLoss.Mlc }) data.Add(b, l);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void EnsemblesTrainAndEvaluateToTheReferenceOnEveryBackend(string backend, ClassifierLoss loss)
    {
        var device = TestDevices.Get(backend);
        int[] hidden = [9, 6, 5];
        const int members = 3;
        var (x0, y0, w0) = Sample(70, 1);   // 140 rows, batch 32: four full minibatches and one of 12
        var (x1, y1, w1) = Sample(20, 3);   // 40 rows
        MlpEnsembleRequest[] requests =
        [
            new(x0, y0, loss == ClassifierLoss.Bce ? w0 : null, new MlpTrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 2e-3, Seed = 11 }, 100),
            new(x1, y1, loss == ClassifierLoss.Bce ? w1 : null, new MlpTrainingOptions { Epochs = 3, BatchSize = 32, LearningRate = 2e-3, Seed = 19 }, 200),
        ];
        var reference = requests.Select(r => MlpEnsemble.Train(r.X, r.Y, r.W, 2, hidden, loss, members, r.Options, r.Seed)).ToArray();

        string path = MlpTrainer.PathOn(device, hidden);
        Assert.Equal(device.SupportsKernels, MlpTrainer.RunsKernels(device, hidden));
        Assert.Contains(device.SupportsKernels ? $"in one launch per epoch on {device.Id}" : "on the managed CPU path (cpu runs no kernels)", path);
        int done = 0;
        var trained = MlpEnsemble.Train(device, requests, 2, hidden, loss, members, parallelism: 2, memberDone: () => Interlocked.Increment(ref done));
        Assert.Equal(2 * members, done);

        var (probe, _, _) = Sample(25, 5);
        double[][] inputs = [probe, x1];
        var outputs = MlpEnsemble.Outputs(device, trained, inputs);
        for (int j = 0; j < 2; j++)
        {
            var expected = reference[j].Outputs(inputs[j]);
            if (!device.SupportsKernels)
            {
                Assert.Equal(expected, outputs[j]);
                continue;
            }
            double scale = expected.Max(Math.Abs), worst = expected.Zip(outputs[j], (e, a) => Math.Abs(e - a)).Max() / scale;
            output.WriteLine($"{backend} {loss}: ensemble {j} outputs, max error {worst:E2} of the largest {scale:E2}");
            Assert.True(worst <= 1e-9, $"ensemble {j}: max error {worst:E2} of the largest output {scale:E2}");
            // The managed evaluation of the kernel-trained members: the training alone agrees too.
            Assert.True(trained[j].Outputs(inputs[j]).Zip(expected, (a, e) => Math.Abs(a - e)).Max() <= 1e-9 * scale, $"ensemble {j}: trained members");
        }
    }

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void LayersWiderThanTheKernelsTakeStayManagedAndSaySo(string backend)
    {
        var device = TestDevices.Get(backend);
        int[] hidden = [MlpTrainer.KernelMaxWidth + 1];
        Assert.False(MlpTrainer.RunsKernels(device, hidden));
        Assert.Equal($"on the managed CPU path (the kernels take layers of at most {MlpTrainer.KernelMaxWidth} units)", MlpTrainer.PathOn(device, hidden));
        var (x, y, _) = Sample(20, 7);
        var o = new MlpTrainingOptions { Epochs = 1, BatchSize = 16, Seed = 2 };
        var reference = MlpEnsemble.Train(x, y, null, 2, hidden, ClassifierLoss.Mlc, 2, o, 4);
        var trained = MlpEnsemble.Train(device, [new MlpEnsembleRequest(x, y, null, o, 4)], 2, hidden, ClassifierLoss.Mlc, 2);
        Assert.Equal(reference.Outputs(x), MlpEnsemble.Outputs(device, trained, [x])[0]);   // the managed path, bit for bit
    }

    [Fact]
    public void TheCpuPathSaysWhyItIsManaged()
    {
        var cpu = FastAD.Kernels.Cpu.CpuDevice.Instance;
        Assert.False(MlpTrainer.RunsKernels(cpu));
        Assert.Equal("on the managed CPU path (cpu runs no kernels)", MlpTrainer.PathOn(cpu, [50, 50, 50]));
    }
}
