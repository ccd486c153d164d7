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

    /// <summary>What <see cref="Compare"/> found (largest errors over every flow and event).</summary>
    /// <param name="LogProbError">max |Δ log p| / max(1, |log p|).</param>
    /// <param name="SampleError">max |Δ x| / max(1, |x|) of samples from the same in-kernel Philox noise.</param>
    /// <param name="RoundTripError">max |latent(sample(noise)) − noise| on the device.</param>
    public sealed record Comparison(double LogProbError, double SampleError, double RoundTripError);

    /// <summary>
    /// Evaluates 5 trained-like flows (6 blocks, H = <paramref name="hidden"/>) on 4,000 events in one launch on
    /// <paramref name="device"/> and on the managed path, and compares log-probs and samples.
    /// </summary>
    public static Comparison Compare(ComputeDevice device, FlowPrecision precision, int hidden = 20)
    {
        const int rows = 4000;
        var flows = TrainedLikeFlows(5, hidden, 6, 77);
        var x = new double[rows * 3];
        var c = new double[rows];
        Philox4x32.FillNormal(x, 78, 0);
        Philox4x32.FillNormal(c, 78, 1);
        using var kernel = FlowEvaluator.For(device, flows, precision);
        using var managed = new ManagedFlowEvaluator(flows);
        double lpError = MaxRelative(managed.LogProb(x, c, rows), kernel.LogProb(x, c, rows));
        var sample = kernel.Sample(5, 10, c, rows);
        double sampleError = MaxRelative(managed.Sample(5, 10, c, rows), sample);
        var noise = new double[flows.Length * rows * 3];
        for (int f = 0; f < flows.Length; f++) Philox4x32.FillNormal(noise.AsSpan(f * rows * 3, rows * 3), 5, 10 + (ulong)f);
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
    public static double CompareTrainingStep(ComputeDevice device, FlowPrecision precision)
    {
        const int rows = 256;
        var flows = TrainedLikeFlows(2, 20, 6, 79);
        var x = new double[2 * rows * 3];
        var c = new double[2 * rows];
        Philox4x32.FillNormal(x, 80, 0);
        Philox4x32.FillNormal(c, 80, 1);
        using var trainer = new KernelFlowTrainer(device, flows, new FlowTrainingOptions(), precision);
        var losses = trainer.Step(x, c, rows);
        double worst = 0;
        for (int f = 0; f < flows.Length; f++)
        {
            var flow = flows[f];
            var pass = flow.NewPass(rows);
            var lp = new double[rows];
            flow.LogProb(x.AsSpan(f * rows * 3, rows * 3), c.AsSpan(f * rows, rows), lp, training: true, pass);
            flow.ZeroGrad();
            flow.Backward(c.AsSpan(f * rows, rows), pass);
            var expected = flow.Parameters().SelectMany(p => p.Grad).ToArray();
            var got = trainer.LastGradients(f);
            double scale = expected.Max(Math.Abs);
            worst = Math.Max(worst, MaxRelative([-lp.Average()], [losses[f]]));
            for (int i = 0; i < expected.Length; i++)
            {
                double e = Math.Abs(expected[i] - got[i]) / scale;
                if (double.IsNaN(e)) return double.NaN;
                worst = Math.Max(worst, e);
            }
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

    /// <summary>Runs <see cref="Compare"/> and <see cref="CompareTrainingStep"/> in single and double precision as selftest rows (none on the managed CPU device).</summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device)
    {
        if (device is CpuDevice) return [];
        var results = new List<SelfTestResult>();
        foreach (var (precision, tolerance) in new[] { (FlowPrecision.Single, 1e-4), (FlowPrecision.Double, 1e-9) })
        {
            var sw = Stopwatch.StartNew();
            string name = $"MAF ensemble log-prob/sampling ({precision.ToString().ToLowerInvariant()}, kernel vs managed)";
            try
            {
                var r = Compare(device, precision);
                double worst = Math.Max(r.LogProbError, r.SampleError);
                // The round trip latent(sample(noise)) = noise accumulates the inverse's rounding through 6 blocks.
                bool ok = worst <= tolerance && r.RoundTripError <= 100 * tolerance;
                results.Add(new SelfTestResult(name, ok, worst, tolerance,
                    $"5 flows x 4,000 events, 6 blocks, H=20: max rel error of log p {r.LogProbError:E1}, samples {r.SampleError:E1}; latent(sample) round trip {r.RoundTripError:E1}",
                    sw.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                results.Add(new SelfTestResult(name, false, double.NaN, tolerance, e.Message, sw.Elapsed.TotalSeconds));
            }
        }
        foreach (var (precision, tolerance) in new[] { (FlowPrecision.Single, 1e-5), (FlowPrecision.Double, 1e-9) })
        {
            var sw = Stopwatch.StartNew();
            string name = $"MAF training step ({precision.ToString().ToLowerInvariant()}, kernel vs managed)";
            try
            {
                double worst = CompareTrainingStep(device, precision);
                results.Add(new SelfTestResult(name, worst <= tolerance, worst, tolerance,
                    "2 flows x 256 events, 6 blocks, H=20: loss and gradients of one Adam step vs managed backward (relative to the largest gradient)",
                    sw.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (e is ComputeException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                results.Add(new SelfTestResult(name, false, double.NaN, tolerance, e.Message, sw.Elapsed.TotalSeconds));
            }
        }
        return results;
    }
}
