namespace FastAD.Flows;

/// <summary>
/// y = (W ⊙ M) x + b over a batch (rows of x), with hand-written backward: dW = (dyᵀ x) ⊙ M, db = Σ dy,
/// dx = dy (W ⊙ M). Row-major: W and M are [out × in], x is [batch × in], y is [batch × out].
/// A mask of all ones (or null) gives a plain dense layer; <see cref="HasBias"/> false drops b.
/// </summary>
public sealed class MaskedLinear
{
    /// <summary>Creates the layer with zero weights.</summary>
    public MaskedLinear(int inputs, int outputs, double[]? mask = null, bool bias = true)
    {
        if (inputs < 1 || outputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), "Layer sizes must be positive.");
        if (mask is not null && mask.Length != inputs * outputs) throw new ArgumentException($"Mask has {mask.Length} entries; expected {outputs} × {inputs}.");
        Inputs = inputs;
        Outputs = outputs;
        Mask = mask ?? Enumerable.Repeat(1.0, inputs * outputs).ToArray();
        Weight = new double[inputs * outputs];
        Bias = new double[bias ? outputs : 0];
        WeightGrad = new double[inputs * outputs];
        BiasGrad = new double[Bias.Length];
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }
    /// <summary>Output width.</summary>
    public int Outputs { get; }
    /// <summary>Mask [out × in].</summary>
    public double[] Mask { get; }
    /// <summary>Weights [out × in] (masked entries are kept at zero effect).</summary>
    public double[] Weight { get; }
    /// <summary>Bias [out] (empty without bias).</summary>
    public double[] Bias { get; }
    /// <summary>Accumulated dL/dW.</summary>
    public double[] WeightGrad { get; }
    /// <summary>Accumulated dL/db.</summary>
    public double[] BiasGrad { get; }
    /// <summary>True when the layer has a bias.</summary>
    public bool HasBias => Bias.Length > 0;

    /// <summary>y = (W ⊙ M) x + b; <paramref name="accumulate"/> adds to y instead of overwriting it.</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate = false)
    {
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * Inputs, Inputs);
            var yr = y.Slice(n * Outputs, Outputs);
            for (int o = 0; o < Outputs; o++)
            {
                double v = HasBias ? Bias[o] : 0;
                int row = o * Inputs;
                for (int i = 0; i < Inputs; i++) v += Weight[row + i] * Mask[row + i] * xr[i];
                yr[o] = accumulate ? yr[o] + v : v;
            }
        }
    }

    /// <summary>Accumulates dW, db from dy and x; writes (or adds, with <paramref name="accumulateDx"/>) dx when given.</summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> dy, Span<double> dx, int batch, bool accumulateDx = false)
    {
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * Inputs, Inputs);
            var dyr = dy.Slice(n * Outputs, Outputs);
            var dxr = dx.IsEmpty ? default : dx.Slice(n * Inputs, Inputs);
            if (!dx.IsEmpty && !accumulateDx) dxr.Clear();
            for (int o = 0; o < Outputs; o++)
            {
                double g = dyr[o];
                if (g == 0) continue;
                if (HasBias) BiasGrad[o] += g;
                int row = o * Inputs;
                for (int i = 0; i < Inputs; i++)
                {
                    double m = Mask[row + i];
                    if (m == 0) continue;
                    WeightGrad[row + i] += g * xr[i] * m;
                    if (!dx.IsEmpty) dxr[i] += g * Weight[row + i] * m;
                }
            }
        }
    }

    /// <summary>Zeroes the accumulated gradients.</summary>
    public void ZeroGrad()
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
    }
}
