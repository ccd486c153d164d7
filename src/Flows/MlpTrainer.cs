using FastAD.Kernels;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>Training options of <see cref="MlpTrainer"/>.</summary>
public sealed record MlpTrainingOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Minibatch size.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Philox seed of the per-epoch shuffles.</summary>
    public ulong Seed { get; init; }
}

/// <summary>
/// Adam training of an <see cref="MlpClassifier"/> on its loss: Philox-shuffled minibatches, optional per-event
/// weights (BCE class weights), the same Adam step as <see cref="FlowTrainer"/>. Inputs are taken as given
/// (standardise them first: <see cref="MlpEnsemble"/> does).
/// </summary>
public static class MlpTrainer
{
    /// <summary>
    /// Where networks of this shape train and evaluate through the device seams (<see cref="MlpEnsemble.Train(ComputeDevice, IReadOnlyList{MlpEnsembleRequest}, int, IReadOnlyList{int}, ClassifierLoss, int, int, Action?, CancellationToken)"/>,
    /// <see cref="MlpEnsemble.Outputs(ComputeDevice, IReadOnlyList{MlpEnsemble}, IReadOnlyList{double[]})"/>) on <paramref name="device"/>,
    /// in one phrase for the stage notes, with the reason where it is the managed path.
    /// </summary>
    /// <param name="device">The run's device.</param>
    /// <param name="hidden">The hidden layers (null: any the kernels take).</param>
    /// <param name="parallelism">Networks trained at once on the managed path, named there when positive.</param>
    public static string PathOn(ComputeDevice device, IReadOnlyList<int>? hidden = null, int parallelism = 0) =>
        WhyManaged(device, hidden) is { } why
            ? $"on the managed CPU path ({why}{(parallelism > 0 ? $", {parallelism} at once" : "")})"
            : $"in one launch per epoch on {device.Id} (MLP kernels, double precision)";

    /// <summary>Whether the device seams train and evaluate networks of this shape with kernels on <paramref name="device"/>.</summary>
    public static bool RunsKernels(ComputeDevice device, IReadOnlyList<int>? hidden = null) => WhyManaged(device, hidden) is null;

    /// <summary>The widest layer the evaluation kernel keeps in private memory (two rows of activations per work-item).</summary>
    internal const int KernelMaxWidth = 512;

    /// <summary>Why networks with layers of these widths stay on the managed path on <paramref name="device"/>, or null when the kernels take them.</summary>
    internal static string? WhyManaged(ComputeDevice device, IReadOnlyList<int>? widths)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.SupportsKernels) return $"{device.Id} runs no kernels";
        if (widths is not null && widths.Any(h => h > KernelMaxWidth)) return $"the kernels take layers of at most {KernelMaxWidth} units";
        return null;
    }

    /// <summary>Trains in place; returns the mean training loss of each epoch.</summary>
    /// <param name="mlp">The network.</param>
    /// <param name="x">Inputs, row-major (rows × inputs).</param>
    /// <param name="y">Labels: 1 data, 0 simulation.</param>
    /// <param name="w">Per-event weights (BCE only; empty = 1).</param>
    /// <param name="o">Options.</param>
    /// <param name="cancel">Checked once per epoch.</param>
    public static double[] Train(MlpClassifier mlp, double[] x, double[] y, double[]? w, MlpTrainingOptions o, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        int d = mlp.Layers[0].Inputs;
        Validate(x, y, w, d, o);
        int n = y.Length;
        var parameters = mlp.Layers.SelectMany(l => new[] { (l.Weight, l.WeightGrad), (l.Bias, l.BiasGrad) }).ToArray();
        var m = parameters.Select(p => new double[p.Item1.Length]).ToArray();
        var v = parameters.Select(p => new double[p.Item1.Length]).ToArray();
        int bs = Math.Min(o.BatchSize, n);
        var xb = new double[bs * d];
        var yb = new double[bs];
        var wb = new double[bs];
        var fb = new double[bs];
        var passes = new Dictionary<int, MlpClassifier.Pass>();
        var order = Enumerable.Range(0, n).ToArray();
        var u = new double[n];
        var history = new double[o.Epochs];
        long step = 0;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            Shuffle(order, u, o.Seed, epoch);
            double total = 0;
            for (int start = 0; start < n; start += bs)
            {
                int batch = Math.Min(bs, n - start);
                for (int k = 0; k < batch; k++)
                {
                    int r = order[start + k];
                    Array.Copy(x, r * d, xb, k * d, d);
                    yb[k] = y[r];
                    wb[k] = w is null ? 1 : w[r];
                }
                if (!passes.TryGetValue(batch, out var pass)) passes[batch] = pass = mlp.NewPass(batch);
                var xs = xb.AsSpan(0, batch * d);
                var fs = fb.AsSpan(0, batch);
                mlp.Forward(xs, fs, pass);
                total += mlp.BatchLoss(fs, yb.AsSpan(0, batch), wb.AsSpan(0, batch)) * batch;
                mlp.ZeroGrad();
                mlp.Backward(xs, fs, yb.AsSpan(0, batch), wb.AsSpan(0, batch), pass);
                step++;
                double c1 = 1 - Math.Pow(0.9, step), c2 = 1 - Math.Pow(0.999, step);
                for (int p = 0; p < parameters.Length; p++)
                    FlowTrainer.AdamStep(parameters[p].Item1, parameters[p].Item2, m[p], v[p], 1, o.LearningRate, c1, c2);
            }
            history[epoch] = total / n;
        }
        return history;
    }

    /// <summary>The checks of <see cref="Train"/> (the kernel path makes the same, so that the path never changes what is refused).</summary>
    internal static void Validate(double[] x, double[] y, double[]? w, int d, MlpTrainingOptions o)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(o);
        int n = y.Length;
        if (n == 0) throw new ArgumentException("The training set is empty.");
        if (x.Length != n * d) throw new ArgumentException($"The inputs hold {x.Length} values; {n} events × {d} inputs expected.");
        if (w is not null && w.Length != n) throw new ArgumentException($"{w.Length} weights for {n} events.");
        if (o.Epochs < 1 || o.BatchSize < 1 || !(o.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(o), "Epochs, batch size and learning rate must be positive.");
    }

    /// <summary>
    /// The minibatch order of an epoch: the previous epoch's <paramref name="order"/> (the identity before the first)
    /// shuffled in place by Fisher–Yates with the uniforms of Philox stream (<paramref name="seed"/>, <paramref name="epoch"/>);
    /// <paramref name="u"/> is scratch of the same length.
    /// </summary>
    internal static void Shuffle(int[] order, double[] u, ulong seed, int epoch)
    {
        Philox4x32.FillUniform(u, seed, (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(u[i] * (i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
