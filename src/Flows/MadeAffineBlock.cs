using System.Numerics;
using System.Numerics.Tensors;

namespace FastAD.Flows;

/// <summary>
/// One MADE block of SPEC 1.3 (pytorch-flows style) with the affine transform data → noise:
/// h1 = tanh(M1 x + W_c c + b1), h2 = tanh(M2 h1 + b2), (m, a) = M3 h2 + b3 split in halves,
/// u = (x − m)·exp(−a), log|det ∂u/∂x| = −Σ a. Forward, backward (hand-derived, checked against finite
/// differences in the tests) and the D-pass inverse for sampling. Batches are row-major [batch × width].
/// </summary>
public sealed class MadeAffineBlock
{
    /// <summary>Creates a block for D features, C conditions and H hidden units (weights zero; see <see cref="Layers"/>).</summary>
    public MadeAffineBlock(int features, int conditions, int hidden)
    {
        if (features < 1 || conditions < 0 || hidden < 1) throw new ArgumentOutOfRangeException(nameof(features), "Sizes must be positive.");
        D = features;
        C = conditions;
        H = hidden;
        Input = new MaskedLinear(D, H, MadeMasks.InputToHidden(D, H));
        Condition = C > 0 ? new MaskedLinear(C, H, bias: false) : null;
        Hidden = new MaskedLinear(H, H, MadeMasks.HiddenToHidden(D, H));
        Output = new MaskedLinear(H, 2 * D, MadeMasks.HiddenToOutput(D, H));
    }

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>Hidden units H.</summary>
    public int H { get; }
    /// <summary>Masked D → H.</summary>
    public MaskedLinear Input { get; }
    /// <summary>Bias-free C → H (null without conditions).</summary>
    public MaskedLinear? Condition { get; }
    /// <summary>Masked H → H.</summary>
    public MaskedLinear Hidden { get; }
    /// <summary>Masked H → 2D (shifts m, then log-scales a).</summary>
    public MaskedLinear Output { get; }

    /// <summary>Every layer, for optimisers and initialisation.</summary>
    public IEnumerable<MaskedLinear> Layers => Condition is null ? [Input, Hidden, Output] : [Input, Condition, Hidden, Output];

    /// <summary>Intermediate values of a forward pass, kept for the backward pass (and its scratch).</summary>
    public sealed class Cache(int batch, int d, int h)
    {
        internal readonly double[] H1 = new double[batch * h], H2 = new double[batch * h], Out = new double[batch * 2 * d];
        internal readonly double[] Scale = new double[batch * d], DOut = new double[batch * 2 * d], DH2 = new double[batch * h], DH1 = new double[batch * h];
        internal int Batch = batch;
    }

    /// <summary>Creates a cache for a batch size.</summary>
    public Cache NewCache(int batch) => new(batch, D, H);

    /// <summary>(W ⊙ M)ᵀ of every layer, formed once so that several threads can run the network on it.</summary>
    internal readonly record struct Prepared(double[] Input, double[]? Condition, double[] Hidden, double[] Output);

    /// <summary>Forms the masked, transposed weights from the current parameters.</summary>
    internal Prepared Prepare() => new(Input.MaskedWeightsTransposed(), Condition?.MaskedWeightsTransposed(), Hidden.MaskedWeightsTransposed(), Output.MaskedWeightsTransposed());

    private void Network(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int batch, Cache cache, Prepared w, bool parallel)
    {
        var h1 = cache.H1.AsSpan(0, batch * H);
        var h2 = cache.H2.AsSpan(0, batch * H);
        Input.Forward(w.Input, x, h1, batch, accumulate: false, parallel);
        Condition?.Forward(w.Condition!, c, h1, batch, accumulate: true, parallel);
        TensorPrimitives.Tanh(h1, h1);
        Hidden.Forward(w.Hidden, h1, h2, batch, accumulate: false, parallel);
        TensorPrimitives.Tanh(h2, h2);
        Output.Forward(w.Output, h2, cache.Out, batch, accumulate: false, parallel);
    }

