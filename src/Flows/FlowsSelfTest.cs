using System.Diagnostics;
using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Diagnostics;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>The Flows rows of <c>fastad selftest</c>: the flow kernels against the managed flows.</summary>
public static class FlowsSelfTest
{
    /// <summary>
    /// An ensemble of <paramref name="count"/> SPEC 1.3 flows (D = 3, <paramref name="conditions"/> conditions) that look trained: orthogonal
    /// weights from seeds <paramref name="seed"/> + f, non-zero biases, log γ and β, and running batch-norm
    /// statistics set from a pass over 2,000 correlated Gaussian events (so every layer's statistics are
    /// non-trivial and consistent with its input).
    /// </summary>
    public static Spec13AffineMaf[] TrainedLikeFlows(int count, int hidden, int blocks, ulong seed, int conditions = 1)
    {
        const int rows = 2000;
        ArgumentOutOfRangeException.ThrowIfNegative(conditions);
        var x = new double[rows * 3];
        var c = new double[rows * conditions];
        Philox4x32.FillNormal(x, seed, 1000);
        Philox4x32.FillNormal(c, seed, 1001);
        for (int n = 0; n < rows; n++)
        {
            x[3 * n + 1] = 0.6 * x[3 * n] + 0.8 * x[3 * n + 1] + (conditions > 0 ? 0.3 * c[n * conditions] : 0);
            x[3 * n + 2] = 1.5 * x[3 * n + 2] - 0.5 * x[3 * n] * x[3 * n + 1] + 0.7;
        }
        var flows = new Spec13AffineMaf[count];
        for (int f = 0; f < count; f++)
        {
            var flow = flows[f] = new Spec13AffineMaf(3, conditions, hidden, blocks, seed + (ulong)f);
            ulong stream = 2000 + (ulong)f * 1000;
            foreach (var (value, _) in flow.Parameters())
            {
                // Biases, log γ and β start at zero: give them values; perturb the weights too.
                var noise = new double[value.Length];
                Philox4x32.FillNormal(noise, seed, stream++);
                for (int i = 0; i < value.Length; i++) value[i] += 0.2 * noise[i];
            }
            flow.UpdateRunningStatistics(x, c, rows);
        }
        return flows;
    }

    /// <summary>
    /// <paramref name="count"/> SPEC 2.1 RQS flows (D = 3, <paramref name="conditions"/> conditions, 4 transforms of 8 bins on ±3,
    /// <paramref name="layers"/> hidden relu layers) whose splines are far from the identity (PyTorch-default initialisation from
    /// seed <paramref name="seed"/> + f, output weights × 4 and biases × 2) and, with random permutations, one permutation set per flow.
    /// </summary>
    public static NflowsMaf[] RqsLikeFlows(int count, int hidden, ulong seed, int conditions = 1, FlowPermutation permutation = FlowPermutation.Random, int layers = 2)
    {
        var flows = new NflowsMaf[count];
        for (int f = 0; f < count; f++)
        {
            flows[f] = new NflowsMaf(3, conditions, hidden, 4, AutoregressiveTransform.RationalQuadratic, 8, 3.0, layers, permutation, seed + (ulong)f);
            foreach (var b in flows[f].Blocks)
            {
                for (int i = 0; i < b.Output.Weight.Length; i++) b.Output.Weight[i] *= 4;
                for (int i = 0; i < b.Output.Bias.Length; i++) b.Output.Bias[i] *= 2;
            }
        }
        return flows;
    }

    /// <summary>What <see cref="Compare(ComputeDevice, FlowPrecision, IReadOnlyList{MaskedAutoregressiveFlow})"/> found (largest errors over every flow and event).</summary>
    /// <param name="LogProbError">max |Δ log p| / max(1, |log p|).</param>
    /// <param name="SampleError">max |Δ x| / max(1, |x|) of samples from the same in-kernel Philox noise.</param>
    /// <param name="RoundTripError">max |latent(sample(noise)) − noise| on the device.</param>
    public sealed record Comparison(double LogProbError, double SampleError, double RoundTripError);

    /// <summary>
    /// Evaluates 5 trained-like flows (6 blocks, H = <paramref name="hidden"/>) on 4,000 events in one launch on
    /// <paramref name="device"/> and on the managed path, and compares log-probs and samples.
    /// </summary>
    public static Comparison Compare(ComputeDevice device, FlowPrecision precision, int hidden = 20) =>
        Compare(device, precision, TrainedLikeFlows(5, hidden, 6, 77));

