using System.Numerics.Tensors;

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

    private double[] _masked = [];

    /// <summary>W ⊙ M, refreshed from the current weights (the optimiser changes W between passes).</summary>
    private double[] MaskedWeights()
    {
        if (_masked.Length != Weight.Length) _masked = new double[Weight.Length];
        TensorPrimitives.Multiply(Weight, Mask, _masked);
        return _masked;
    }

    /// <summary>y = (W ⊙ M) x + b; <paramref name="accumulate"/> adds to y instead of overwriting it.</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate = false)
    {
        var w = MaskedWeights();
        if ((long)batch * Inputs * Outputs < 1 << 20)
        {
            ForwardRows(w, x, y, 0, batch, accumulate);
            return;
        }
        // Large batches (evaluation, sampling): rows in parallel chunks; each row's result is the same either way.
        unsafe
        {
            fixed (double* px = x)
            fixed (double* py = y)
            {
                nint xp = (nint)px, yp = (nint)py;
                int xl = x.Length, yl = y.Length;
                Parallel.For(0, (batch + 511) / 512, chunk =>
                {
                    int start = chunk * 512, end = Math.Min(batch, start + 512);
                    ForwardRows(w, new ReadOnlySpan<double>((double*)xp, xl), new Span<double>((double*)yp, yl), start, end, accumulate);
                });
            }
        }
    }

    private void ForwardRows(double[] w, ReadOnlySpan<double> x, Span<double> y, int start, int end, bool accumulate)
    {
        for (int n = start; n < end; n++)
        {
            var xr = x.Slice(n * Inputs, Inputs);
            var yr = y.Slice(n * Outputs, Outputs);
            for (int o = 0; o < Outputs; o++)
            {
                double v = (HasBias ? Bias[o] : 0) + TensorPrimitives.Dot(w.AsSpan(o * Inputs, Inputs), xr);
                yr[o] = accumulate ? yr[o] + v : v;
            }
        }
    }

    /// <summary>Accumulates dW, db from dy and x; writes (or adds, with <paramref name="accumulateDx"/>) dx when given.</summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> dy, Span<double> dx, int batch, bool accumulateDx = false)
    {
        var w = MaskedWeights();
        // dW accumulates unmasked here and is masked once at the end: masked entries must stay exactly zero.
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
                var gradRow = WeightGrad.AsSpan(o * Inputs, Inputs);
                TensorPrimitives.MultiplyAdd(xr, g, gradRow, gradRow);
                if (!dx.IsEmpty) TensorPrimitives.MultiplyAdd(w.AsSpan(o * Inputs, Inputs), g, dxr, dxr);
            }
        }
        TensorPrimitives.Multiply(WeightGrad, Mask, WeightGrad);
    }

    /// <summary>Zeroes the accumulated gradients.</summary>
    public void ZeroGrad()
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
    }
}
