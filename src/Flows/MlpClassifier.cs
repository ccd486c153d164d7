using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>Loss of the classifier (SPEC 3).</summary>
public enum ClassifierLoss
{
    /// <summary>Binary cross-entropy on a sigmoid output, class weights per label.</summary>
    [JsonStringEnumMemberName("bce")] Bce,
    /// <summary>
    /// Maximum-likelihood classifier loss L = −Σ_data f(x) + Σ_sim (e^{f(x)} − 1) on a linear output, whose
    /// minimiser is f = ln(p_data/p_sim); averaged over the batch.
    /// </summary>
    [JsonStringEnumMemberName("mlc")] Mlc,
}

/// <summary>
/// A fully connected classifier (e.g. 3 × 50 ReLU) with one output, hand-written backward (checked against
/// finite differences), He-uniform initialisation from a Philox seed, and Adam training. Label 1 = data,
/// 0 = simulation (or background samples).
/// </summary>
public sealed class MlpClassifier
{
    private readonly MaskedLinear[] _layers;

    /// <summary>Creates the network: inputs → hidden[0] → … → 1, ReLU between layers.</summary>
    public MlpClassifier(int inputs, IReadOnlyList<int> hidden, ClassifierLoss loss, ulong seed)
    {
        if (inputs < 1 || hidden.Count == 0 || hidden.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(hidden), "Layer sizes must be positive.");
        Loss = loss;
        var sizes = new[] { inputs }.Concat(hidden).Append(1).ToArray();
        _layers = new MaskedLinear[sizes.Length - 1];
        for (int l = 0; l < _layers.Length; l++)
        {
            _layers[l] = new MaskedLinear(sizes[l], sizes[l + 1]);
            var u = new double[_layers[l].Weight.Length];
            Philox4x32.FillUniform(u, seed, (ulong)l);
            double limit = Math.Sqrt(6.0 / sizes[l]);
            for (int i = 0; i < u.Length; i++) _layers[l].Weight[i] = (2 * u[i] - 1) * limit;
        }
    }

    /// <summary>The loss.</summary>
    public ClassifierLoss Loss { get; }
    /// <summary>The layers (for optimisers and files).</summary>
    public IReadOnlyList<MaskedLinear> Layers => _layers;

    /// <summary>Activations of one batch.</summary>
    public sealed class Pass
    {
        internal Pass(MlpClassifier m, int batch)
        {
            Batch = batch;
            Acts = m._layers.Select(l => new double[batch * l.Outputs]).ToArray();
            Grads = m._layers.Select(l => new double[batch * l.Outputs]).ToArray();
        }

        internal readonly int Batch;
        internal readonly double[][] Acts; // post-activation per layer (the last: raw output f)
        internal readonly double[][] Grads; // dL/d(pre-activation) per layer
    }

    /// <summary>Buffers for a batch size.</summary>
    public Pass NewPass(int batch) => new(this, batch);

    /// <summary>Raw outputs f(x) (logit for BCE, log-ratio for MLC).</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> f, Pass pass)
    {
        int batch = pass.Batch;
        ReadOnlySpan<double> input = x;
        for (int l = 0; l < _layers.Length; l++)
        {
            _layers[l].Forward(input, pass.Acts[l], batch);
            if (l < _layers.Length - 1) TensorPrimitives.Max(pass.Acts[l], 0.0, pass.Acts[l]);
            input = pass.Acts[l];
        }
        pass.Acts[^1].AsSpan(0, batch).CopyTo(f);
    }

    /// <summary>Score: sigmoid(f) for BCE, f itself (the log-likelihood ratio) for MLC.</summary>
    public double Score(double f) => Score(Loss, f);

    /// <summary>Score of a raw output under <paramref name="loss"/>: sigmoid(f) for BCE, f itself (the log-likelihood ratio) for MLC.</summary>
    public static double Score(ClassifierLoss loss, double f) => loss == ClassifierLoss.Bce ? 1 / (1 + Math.Exp(-f)) : f;

    /// <summary>Mean loss of a batch given its outputs, labels and (BCE) per-event weights.</summary>
    public double BatchLoss(ReadOnlySpan<double> f, ReadOnlySpan<double> y, ReadOnlySpan<double> w) => BatchLoss(Loss, f, y, w);

    /// <summary>
    /// Mean <paramref name="loss"/> of raw outputs <paramref name="f"/> (a logit for BCE, a log-likelihood ratio for MLC) with labels and
    /// (BCE) per-event weights: of any classifier's outputs, not only a network's.
    /// </summary>
    public static double BatchLoss(ClassifierLoss loss, ReadOnlySpan<double> f, ReadOnlySpan<double> y, ReadOnlySpan<double> w)
    {
        double sum = 0;
        for (int n = 0; n < f.Length; n++)
        {
            double wn = w.IsEmpty ? 1 : w[n];
            sum += loss == ClassifierLoss.Bce
                ? wn * (Math.Max(f[n], 0) - y[n] * f[n] + Math.Log(1 + Math.Exp(-Math.Abs(f[n]))))
                : y[n] == 1 ? -f[n] : Math.Exp(f[n]) - 1;
        }
        return sum / f.Length;
    }

    /// <summary>Accumulates the gradients of <see cref="BatchLoss(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double})"/> after <see cref="Forward"/> of the same batch.</summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> f, ReadOnlySpan<double> y, ReadOnlySpan<double> w, Pass pass)
    {
        int batch = pass.Batch;
        var dOut = pass.Grads[^1];
        for (int n = 0; n < batch; n++)
        {
            double wn = w.IsEmpty ? 1 : w[n];
            dOut[n] = (Loss == ClassifierLoss.Bce ? wn * (1 / (1 + Math.Exp(-f[n])) - y[n]) : y[n] == 1 ? -1 : Math.Exp(f[n])) / batch;
        }
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            ReadOnlySpan<double> input = l == 0 ? x : pass.Acts[l - 1];
            var dIn = l == 0 ? Span<double>.Empty : pass.Grads[l - 1].AsSpan(0, batch * _layers[l].Inputs);
            _layers[l].Backward(input, pass.Grads[l].AsSpan(0, batch * _layers[l].Outputs), dIn, batch);
            if (l > 0) VectorMath.ReluBackward(dIn, pass.Acts[l - 1]);
        }
    }

    /// <summary>Zeroes the gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var l in _layers) l.ZeroGrad();
    }
}
