using System.Numerics;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>Training settings (SPEC 1.3 defaults).</summary>
public sealed record FlowTrainingOptions
{
    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 400;
    /// <summary>Minibatch size.</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 7.5e-4;
    /// <summary>Weight decay: coupled (L2 added to the gradient, the default) or decoupled (see <see cref="DecoupledWeightDecay"/>).</summary>
    public double WeightDecay { get; init; } = 1e-6;
    /// <summary>AdamW: decay the weights by lr·λ·w at each step instead of adding λ·w to the gradient.</summary>
    public bool DecoupledWeightDecay { get; init; }
    /// <summary>Global gradient-norm clip (0 = none).</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>Stop after this many epochs without validation improvement (0 = run all epochs).</summary>
    public int Patience { get; init; }
    /// <summary>Seed of the minibatch shuffles.</summary>
    public ulong Seed { get; init; }
    /// <summary>
    /// Form the wide matrix products (hidden widths ≥ 32) in single precision while training, as PyTorch does;
    /// parameters, optimiser state and losses stay double. False keeps every product in double.
    /// </summary>
    public bool SinglePrecisionProducts { get; init; } = true;
}

/// <summary>Per-epoch losses and the epoch kept.</summary>
public sealed record FlowTrainingResult(double[] TrainLoss, double[] ValidationLoss, int BestEpoch);

