using System.Numerics;
using System.Numerics.Tensors;

namespace FastAD.Flows;

public sealed partial class TanhMadeBlock
{
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

        public SamplingPlan(TanhMadeBlock block)
        {
            if (block.Transform is not ExpAffineTransform) throw new ArgumentException("The fused sampling plan computes the exp-affine transform only.", nameof(block));
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
