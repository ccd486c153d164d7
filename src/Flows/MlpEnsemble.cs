using FastAD.Kernels;
using FastAD.Kernels.Cpu;

namespace FastAD.Flows;

/// <summary>One ensemble to train through the seam: raw inputs (rows × inputs), labels (1 data, 0 simulation), optional per-event weights (BCE).</summary>
/// <param name="X">Inputs, row-major; the ensemble standardises them by their mean and standard deviation per column.</param>
/// <param name="Y">Labels.</param>
/// <param name="W">Per-event weights (null = 1).</param>
/// <param name="Options">Training options; member k shuffles with Options.Seed + k.</param>
/// <param name="Seed">Initialisation seed; member k starts from Seed + k.</param>
public sealed record MlpEnsembleRequest(double[] X, double[] Y, double[]? W, MlpTrainingOptions Options, ulong Seed);

/// <summary>
/// An average of <see cref="MlpClassifier"/>s trained on standardised inputs (mean and standard deviation of the
/// training set, per column). The ensemble score is the mean of the members' scores (sigmoid for BCE, the
/// log-ratio f for MLC); its raw output is the score mapped back (logit for BCE), so the loss of the ensemble is
/// the members' loss applied to it.
/// </summary>
public sealed class MlpEnsemble
{
    private readonly double[] _mean, _std;

    /// <summary>An ensemble of trained members with their input standardisation.</summary>
    public MlpEnsemble(IReadOnlyList<MlpClassifier> members, double[] mean, double[] std)
    {
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.");
        Members = members;
        _mean = mean;
        _std = std;
    }

    /// <summary>The networks.</summary>
    public IReadOnlyList<MlpClassifier> Members { get; }
    /// <summary>The loss (of every member).</summary>
    public ClassifierLoss Loss => Members[0].Loss;