    /// <summary>
    /// <see cref="Compare(ComputeDevice, FlowPrecision, int)"/> for any flows of one shape (D = 3, one condition) on 4,000 events.
    /// </summary>
    public static Comparison Compare(ComputeDevice device, FlowPrecision precision, IReadOnlyList<MaskedAutoregressiveFlow> flows)
    {
        const int rows = 4000;
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 78, 0);
        Philox4x32.FillNormal(c, 78, 1);
        using var kernel = FlowEvaluator.For(device, flows, precision);
        using var managed = new ManagedFlowEvaluator(flows);
        double lpError = MaxRelative(managed.LogProb(x, c, rows), kernel.LogProb(x, c, rows));
        var sample = kernel.Sample(5, 10, c, rows);
        double sampleError = MaxRelative(managed.Sample(5, 10, c, rows), sample);
        var noise = new double[flows.Count * rows * 3];
        for (int f = 0; f < flows.Count; f++) Philox4x32.FillNormal(noise.AsSpan(f * rows * 3, rows * 3), 5, 10 + (ulong)f);
        var back = kernel.Latent(sample, c, rows).Z;
        double roundTrip = 0;
        for (int i = 0; i < noise.Length; i++) roundTrip = Math.Max(roundTrip, Math.Abs(back[i] - noise[i]));
        return new Comparison(lpError, sampleError, roundTrip);
    }

    /// <summary>
    /// One Adam step of 2 trained-like flows (6 blocks, H = 20) on a minibatch of 256 events each with
    /// <see cref="KernelFlowTrainer"/> on <paramref name="device"/>: the largest error of the loss and of the gradients
    /// against the managed training-mode forward and backward, relative to the largest gradient magnitude.
    /// </summary>
    public static double CompareTrainingStep(ComputeDevice device, FlowPrecision precision) =>
        CompareTrainingStep(device, precision, TrainedLikeFlows(2, 20, 6, 79));

    /// <summary><see cref="CompareTrainingStep(ComputeDevice, FlowPrecision)"/> for any two flows of one shape (D = 3, one condition).</summary>
    public static double CompareTrainingStep(ComputeDevice device, FlowPrecision precision, IReadOnlyList<MaskedAutoregressiveFlow> flows)
    {
        const int rows = 256;
        var x = new double[2 * rows * 3];
        var c = new double[2 * rows];
        Philox4x32.FillNormal(x, 80, 0);
        Philox4x32.FillNormal(c, 80, 1);
        using var trainer = new KernelFlowTrainer(device, flows, new FlowTrainingOptions(), precision);
        var losses = trainer.Step(x, c, rows);
        double worst = 0;
        for (int f = 0; f < flows.Count; f++)
        {
            var flow = flows[f];
            var pass = flow.NewPass(rows);
            var lp = new double[rows];
            flow.LogProb(x.AsSpan(f * rows * 3, rows * 3), c.AsSpan(f * rows, rows), lp, training: true, pass);
            flow.ZeroGrad();
            flow.Backward(c.AsSpan(f * rows, rows), pass);
            var expected = flow.Parameters().SelectMany(p => p.Grad).ToArray();
            var got = trainer.LastGradients(f);
            worst = Math.Max(worst, MaxRelative([-lp.Average()], [losses[f]]));
            double e = MaxScaled(expected, got, expected.Max(Math.Abs));
            if (double.IsNaN(e)) return double.NaN;
            worst = Math.Max(worst, e);
        }
        return worst;
    }

    /// <summary>max |a − b| / <paramref name="scale"/>, NaN-aware (a NaN anywhere, or arrays of different lengths, give NaN).</summary>
    internal static double MaxScaled(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double scale)
    {
        if (expected.Length != actual.Length) return double.NaN;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(expected[i] - actual[i]) / scale;
            if (double.IsNaN(e)) return double.NaN;      // Math.Max and LINQ's Max would pass over a NaN
            worst = Math.Max(worst, e);
        }
        return worst;
    }

    /// <summary>max |a − b| / max(1, |a|), NaN-aware (a NaN anywhere gives NaN).</summary>
    internal static double MaxRelative(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i]));
            if (double.IsNaN(e)) return double.NaN;
            worst = Math.Max(worst, e);
        }
        return worst;
    }

    /// <summary>
    /// Runs <see cref="Compare(ComputeDevice, FlowPrecision, IReadOnlyList{MaskedAutoregressiveFlow})"/> and
    /// <see cref="CompareTrainingStep(ComputeDevice, FlowPrecision, IReadOnlyList{MaskedAutoregressiveFlow})"/> in single and double
    /// precision for the affine MAF (6 blocks, H = 20) and the RQS MAF (4 transforms, 8 bins, H = 32) as selftest rows (none on
    /// the managed CPU device).
    /// </summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device)
    {
        if (device is CpuDevice) return [];
        var results = new List<SelfTestResult>();
        var families = new (string Name, string Shape, Func<int, ulong, MaskedAutoregressiveFlow[]> Flows, double Single)[]
        {
            ("MAF", "6 blocks, H=20", (n, seed) => TrainedLikeFlows(n, 20, 6, seed), 1e-4),
            ("RQS MAF", "4 transforms x 8 bins, H=32", (n, seed) => RqsLikeFlows(n, 32, seed), 2e-4),
        };
        foreach (var family in families)
            foreach (var (precision, tolerance) in new[] { (FlowPrecision.Single, family.Single), (FlowPrecision.Double, 1e-9) })
                results.Add(Row($"{family.Name} ensemble log-prob/sampling ({Text(precision)}, kernel vs managed)", tolerance, () =>
                {
                    var r = Compare(device, precision, family.Flows(5, 77));
                    double worst = Math.Max(r.LogProbError, r.SampleError);
                    // The round trip latent(sample(noise)) = noise accumulates the inverse's rounding through every block.
                    bool ok = worst <= tolerance && r.RoundTripError <= 100 * tolerance;
                    return (ok, worst, $"5 flows x 4,000 events, {family.Shape}: max rel error of log p {r.LogProbError:E1}, samples {r.SampleError:E1}; latent(sample) round trip {r.RoundTripError:E1}");
                }));
        foreach (var family in families)
            foreach (var (precision, tolerance) in new[] { (FlowPrecision.Single, family.Single / 10), (FlowPrecision.Double, 1e-9) })
                results.Add(Row($"{family.Name} training step ({Text(precision)}, kernel vs managed)", tolerance, () =>
                {
                    double worst = CompareTrainingStep(device, precision, family.Flows(2, 79));
                    return (worst <= tolerance, worst, $"2 flows x 256 events, {family.Shape}: loss and gradients of one Adam step vs managed backward (relative to the largest gradient)");
                }));
        results.Add(Row("MLP ensembles, 3 x 50 relu (kernel vs managed)", 1e-9, () =>
        {
            double worst = CompareMlps(device);
            return (worst <= 1e-9, worst, "4 requests x 5 members, SimAD's shape (3 x 50 relu), BCE, 3 epochs in one launch each: max |Δ output| of the largest");
        }));
        return results;
    }

    /// <summary>
    /// Trains 4 requests × 5 members of SimAD's classifier (3 hidden layers of 50 relu units, 4 inputs, BCE, 3 epochs) with
    /// the MLP seam on <paramref name="device"/> and on the managed reference, and returns the largest output difference
    /// (on 300 probe rows) relative to the largest output.
    /// </summary>
    public static double CompareMlps(ComputeDevice device)
    {
        int[] hidden = [50, 50, 50];
        const int d = 4, members = 5;
        var requests = Enumerable.Range(0, 4).Select(j =>
        {
            int n = 400 + 50 * j;
            var x = new double[n * d];
            Philox4x32.FillNormal(x, 93, (ulong)j);
            var y = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
            for (int i = 0; i < n; i += 2) x[i * d] += 0.8;
            return new MlpEnsembleRequest(x, y, null, new MlpTrainingOptions { Epochs = 3, BatchSize = 128, LearningRate = 1e-3, Seed = 5 + (ulong)j }, 300 + (ulong)j);
        }).ToArray();
        var reference = requests.Select(r => MlpEnsemble.Train(r.X, r.Y, r.W, d, hidden, ClassifierLoss.Bce, members, r.Options, r.Seed)).ToArray();
        var trained = MlpEnsemble.Train(device, requests, d, hidden, ClassifierLoss.Bce, members);
        var probe = new double[300 * d];
        Philox4x32.FillNormal(probe, 93, 99);
        var outputs = MlpEnsemble.Outputs(device, trained, requests.Select(_ => probe).ToArray());
        if (outputs.Length != requests.Length) return double.NaN;
        double worst = 0;
        for (int j = 0; j < requests.Length; j++)
        {
            var expected = reference[j].Outputs(probe);
            double e = MaxScaled(expected, outputs[j], Math.Max(expected.Max(Math.Abs), 1e-300));
            if (double.IsNaN(e)) return double.NaN;
            worst = Math.Max(worst, e);
        }
        return worst;
    }

    private static string Text(FlowPrecision precision) => precision.ToString().ToLowerInvariant();

    private static SelfTestResult Row(string name, double tolerance, Func<(bool Ok, double Worst, string Detail)> check)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var (ok, worst, detail) = check();
            return new SelfTestResult(name, ok, worst, tolerance, detail, sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return new SelfTestResult(name, false, double.NaN, tolerance, e.Message, sw.Elapsed.TotalSeconds);
        }
    }
}
