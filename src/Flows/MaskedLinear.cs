using System.Numerics;
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

    /// <summary>Each layer's (W, dW), then (b, db) where it has a bias: the parameter order of the MADEs and their files.</summary>
    public static IEnumerable<(double[] Value, double[] Grad)> ParametersOf(IEnumerable<MaskedLinear> layers)
    {
        foreach (var l in layers)
        {
            yield return (l.Weight, l.WeightGrad);
            if (l.HasBias) yield return (l.Bias, l.BiasGrad);
        }
    }

    private double[] _masked = [], _transposed = [], _scratch = [];
    private static readonly double[] Ones = [1.0];

    /// <summary>
    /// Form the wide products of <see cref="Forward(ReadOnlySpan{double}, Span{double}, int, bool)"/> and
    /// <see cref="Backward"/> in single precision (see <see cref="SmallGemm.MultiplyAddSingle"/>); parameters,
    /// activations and gradients stay double. Off by default; <see cref="FlowTrainer"/> turns it on while it trains
    /// when <see cref="FlowTrainingOptions.SinglePrecisionProducts"/> is set.
    /// </summary>
    public bool SinglePrecisionProducts { get; set; }

    /// <summary>C += AB, or C = AB with <paramref name="overwrite"/> (the double tiles then start from zero instead of a cleared C: the same bits, one pass over C fewer).</summary>
    private void Product(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc, int rows, int cols, int depth,
        bool parallel = true, bool overwrite = false)
    {
        if (SinglePrecisionProducts)
        {
            // The single-precision product adds its widened result to C, so C = AB clears C first (as it always did).
            if (overwrite) ClearRows(c, ldc, rows, cols);
            SmallGemm.MultiplyAddSingle(a, ars, acs, b, ldb, c, ldc, rows, cols, depth, parallel);
        }
        else SmallGemm.MultiplyAdd(a, ars, acs, b, ldb, c, ldc, rows, cols, depth, parallel, overwrite);
    }

    private static void ClearRows(Span<double> c, int ldc, int rows, int cols)
    {
        if (ldc == cols) c[..(rows * cols)].Clear();
        else for (int m = 0; m < rows; m++) c.Slice(m * ldc, cols).Clear();
    }

    /// <summary>W ⊙ M [out × in], refreshed from the current weights (the optimiser changes W between passes).</summary>
    private double[] MaskedWeights()
    {
        if (_masked.Length != Weight.Length) _masked = new double[Weight.Length];
        TensorPrimitives.Multiply(Weight, Mask, _masked);
        return _masked;
    }

    /// <summary>(W ⊙ M)ᵀ [in × out], refreshed from the current weights.</summary>
    internal double[] MaskedWeightsTransposed()
    {
        if (_transposed.Length != Weight.Length) _transposed = new double[Weight.Length];
        for (int o = 0; o < Outputs; o++)
            for (int i = 0; i < Inputs; i++) _transposed[i * Outputs + o] = Weight[o * Inputs + i] * Mask[o * Inputs + i];
        return _transposed;
    }

    /// <summary>y = (W ⊙ M) x + b; <paramref name="accumulate"/> adds to y instead of overwriting it.</summary>
    public void Forward(ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate = false) =>
        Forward(MaskedWeightsTransposed(), x, y, batch, accumulate, parallel: true);

    /// <summary>
    /// <see cref="Forward(ReadOnlySpan{double}, Span{double}, int, bool)"/> with (W ⊙ M)ᵀ already formed by
    /// <see cref="MaskedWeightsTransposed"/> (so that several threads can share it).
    /// </summary>
    internal void Forward(double[] wt, ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate, bool parallel)
    {
        // The bias as a product with a column of ones: y = 1·bᵀ (+ y) in vector tiles rather than row by row.
        if (HasBias) SmallGemm.MultiplyAdd<double>(Ones, 0, 0, Bias, Outputs, y, Outputs, batch, Outputs, 1, parallel: false, overwrite: !accumulate);
        else if (!accumulate) y[..(batch * Outputs)].Clear();
        Product(x, Inputs, 1, wt, Outputs, y, Outputs, batch, Outputs, Inputs, parallel);
    }

    /// <summary>
    /// The reference forward pass (row by row, dot products of the masked rows): the definition the blocked
    /// <see cref="Forward(ReadOnlySpan{double}, Span{double}, int, bool)"/> is tested against.
    /// </summary>
    internal void ForwardReference(ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate = false)
    {
        var w = MaskedWeights();
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * Inputs, Inputs);
            var yr = y.Slice(n * Outputs, Outputs);
            for (int o = 0; o < Outputs; o++)
            {
                double v = HasBias ? Bias[o] : 0;
                for (int i = 0; i < Inputs; i++) v += w[o * Inputs + i] * xr[i];
                yr[o] = accumulate ? yr[o] + v : v;
            }
        }
    }

    /// <summary>Accumulates dW, db from dy and x; writes (or adds, with <paramref name="accumulateDx"/>) dx when given.</summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> dy, Span<double> dx, int batch, bool accumulateDx = false)
    {
        if (HasBias) SmallGemm.MultiplyAdd<double>(Ones, 0, 0, dy, Outputs, BiasGrad, Outputs, 1, Outputs, batch, parallel: false);   // db += 1ᵀ dy
        bool narrow = Inputs < 2 * Vector<double>.Count;
        if (!dx.IsEmpty)
        {
            if (!narrow) Product(dy, Outputs, 1, MaskedWeights(), Inputs, dx, Inputs, batch, Inputs, Outputs, overwrite: !accumulateDx);
            else
            {
                if (!accumulateDx) dx[..(batch * Inputs)].Clear();
                // Few inputs (the first MADE layer, the condition layer): one dot product of length Outputs per input.
                var wt = MaskedWeightsTransposed();
                for (int n = 0; n < batch; n++)
                {
                    var dyr = dy.Slice(n * Outputs, Outputs);
                    for (int i = 0; i < Inputs; i++) dx[n * Inputs + i] += TensorPrimitives.Dot(dyr, wt.AsSpan(i * Outputs, Outputs));
                }
            }
        }
        // dW = dyᵀ x accumulates unmasked here and is masked once at the end: masked entries must stay exactly zero.
        if (!narrow) Product(dy, 1, Outputs, x, Inputs, WeightGrad, Inputs, Outputs, Inputs, batch);
        else
        {
            // dWᵀ = xᵀ dy has the wide dimension (Outputs) along the vectors.
            if (_scratch.Length != Weight.Length) _scratch = new double[Weight.Length];
            Array.Clear(_scratch);
            Product(x, 1, Inputs, dy, Outputs, _scratch, Outputs, Inputs, Outputs, batch);
            for (int o = 0; o < Outputs; o++)
                for (int i = 0; i < Inputs; i++) WeightGrad[o * Inputs + i] += _scratch[i * Outputs + o];
        }
        TensorPrimitives.Multiply(WeightGrad, Mask, WeightGrad);
    }

    /// <summary>The reference backward pass (row by row): the definition the blocked <see cref="Backward"/> is tested against.</summary>
    internal void BackwardReference(ReadOnlySpan<double> x, ReadOnlySpan<double> dy, Span<double> dx, int batch, bool accumulateDx = false)
    {
        var w = MaskedWeights();
        for (int n = 0; n < batch; n++)
        {
            var xr = x.Slice(n * Inputs, Inputs);
            var dyr = dy.Slice(n * Outputs, Outputs);
            var dxr = dx.IsEmpty ? default : dx.Slice(n * Inputs, Inputs);
            if (!dx.IsEmpty && !accumulateDx) dxr.Clear();
            for (int o = 0; o < Outputs; o++)
            {
                double g = dyr[o];
                if (HasBias) BiasGrad[o] += g;
                for (int i = 0; i < Inputs; i++)
                {
                    WeightGrad[o * Inputs + i] += g * xr[i];
                    if (!dx.IsEmpty) dxr[i] += g * w[o * Inputs + i];
                }
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
