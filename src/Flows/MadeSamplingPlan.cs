using System.Numerics;
using System.Numerics.Tensors;

namespace FastAD.Flows;

/// <summary>What follows a MADE layer in a <see cref="MadeSamplingPlan{T}"/>.</summary>
internal enum MadeActivation
{
    /// <summary>Nothing (nflows' initial layer).</summary>
    None,

    /// <summary>tanh (SPEC 1.3).</summary>
    Tanh,

    /// <summary>relu (nflows' hidden layers).</summary>
    Relu,
}

/// <summary>
/// The inverse pass (sampling) of a MADE block reorganised by when each hidden unit becomes computable: a first-layer
/// unit needs the inputs it is connected to (x_i is known after pass i), a unit of a later layer the units of the layer
/// before it is connected to, and pass d needs the last layer's units feeding the outputs of dimension d. Units are grouped
/// by the pass that first allows them (later-ready units are never needed) and the masked weights gathered into dense
/// transposed blocks, each group padded to whole vectors and each layer's input led by a constant 1 that carries the bias.
/// Pass p then runs one product per layer (activation fused or applied to the new group only) for the units that pass p
/// newly allows, one for the P parameters of dimension p, and the elementwise inverse of dimension p (all rows at once) — one network
/// evaluation per row in total instead of D, without most of the masked zeros. Used by <see cref="TanhMadeBlock"/> (one
/// tanh hidden layer after the first, exp-affine transform) and <see cref="NflowsMadeBlock"/> (relu layers, any transform).
/// </summary>
internal sealed class MadeSamplingPlan<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows per chunk of work (the scratch of one chunk stays in cache).</summary>
    public const int ChunkRows = 256;

    /// <summary>One hidden layer: per pass the padded offset and width of its new units, the total width, [(1 + inputs) × width] weights (row 0 = bias).</summary>
    private sealed record Stage(int[] Offsets, int[] Widths, int Width, T[] Weights, MadeActivation Activation);

    private readonly int _d, _c, _kx, _p, _stride;
    private readonly Stage[] _stages;
    private readonly T[] _out;                      // [(1 + last width) × D·stride]: dimension d's P parameters in columns d·stride …
    private readonly ElementwiseTransform _transform;

    /// <summary>
    /// A plan for a MADE of D features and C conditions: h₀ = act₀(M₀ x + W_c c + b₀ (+ b_c)), h_l = act(M_l h_{l−1} + b_l)
    /// for every layer of <paramref name="hidden"/>, θ = M_out h_L + b_out with parameter k of dimension d at
    /// <paramref name="layout"/>.Index(0, d, k), then <paramref name="transform"/>'s inverse.
    /// </summary>
    public MadeSamplingPlan(int features, int conditions, MaskedLinear input, MaskedLinear? condition, IReadOnlyList<MaskedLinear> hidden,
        MadeActivation first, MadeActivation activation, MaskedLinear output, ParameterLayout layout, ElementwiseTransform transform)
    {
        int d = features, c = conditions, pad = Math.Max(Vector<T>.Count, 1);
        _d = d;
        _c = c;
        _kx = 1 + c + d;
        _p = transform.ParametersPerDimension;
        _stride = (_p + pad - 1) / pad * pad;
        _transform = transform;
        _stages = new Stage[1 + hidden.Count];

        // The first layer reads (1, c, x): x_i becomes known after pass i.
        int h = input.Outputs;
        var w = Masked(input);
        var ready = new int[h];
        for (int j = 0; j < h; j++)
            for (int i = 0; i < d; i++)
                if (w[j * d + i] != 0) ready[j] = Math.Max(ready[j], i + 1);
        var pos = Layout(ready, d, pad, out var offsets, out var widths, out int width);
        var packed = new double[_kx * width];
        for (int j = 0; j < h; j++)
        {
            int k = pos[j];
            if (k < 0) continue;
            packed[k] = input.Bias[j] + (condition is { HasBias: true } ? condition.Bias[j] : 0);
            for (int i = 0; i < c; i++) packed[(1 + i) * width + k] = condition!.Weight[j * c + i];
            for (int i = 0; i < d; i++) packed[(1 + c + i) * width + k] = w[j * d + i];
        }
        _stages[0] = new Stage(offsets, widths, width, Convert(packed), first);

        // Each later layer reads the previous one's units, in their columns.
        for (int l = 0; l < hidden.Count; l++)
        {
            var layer = hidden[l];
            int inputs = layer.Inputs, units = layer.Outputs, previousWidth = width;
            var previousPos = pos;
            var previousReady = ready;
            w = Masked(layer);
            ready = new int[units];
            for (int j = 0; j < units; j++)
                for (int i = 0; i < inputs; i++)
                    if (w[j * inputs + i] != 0) ready[j] = Math.Max(ready[j], previousReady[i]);
            pos = Layout(ready, d, pad, out offsets, out widths, out width);
            packed = new double[(1 + previousWidth) * width];
            for (int j = 0; j < units; j++)
            {
                int k = pos[j];
                if (k < 0) continue;
                packed[k] = layer.Bias[j];
                for (int i = 0; i < inputs; i++)
                    if (w[j * inputs + i] != 0) packed[(1 + previousPos[i]) * width + k] = w[j * inputs + i];
            }
            _stages[1 + l] = new Stage(offsets, widths, width, Convert(packed), activation);
        }

        // The output layer: dimension dim's P parameters from the last layer's units that pass dim allows.
        w = Masked(output);
        int last = output.Inputs;
        var outPacked = new double[(1 + width) * d * _stride];
        for (int dim = 0; dim < d; dim++)
            for (int k = 0; k < _p; k++)
            {
                int row = layout.Index(0, dim, k), col = dim * _stride + k;
                outPacked[col] = output.Bias[row];
                for (int i = 0; i < last; i++)
                {
                    if (w[row * last + i] == 0) continue;
                    if (ready[i] > dim)
                        throw new InvalidOperationException($"The MADE masks are not autoregressive: output {row} sees hidden unit {i}, which needs x_{ready[i] - 1}.");
                    outPacked[(1 + pos[i]) * d * _stride + col] = w[row * last + i];
                }
            }
        _out = Convert(outPacked);
    }

    private static T[] Convert(double[] v) => v.Select(T.CreateTruncating).ToArray();

    private static double[] Masked(MaskedLinear layer)
    {
        var w = new double[layer.Weight.Length];
        TensorPrimitives.Multiply(layer.Weight, layer.Mask, w);
        return w;
    }

    /// <summary>
    /// Column of each unit (−1: never needed) with units grouped by ready pass, each group padded to a
    /// multiple of <paramref name="pad"/>; offsets[p], widths[p] per pass, total padded width.
    /// </summary>
    private static int[] Layout(int[] ready, int d, int pad, out int[] offsets, out int[] widths, out int total)
    {
        var pos = Enumerable.Repeat(-1, ready.Length).ToArray();
        offsets = new int[d + 1];
        widths = new int[d];
        int at = 0;
        for (int p = 0; p < d; p++)
        {
            offsets[p] = at;
            int count = 0;
            for (int j = 0; j < ready.Length; j++)
                if (ready[j] == p) pos[j] = at + count++;
            widths[p] = (count + pad - 1) / pad * pad;
            at += widths[p];
        }
        offsets[d] = at;
        total = Math.Max(at, 1);
        return pos;
    }

    /// <summary>Per-thread buffers for chunks of up to <paramref name="rows"/> rows.</summary>
    public Scratch NewScratch(int rows) => new(this, rows);

    /// <summary>The buffers of one chunk: the inputs (1, c, x), each layer's (1, units), the parameters of one dimension.</summary>
    internal sealed class Scratch
    {
        internal Scratch(MadeSamplingPlan<T> plan, int rows)
        {
            Rows = rows;
            Inputs = new T[rows * plan._kx];
            Layers = plan._stages.Select(s => new T[rows * (1 + s.Width)]).ToArray();
            for (int r = 0; r < rows; r++)
            {
                Inputs[r * plan._kx] = T.One;
                for (int l = 0; l < Layers.Length; l++) Layers[l][r * (1 + plan._stages[l].Width)] = T.One;
            }
            Parameters = new T[rows * plan._stride];
            Exp = new T[rows];
            bool general = plan._transform is not ExpAffineTransform;
            Columns = general ? new double[rows * plan._p] : [];
            Work = general ? new double[rows * Math.Max(plan._d * plan._p, plan._p + 3)] : [];
        }

        internal readonly int Rows;
        internal readonly T[] Inputs, Parameters, Exp;
        internal readonly T[][] Layers;
        internal readonly double[] Columns, Work;
    }

    /// <summary>x from u for a batch of any size, chunk by chunk on the calling thread (the blocks' <c>Inverse</c>).</summary>
    public void InverseInChunks(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch)
    {
        var scratch = NewScratch(Math.Min(batch, ChunkRows));
        for (int start = 0; start < batch; start += ChunkRows)
        {
            int rows = Math.Min(ChunkRows, batch - start);
            Inverse(u.Slice(start * _d, rows * _d), _c > 0 ? c.Slice(start * _c, rows * _c) : default, x.Slice(start * _d, rows * _d), rows, scratch);
        }
    }

    /// <summary>x from u for <paramref name="rows"/> rows (at most the scratch's rows).</summary>
    public void Inverse(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int rows, Scratch scratch)
    {
        if (rows > scratch.Rows) throw new ArgumentException($"{rows} rows for scratch of {scratch.Rows}.");
        int d = _d, kx = _kx;
        var xa = scratch.Inputs;
        var ma = scratch.Parameters;
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < _c; i++) xa[r * kx + 1 + i] = T.CreateTruncating(c[r * _c + i]);
            for (int i = 0; i < d; i++) xa[r * kx + 1 + _c + i] = T.Zero;
        }
        for (int p = 0; p < d; p++)
        {
            T[] below = xa;
            int belowStride = kx, depth = 1 + _c + p;
            for (int l = 0; l < _stages.Length; l++)
            {
                var s = _stages[l];
                var h = scratch.Layers[l];
                int stride = 1 + s.Width;
                if (s.Widths[p] > 0)
                {
                    SmallGemm.MultiplyAdd(below, belowStride, 1, s.Weights.AsSpan(s.Offsets[p]), s.Width, h.AsSpan(1 + s.Offsets[p]), stride, rows, s.Widths[p], depth,
                        parallel: false, overwrite: true, tanh: s.Activation == MadeActivation.Tanh);
                    if (s.Activation == MadeActivation.Relu)
                        for (int r = 0; r < rows; r++)
                        {
                            var group = h.AsSpan(r * stride + 1 + s.Offsets[p], s.Widths[p]);
                            TensorPrimitives.Max(group, T.Zero, group);
                        }
                }
                below = h;
                belowStride = stride;
                depth = 1 + s.Offsets[p + 1];
            }
            SmallGemm.MultiplyAdd(below, belowStride, 1, _out.AsSpan(p * _stride), d * _stride, ma, _stride, rows, _stride, depth, parallel: false, overwrite: true);
            InvertDimension(u, x, p, rows, scratch);
            for (int r = 0; r < rows; r++) xa[r * kx + 1 + _c + p] = T.CreateTruncating(x[r * d + p]);
        }
    }

    /// <summary>x_p from u_p and dimension p's parameters (in the scratch): the exp-affine map vectorised, any other transform through its own inverse.</summary>
    private void InvertDimension(ReadOnlySpan<double> u, Span<double> x, int p, int rows, Scratch scratch)
    {
        int d = _d;
        var ma = scratch.Parameters;
        if (_transform is ExpAffineTransform)
        {
            var e = scratch.Exp;
            for (int r = 0; r < rows; r++) e[r] = ma[r * _stride + 1];
            TensorPrimitives.Exp<T>(e.AsSpan(0, rows), e.AsSpan(0, rows));
            for (int r = 0; r < rows; r++) x[r * d + p] = u[r * d + p] * double.CreateTruncating(e[r]) + double.CreateTruncating(ma[r * _stride]);
            return;
        }
        // Parameter-major, so that the transform can work on all rows at once.
        var columns = scratch.Columns.AsSpan(0, rows * _p);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < _p; k++) columns[k * rows + r] = double.CreateTruncating(ma[r * _stride + k]);
        _transform.InverseColumns(u, columns, d, p, x, rows, scratch.Work);
    }
}