/// <summary>
/// Adam (or AdamW) training of any <see cref="IConditionalFlow"/> on −mean log p(x|c): Philox-shuffled minibatches,
/// coupled weight decay, global gradient-norm clipping, running batch-norm statistics from the whole
/// training set after every epoch, and the parameters of the epoch with the lowest validation loss kept
/// (validation events with NaN or |log p| ≥ 1000 are ignored, as in the reference).
/// </summary>
public static class FlowTrainer
{
    /// <summary>Trains in place and returns the loss history.</summary>
    public static FlowTrainingResult Train(IConditionalFlow flow, double[] xTrain, double[] cTrain, double[] xVal, double[] cVal,
        FlowTrainingOptions o, IProgress<(int Epoch, double Train, double Validation)>? progress = null)
    {
        int d = flow.D, c = flow.C;
        int nTrain = xTrain.Length / d, nVal = xVal.Length / d;
        if (nTrain == 0) throw new ArgumentException("The training set is empty.");
        if (nVal == 0) throw new ArgumentException("The validation set is empty.");
        Validate(xTrain, d, "training features");
        Validate(cTrain, Math.Max(c, 1), "training conditions");
        Validate(xVal, d, "validation features");
        Validate(cVal, Math.Max(c, 1), "validation conditions");
        // The MAF's wide products run in float when asked (its layers' switch); other flows train in double.
        var layers = (flow as Spec13AffineMaf)?.Made.SelectMany(m => m.Layers).ToArray() ?? [];
        var precision = layers.Select(l => l.SinglePrecisionProducts).ToArray();
        foreach (var l in layers) l.SinglePrecisionProducts = o.SinglePrecisionProducts;
        try
        {
            return TrainCore(flow, xTrain, cTrain, xVal, cVal, o, progress, nTrain, nVal);
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++) layers[i].SinglePrecisionProducts = precision[i];
        }
    }

    private static FlowTrainingResult TrainCore(IConditionalFlow flow, double[] xTrain, double[] cTrain, double[] xVal, double[] cVal,
        FlowTrainingOptions o, IProgress<(int Epoch, double Train, double Validation)>? progress, int nTrain, int nVal)
    {
        int d = flow.D, c = flow.C;
        var parameters = flow.Parameters().ToArray();
        var m = parameters.Select(p => new double[p.Value.Length]).ToArray();
        var v = parameters.Select(p => new double[p.Value.Length]).ToArray();
        long step = 0;
        var order = Enumerable.Range(0, nTrain).ToArray();
        var u = new double[nTrain];
        var trainLoss = new List<double>();
        var valLoss = new List<double>();
        double best = double.PositiveInfinity;
        int bestEpoch = -1;
        double[][]? snapshot = null;
        double[][]? snapshotStats = null;
        var xb = new double[o.BatchSize * d];
        var cb = new double[o.BatchSize * Math.Max(c, 1)];
        var lp = new double[o.BatchSize];
        var fullPass = new Dictionary<int, IFlowPass>();
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            Philox4x32.FillUniform(u, o.Seed, (ulong)epoch);
            for (int i = nTrain - 1; i > 0; i--)
            {
                int j = (int)(u[i] * (i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
            double total = 0;
            for (int start = 0; start < nTrain; start += o.BatchSize)
            {
                int batch = Math.Min(o.BatchSize, nTrain - start);
                for (int k = 0; k < batch; k++)
                {
                    Array.Copy(xTrain, order[start + k] * d, xb, k * d, d);
                    if (c > 0) Array.Copy(cTrain, order[start + k] * c, cb, k * c, c);
                }
                if (!fullPass.TryGetValue(batch, out var pass)) fullPass[batch] = pass = flow.NewFlowPass(batch);
                flow.LogProb(xb, cb, lp, training: true, pass);
                for (int k = 0; k < batch; k++) total -= lp[k];
                flow.ZeroGrad();
                flow.Backward(cb, pass);
                double norm = 0;
                // Coupled decay adds λ·θ to the gradient; decoupled (AdamW) shrinks θ by (1 − lr·λ) in the step instead.
                for (int p = 0; p < parameters.Length; p++) norm += DecayAndSquare(parameters[p].Value, parameters[p].Grad, o.DecoupledWeightDecay ? 0 : o.WeightDecay);
                norm = Math.Sqrt(norm);
                double scale = o.ClipNorm > 0 && norm > o.ClipNorm ? o.ClipNorm / (norm + 1e-6) : 1.0;
                step++;
                double c1 = 1 - Math.Pow(Beta1, step), c2 = 1 - Math.Pow(Beta2, step);
                double keep = o.DecoupledWeightDecay ? 1 - o.LearningRate * o.WeightDecay : 1;
                for (int p = 0; p < parameters.Length; p++)
                    AdamStep(parameters[p].Value, parameters[p].Grad, m[p], v[p], scale, o.LearningRate, c1, c2, keep);
            }
            flow.UpdateRunningStatistics(xTrain, cTrain, nTrain);
            double vl = ValidationLoss(flow, xVal, cVal, nVal);
            trainLoss.Add(total / nTrain);
            valLoss.Add(vl);
            progress?.Report((epoch, total / nTrain, vl));
            if (vl < best)
            {
                best = vl;
                bestEpoch = epoch;
                snapshot = parameters.Select(p => (double[])p.Value.Clone()).ToArray();
                snapshotStats = flow.State().Select(s => (double[])s.Clone()).ToArray();
            }
            else if (o.Patience > 0 && epoch - bestEpoch >= o.Patience) break;
        }
        if (snapshot is not null)
        {
            for (int p = 0; p < parameters.Length; p++) snapshot[p].CopyTo(parameters[p].Value, 0);
            int s = 0;
            foreach (var state in flow.State()) snapshotStats![s++].CopyTo(state, 0);
        }
        return new FlowTrainingResult(trainLoss.ToArray(), valLoss.ToArray(), bestEpoch);
    }

    /// <summary>Mean −log p in evaluation mode, ignoring NaN and |log p| ≥ 1000 events.</summary>
    public static double ValidationLoss(IConditionalFlow flow, double[] x, double[] c, int rows)
    {
        var lp = new double[rows];
        flow.EvaluateLogProb(x.AsSpan(0, rows * flow.D), c, lp, default);
        double sum = 0;
        int kept = 0;
        foreach (var v in lp)
        {
            if (double.IsNaN(v) || Math.Abs(v) >= 1000) continue;
            sum -= v;
            kept++;
        }
        return kept > 0 ? sum / kept : double.NaN;
    }

    private const double Beta1 = 0.9, Beta2 = 0.999, AdamEpsilon = 1e-8;

    /// <summary>grad += decay·value; returns Σ grad².</summary>
    internal static double DecayAndSquare(double[] value, double[] grad, double decay)
    {
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<double>.Count;
            var acc = Vector<double>.Zero;
            for (; i + w <= grad.Length; i += w)
            {
                var g = new Vector<double>(grad, i) + decay * new Vector<double>(value, i);
                g.CopyTo(grad, i);
                acc += g * g;
            }
            sum = Vector.Sum(acc);
        }
        for (; i < grad.Length; i++)
        {
            grad[i] += decay * value[i];
            sum += grad[i] * grad[i];
        }
        return sum;
    }

    /// <summary>One Adam update of <paramref name="value"/> with the gradient times <paramref name="scale"/> (bias corrections c1, c2).</summary>
    internal static void AdamStep(double[] value, double[] grad, double[] m, double[] v, double scale, double rate, double c1, double c2, double keep = 1)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<double>.Count;
            for (; i + w <= grad.Length; i += w)
            {
                var g = new Vector<double>(grad, i) * scale;
                var mv = Beta1 * new Vector<double>(m, i) + (1 - Beta1) * g;
                var vv = Beta2 * new Vector<double>(v, i) + (1 - Beta2) * g * g;
                mv.CopyTo(m, i);
                vv.CopyTo(v, i);
                var step = rate * (mv / c1) / (Vector.SquareRoot(vv / c2) + new Vector<double>(AdamEpsilon));
                (keep * new Vector<double>(value, i) - step).CopyTo(value, i);
            }
        }
        for (; i < grad.Length; i++)
        {
            double g = grad[i] * scale;
            m[i] = Beta1 * m[i] + (1 - Beta1) * g;
            v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
            value[i] = keep * value[i] - rate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + AdamEpsilon);
        }
    }

    internal static void Validate(double[] data, int width, string what)
    {
        for (int i = 0; i < data.Length; i++)
            if (!double.IsFinite(data[i]))
                throw new ArgumentException($"The {what} hold {data[i]} at row {i / width + 1}, column {i % width + 1}; flows need finite inputs.");
    }
}