    /// <summary>Per-column mean and standard deviation (1 where a column is constant) of row-major inputs.</summary>
    public static (double[] Mean, double[] Std) Standardization(ReadOnlySpan<double> x, int d)
    {
        int n = x.Length / d;
        if (n == 0) throw new ArgumentException("No events to standardise.");
        var mean = new double[d];
        var std = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) std[j] += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
        for (int j = 0; j < d; j++)
        {
            std[j] = Math.Sqrt(std[j] / n);
            if (!(std[j] > 0)) std[j] = 1;
        }
        return (mean, std);
    }

    /// <summary>Standardised copy of row-major inputs.</summary>
    public double[] Standardize(ReadOnlySpan<double> x) => Standardize(x, _mean, _std);

    private static double[] Standardize(ReadOnlySpan<double> x, double[] mean, double[] std)
    {
        int d = mean.Length;
        var z = new double[x.Length];
        for (int i = 0; i < x.Length; i++) z[i] = (x[i] - mean[i % d]) / std[i % d];
        return z;
    }

    /// <summary>
    /// Trains <paramref name="members"/> networks (seeds <paramref name="seed"/> + k) on the same standardised data, up
    /// to <paramref name="parallelism"/> at once; <paramref name="memberDone"/> is called (from worker threads) after each.
    /// The managed reference of the device seam <see cref="Train(ComputeDevice, IReadOnlyList{MlpEnsembleRequest}, int, IReadOnlyList{int}, ClassifierLoss, int, int, Action?, CancellationToken)"/>.
    /// </summary>
    public static MlpEnsemble Train(double[] x, double[] y, double[]? w, int d, IReadOnlyList<int> hidden, ClassifierLoss loss, int members,
        MlpTrainingOptions options, ulong seed, int parallelism = 1, Action? memberDone = null, CancellationToken cancel = default) =>
        Train(CpuDevice.Instance, [new MlpEnsembleRequest(x, y, w, options, seed)], d, hidden, loss, members, parallelism, memberDone, cancel)[0];

    /// <summary>
    /// The MLP training seam: trains one ensemble per request (member k of a request initialised from its Seed + k and
    /// shuffled with its Options.Seed + k, on the request's standardised inputs) on the fastest path
    /// <paramref name="device"/> has (<see cref="MlpTrainer.PathOn"/> says which and why). On OpenCL/CUDA every member of
    /// every request trains in one launch per epoch (<see cref="KernelMlpTrainer"/>, double precision: the managed
    /// networks to rounding); otherwise member by member on <see cref="MlpTrainer"/>, up to <paramref name="parallelism"/>
    /// at once. <paramref name="memberDone"/> is called after each member (at the end of its launch group on the kernel
    /// path); <paramref name="cancel"/> is checked every epoch. Analyses call this and never test the device themselves.
    /// </summary>
    public static MlpEnsemble[] Train(ComputeDevice device, IReadOnlyList<MlpEnsembleRequest> requests, int d, IReadOnlyList<int> hidden, ClassifierLoss loss,
        int members, int parallelism = 1, Action? memberDone = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        foreach (var r in requests)
        {
            ArgumentNullException.ThrowIfNull(r);
            MlpTrainer.Validate(r.X, r.Y, r.W, d, r.Options);
        }
        var shift = new (double[] Mean, double[] Std)[requests.Count];
        var z = new double[requests.Count][];
        Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, j =>
        {
            shift[j] = Standardization(requests[j].X, d);
            z[j] = Standardize(requests[j].X, shift[j].Mean, shift[j].Std);
        });
        var nets = new MlpClassifier[requests.Count * members];
        for (int i = 0; i < nets.Length; i++) nets[i] = new MlpClassifier(d, hidden, loss, requests[i / members].Seed + (ulong)(i % members));
        MlpTrainingOptions Options(int i) => requests[i / members].Options with { Seed = requests[i / members].Options.Seed + (ulong)(i % members) };
        if (MlpTrainer.WhyManaged(device, [d, .. hidden]) is null)
        {
            // One launch group per set of training settings (the kernel's arguments), at most MaxNetworksPerLaunch networks
            // (whole requests) each, which bounds the device memory (about 0.5 MB per 3 × 50 network at batch 128).
            var groups = Enumerable.Range(0, requests.Count).GroupBy(j => requests[j].Options with { Seed = 0 })
                .SelectMany(g => g.Chunk(Math.Max(1, MaxNetworksPerLaunch / members)));
            foreach (var group in groups)
            {
                var ids = group.SelectMany(j => Enumerable.Range(j * members, members)).ToArray();
                using var trainer = new KernelMlpTrainer(device, ids.Select(i => nets[i]).ToArray(), group.Select(j => new MlpTrainingSet(z[j], requests[j].Y, requests[j].W)).ToArray(),
                    ids.Select(i => Array.IndexOf(group, i / members)).ToArray(), ids.Select(Options).ToArray());
                trainer.Train(cancel);
                foreach (var _ in ids) memberDone?.Invoke();
            }
        }
        else
            Parallel.For(0, nets.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancel }, i =>
            {
                var r = requests[i / members];
                MlpTrainer.Train(nets[i], z[i / members], r.Y, r.W, Options(i), cancel);
                memberDone?.Invoke();
            });
        return Enumerable.Range(0, requests.Count).Select(j => new MlpEnsemble(nets[(j * members)..((j + 1) * members)], shift[j].Mean, shift[j].Std)).ToArray();
    }

    /// <summary>The most networks <see cref="Train(ComputeDevice, IReadOnlyList{MlpEnsembleRequest}, int, IReadOnlyList{int}, ClassifierLoss, int, int, Action?, CancellationToken)"/> trains in one launch.</summary>
    internal const int MaxNetworksPerLaunch = 1024;

    /// <summary>Raw ensemble outputs f (logit of the mean sigmoid for BCE; mean f for MLC) of row-major inputs.</summary>
    public double[] Outputs(ReadOnlySpan<double> x)
    {
        var z = Standardize(x);
        int n = x.Length / _mean.Length;
        var f = Members.Select(_ => new double[n]).ToArray();
        for (int k = 0; k < Members.Count; k++) Members[k].Forward(z, f[k], Members[k].NewPass(n));
        return Combine(f);
    }

    /// <summary>
    /// The evaluation seam: <see cref="Outputs(ReadOnlySpan{double})"/> of ensemble j on inputs <paramref name="x"/>[j] for every
    /// j; on OpenCL/CUDA every member of every ensemble of one shape in one launch (<see cref="KernelMlpEvaluator"/>, double
    /// precision), otherwise the managed forward passes, ensembles in parallel.
    /// </summary>
    public static double[][] Outputs(ComputeDevice device, IReadOnlyList<MlpEnsemble> ensembles, IReadOnlyList<double[]> x)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(ensembles);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count != ensembles.Count) throw new ArgumentException($"{x.Count} input sets for {ensembles.Count} ensembles.", nameof(x));
        var result = new double[ensembles.Count][];
        var kernel = ensembles.Select(e => MlpTrainer.WhyManaged(device, MlpKernels.Sizes(e.Members[0])) is null).ToArray();
        Parallel.For(0, ensembles.Count, j =>
        {
            if (!kernel[j]) result[j] = ensembles[j].Outputs(x[j]);
        });
        // One launch per shape and loss (the kernel's compile-time sizes).
        foreach (var group in Enumerable.Range(0, ensembles.Count).Where(j => kernel[j])
                     .GroupBy(j => string.Join(',', MlpKernels.Sizes(ensembles[j].Members[0])) + ensembles[j].Loss))
        {
            int[] ids = [.. group];
            var nets = ids.SelectMany(j => ensembles[j].Members).ToArray();
            using var evaluator = new KernelMlpEvaluator(device, nets);
            var f = evaluator.Outputs(ids.Select(j => ensembles[j].Standardize(x[j])).ToArray(),
                ids.SelectMany((j, s) => Enumerable.Repeat(s, ensembles[j].Members.Count)).ToArray());
            int o = 0;
            foreach (int j in ids)
            {
                result[j] = ensembles[j].Combine(f[o..(o + ensembles[j].Members.Count)]);
                o += ensembles[j].Members.Count;
            }
        }
        return result;
    }

    /// <summary>The ensemble output from its members' outputs: the mean score, mapped back to a raw output.</summary>
    private double[] Combine(double[][] memberOutputs)
    {
        int n = memberOutputs[0].Length;
        var sum = new double[n];
        for (int k = 0; k < Members.Count; k++)
            for (int i = 0; i < n; i++) sum[i] += Members[k].Score(memberOutputs[k][i]);
        for (int i = 0; i < n; i++)
        {
            double s = sum[i] / Members.Count;
            sum[i] = Loss == ClassifierLoss.Bce ? Math.Log(Math.Max(s, 1e-300) / Math.Max(1 - s, 1e-300)) : s;
        }
        return sum;
    }

    /// <summary>Scores of outputs from <see cref="Outputs(ReadOnlySpan{double})"/> (probability for BCE, log-ratio for MLC).</summary>
    public double Score(double f) => Members[0].Score(f);

    /// <summary>Mean loss of the ensemble on labelled events (per-event weights for BCE; empty = 1).</summary>
    public double MeanLoss(ReadOnlySpan<double> f, ReadOnlySpan<double> y, ReadOnlySpan<double> w = default) => Members[0].BatchLoss(f, y, w);
}