    /// <summary>u = (x − m)·exp(−a) and logdet[n] = −Σ a for a batch.</summary>
    public void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> u, Span<double> logDet, int batch, Cache cache) =>
        Forward(x, c, u, logDet, batch, cache, Prepare(), parallel: true);

    /// <summary><see cref="Forward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, int, Cache)"/> on prepared weights.</summary>
    internal void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> u, Span<double> logDet, int batch, Cache cache, Prepared w, bool parallel)
    {
        Network(x, c, batch, cache, w, parallel);
        var o = cache.Out;
        var scale = cache.Scale.AsSpan(0, batch * D);
        for (int n = 0; n < batch; n++)
        {
            double ld = 0;
            for (int d = 0; d < D; d++)
            {
                double a = o[n * 2 * D + D + d];
                scale[n * D + d] = -a;
                ld -= a;
            }
            logDet[n] = ld;
        }
        TensorPrimitives.Exp(scale, scale);
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++) u[n * D + d] = (x[n * D + d] - o[n * 2 * D + d]) * scale[n * D + d];
    }

    /// <summary>
    /// Back-propagates dL/du and dL/dlogdet through the block after <see cref="Forward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, int, Cache)"/>
    /// on the same inputs (with its <paramref name="u"/>): accumulates parameter gradients and writes dL/dx and dL/dc.
    /// </summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> u, ReadOnlySpan<double> du, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, Cache cache)
    {
        var dOut = cache.DOut.AsSpan(0, batch * 2 * D);
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++)
            {
                double g = du[n * D + d], scale = cache.Scale[n * D + d];
                dOut[n * 2 * D + d] = -g * scale;                               // ∂u/∂m = −exp(−a)
                dOut[n * 2 * D + D + d] = -g * u[n * D + d] - dLogDet[n];       // ∂u/∂a = −u, ∂logdet/∂a = −1
                dx[n * D + d] = g * scale;                                      // direct path ∂u/∂x
            }
        var dH2 = cache.DH2.AsSpan(0, batch * H);
        var dH1 = cache.DH1.AsSpan(0, batch * H);
        Output.Backward(cache.H2, dOut, dH2, batch);
        VectorMath.TanhBackward(dH2, cache.H2.AsSpan(0, batch * H));
        Hidden.Backward(cache.H1, dH2, dH1, batch);
        VectorMath.TanhBackward(dH1, cache.H1.AsSpan(0, batch * H));
        Input.Backward(x, dH1, dx, batch, accumulateDx: true);
        if (Condition is not null) Condition.Backward(c, dH1, dc, batch);
    }

    /// <summary>
    /// x from u (sampling direction): x_d = u_d·exp(a_d) + m_d dimension by dimension, since the outputs of
    /// dimension d depend only on x_&lt;d. Each hidden unit is computed once, in the first pass where its inputs
    /// are known (see <see cref="SamplingPlan{T}"/>).
    /// </summary>
    public void Inverse(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        var plan = new SamplingPlan<double>(this);
        var scratch = plan.NewScratch(Math.Min(batch, SamplingPlan<double>.ChunkRows));
        for (int start = 0; start < batch; start += SamplingPlan<double>.ChunkRows)
        {
            int rows = Math.Min(SamplingPlan<double>.ChunkRows, batch - start);
            plan.Inverse(u.Slice(start * D, rows * D), C > 0 ? c.Slice(start * C, rows * C) : default, x.Slice(start * D, rows * D), rows, scratch);
        }
    }

    /// <summary>The reference inverse: D full network passes, pass d fixing x_d (what <see cref="Inverse"/> is tested against).</summary>
    internal void InverseReference(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        x[..(batch * D)].Clear();
        for (int d = 0; d < D; d++)
        {
            Network(x, c, batch, cache, Prepare(), parallel: false);
            for (int n = 0; n < batch; n++)
            {
                double m = cache.Out[n * 2 * D + d], a = cache.Out[n * 2 * D + D + d];
                x[n * D + d] = u[n * D + d] * Math.Exp(a) + m;
            }
        }
    }

    /// <summary>
    /// The inverse pass reorganised by when each hidden unit becomes computable: a first-layer unit needs the
    /// inputs it is connected to (x_i is known after pass i), a second-layer unit the first-layer units it is
    /// connected to, and pass d needs the second-layer units feeding the outputs of dimension d. Units are
    /// grouped by the pass that first allows them (later-ready units are never needed) and the masked weights
    /// gathered into dense transposed blocks, each group padded to whole vectors and each layer's input led by
    /// a constant 1 that carries the bias. Pass p then runs three products with tanh fused in: the new
    /// first-layer group from (1, c, x_&lt;p), the new second-layer group from the first-layer groups so far, and
    /// (m_p, a_p) from the second-layer groups so far — one network evaluation per row in total instead of D,
    /// without most of the masked zeros.
    /// </summary>
    internal sealed class SamplingPlan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Rows per chunk of work (the scratch of one chunk stays in cache).</summary>
        public const int ChunkRows = 256;

        private readonly int _d, _c, _kx, _n1, _n2, _p;
        private readonly int[] _o1, _o2, _g1, _g2;       // padded group offsets and widths per pass
        private readonly T[] _w1, _w2, _w3;         // [(1+C+D) × n1], [(1+n1) × n2], [(1+n2) × D·P]; row 0 = bias

        public SamplingPlan(MadeAffineBlock block)
        {
            int d = block.D, h = block.H, c = block.C, pad = Math.Max(Vector<T>.Count, 1);
            _d = d;
            _c = c;
            _kx = 1 + c + d;
            _p = Math.Max(2, pad);
            var w1 = Masked(block.Input);
            var w2 = Masked(block.Hidden);
            var w3 = Masked(block.Output);
            var ready1 = new int[h];
            for (int j = 0; j < h; j++)
                for (int i = 0; i < d; i++)
                    if (w1[j * d + i] != 0) ready1[j] = Math.Max(ready1[j], i + 1);
            var ready2 = new int[h];
            for (int j = 0; j < h; j++)
                for (int i = 0; i < h; i++)
                    if (w2[j * h + i] != 0) ready2[j] = Math.Max(ready2[j], ready1[i]);
            var pos1 = Layout(ready1, d, pad, out _o1, out _g1, out _n1);
            var pos2 = Layout(ready2, d, pad, out _o2, out _g2, out _n2);
            var w1p = new double[_kx * _n1];
            var wc = block.Condition?.Weight;
            for (int j = 0; j < h; j++)
            {
                int k = pos1[j];
                if (k < 0) continue;
                w1p[k] = block.Input.Bias[j];
                for (int i = 0; i < c; i++) w1p[(1 + i) * _n1 + k] = wc![j * c + i];
                for (int i = 0; i < d; i++) w1p[(1 + c + i) * _n1 + k] = w1[j * d + i];
            }
            var w2p = new double[(1 + _n1) * _n2];
            for (int j = 0; j < h; j++)
            {
                int k = pos2[j];
                if (k < 0) continue;
                w2p[k] = block.Hidden.Bias[j];
                for (int i = 0; i < h; i++)
                    if (w2[j * h + i] != 0) w2p[(1 + pos1[i]) * _n2 + k] = w2[j * h + i];
            }
            var w3p = new double[(1 + _n2) * d * _p];
            for (int dim = 0; dim < d; dim++)
                for (int half = 0; half < 2; half++)
                {
                    int row = half * d + dim, col = dim * _p + half;
                    w3p[col] = block.Output.Bias[row];
                    for (int i = 0; i < h; i++)
                    {
                        if (w3[row * h + i] == 0) continue;
                        if (ready2[i] > dim)
                            throw new InvalidOperationException($"The MADE masks are not autoregressive: output {row} sees hidden unit {i}, which needs x_{ready2[i] - 1}.");
                        w3p[(1 + pos2[i]) * d * _p + col] = w3[row * h + i];
                    }
                }
            _w1 = Convert(w1p);
            _w2 = Convert(w2p);
            _w3 = Convert(w3p);
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
        public T[][] NewScratch(int rows)
        {
            var xa = new T[rows * _kx];
            var h1 = new T[rows * (1 + _n1)];
            var h2 = new T[rows * (1 + _n2)];
            for (int r = 0; r < rows; r++)
            {
                xa[r * _kx] = T.One;
                h1[r * (1 + _n1)] = T.One;
                h2[r * (1 + _n2)] = T.One;
            }
            return [xa, h1, h2, new T[rows * _p], new T[rows]];
        }

        /// <summary>x from u for <paramref name="rows"/> rows (at most the scratch's rows).</summary>
        public void Inverse(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int rows, T[][] scratch)
        {
            int d = _d, kx = _kx, l1 = 1 + _n1, l2 = 1 + _n2;
            T[] xa = scratch[0], h1 = scratch[1], h2 = scratch[2], ma = scratch[3], e = scratch[4];
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < _c; i++) xa[r * kx + 1 + i] = T.CreateTruncating(c[r * _c + i]);
                for (int i = 0; i < d; i++) xa[r * kx + 1 + _c + i] = T.Zero;
            }
            for (int p = 0; p < d; p++)
            {
                if (_g1[p] > 0)
                    SmallGemm.MultiplyAdd(xa, kx, 1, _w1.AsSpan(_o1[p]), _n1, h1.AsSpan(1 + _o1[p]), l1, rows, _g1[p], 1 + _c + p,
                        parallel: false, overwrite: true, tanh: true);
                if (_g2[p] > 0)
                    SmallGemm.MultiplyAdd(h1, l1, 1, _w2.AsSpan(_o2[p]), _n2, h2.AsSpan(1 + _o2[p]), l2, rows, _g2[p], 1 + _o1[p + 1],
                        parallel: false, overwrite: true, tanh: true);
                SmallGemm.MultiplyAdd(h2, l2, 1, _w3.AsSpan(p * _p), d * _p, ma, _p, rows, _p, 1 + _o2[p + 1], parallel: false, overwrite: true);
                for (int r = 0; r < rows; r++) e[r] = ma[r * _p + 1];
                TensorPrimitives.Exp<T>(e.AsSpan(0, rows), e.AsSpan(0, rows));
                for (int r = 0; r < rows; r++)
                {
                    double v = u[r * d + p] * double.CreateTruncating(e[r]) + double.CreateTruncating(ma[r * _p]);
                    x[r * d + p] = v;
                    xa[r * kx + 1 + _c + p] = T.CreateTruncating(v);
                }
            }
        }
    }
}
