using FastAD.Kernels;

namespace FastAD.Flows;

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
    public double[] Standardize(ReadOnlySpan<double> x)
    {
        int d = _mean.Length;
        var z = new double[x.Length];
        for (int i = 0; i < x.Length; i++) z[i] = (x[i] - _mean[i % d]) / _std[i % d];
        return z;
    }

    /// <summary>
    /// Trains <paramref name="members"/> networks (seeds <paramref name="seed"/> + k) on the same standardised data, up
    /// to <paramref name="parallelism"/> at once; <paramref name="memberDone"/> is called (from worker threads) after each.
    /// </summary>
    public static MlpEnsemble Train(double[] x, double[] y, double[]? w, int d, IReadOnlyList<int> hidden, ClassifierLoss loss, int members,
        MlpTrainingOptions options, ulong seed, int parallelism = 1, Action? memberDone = null, CancellationToken cancel = default)
    {
        var (mean, std) = Standardization(x, d);
        var shell = new MlpEnsemble([new MlpClassifier(d, hidden, loss, seed)], mean, std);
        var z = shell.Standardize(x);
        var nets = new MlpClassifier[members];
        Parallel.For(0, members, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancel }, k =>
        {
            var net = new MlpClassifier(d, hidden, loss, seed + (ulong)k);
            MlpTrainer.Train(net, z, y, w, options with { Seed = options.Seed + (ulong)k }, cancel);
            nets[k] = net;
            memberDone?.Invoke();
        });
        return new MlpEnsemble(nets, mean, std);
    }

    /// <summary>Raw ensemble outputs f (logit of the mean sigmoid for BCE; mean f for MLC) of row-major inputs.</summary>
    public double[] Outputs(ReadOnlySpan<double> x)
    {
        var z = Standardize(x);
        int n = x.Length / _mean.Length;
        var sum = new double[n];
        var f = new double[n];
        foreach (var m in Members)
        {
            m.Forward(z, f, m.NewPass(n));
            for (int i = 0; i < n; i++) sum[i] += m.Score(f[i]);
        }
        for (int i = 0; i < n; i++)
        {
            double s = sum[i] / Members.Count;
            sum[i] = Loss == ClassifierLoss.Bce ? Math.Log(Math.Max(s, 1e-300) / Math.Max(1 - s, 1e-300)) : s;
        }
        return sum;
    }

    /// <summary>Scores of outputs from <see cref="Outputs"/> (probability for BCE, log-ratio for MLC).</summary>
    public double Score(double f) => Members[0].Score(f);

    /// <summary>Mean loss of the ensemble on labelled events (per-event weights for BCE; empty = 1).</summary>
    public double MeanLoss(ReadOnlySpan<double> f, ReadOnlySpan<double> y, ReadOnlySpan<double> w = default) => Members[0].BatchLoss(f, y, w);
}
