using System.Numerics;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// The conditional MAF of SPEC 1.3: blocks of MADE (affine) → batch norm → reverse permutation, standard
/// normal base. <see cref="LogProb"/> gives log p(x|c); <see cref="Backward"/> the gradients of the mean
/// negative log-likelihood of a batch; <see cref="Sample(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Pass)"/> inverts block by block (D passes per MADE).
/// </summary>
public sealed partial class MaskedAutoregressiveFlow
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Creates a flow with orthogonal MADE weights and zero biases (seeded).</summary>
    public MaskedAutoregressiveFlow(int features, int conditions, int hidden, int blocks, ulong seed)
    {
        if (features < 2) throw new ArgumentOutOfRangeException(nameof(features), "A MAF needs at least 2 features.");
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks));
        D = features;
        C = conditions;
        Made = new MadeAffineBlock[blocks];
        Norm = new BatchNormFlow[blocks];
        ulong stream = 0;
        for (int b = 0; b < blocks; b++)
        {
            Made[b] = new MadeAffineBlock(features, conditions, hidden);
            foreach (var layer in Made[b].Layers) Orthogonal(layer, seed, stream++);
            Norm[b] = new BatchNormFlow(features);
        }
    }

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>MADE blocks.</summary>
    public MadeAffineBlock[] Made { get; }
    /// <summary>Batch-norm layers.</summary>
    public BatchNormFlow[] Norm { get; }

    /// <summary>Every trainable array with its gradient.</summary>
    public IEnumerable<(double[] Value, double[] Grad)> Parameters()
    {
        for (int b = 0; b < Made.Length; b++)
        {
            foreach (var l in Made[b].Layers)
            {
                yield return (l.Weight, l.WeightGrad);
                if (l.HasBias) yield return (l.Bias, l.BiasGrad);
            }
            yield return (Norm[b].LogGamma, Norm[b].LogGammaGrad);
            yield return (Norm[b].Beta, Norm[b].BetaGrad);
        }
    }

    private static void Orthogonal(MaskedLinear layer, ulong seed, ulong stream)
    {
        // Gram–Schmidt on a Gaussian matrix: orthonormal rows (or columns when there are more rows than columns).
        int rows = layer.Outputs, cols = layer.Inputs;
        var a = new double[rows * cols];
        Philox4x32.FillNormal(a, seed, stream);
        bool byRows = rows <= cols;
        int count = byRows ? rows : cols, len = byRows ? cols : rows;
        double Get(int v, int k) => byRows ? a[v * cols + k] : a[k * cols + v];
        void Set(int v, int k, double x) { if (byRows) a[v * cols + k] = x; else a[k * cols + v] = x; }
        for (int v = 0; v < count; v++)
        {
            for (int u = 0; u < v; u++)
            {
                double dot = 0;
                for (int k = 0; k < len; k++) dot += Get(v, k) * Get(u, k);
                for (int k = 0; k < len; k++) Set(v, k, Get(v, k) - dot * Get(u, k));
            }
            double norm = 0;
            for (int k = 0; k < len; k++) norm += Get(v, k) * Get(v, k);
            norm = Math.Sqrt(norm);
            for (int k = 0; k < len; k++) Set(v, k, Get(v, k) / norm);
        }
        a.CopyTo(layer.Weight, 0);
    }

    /// <summary>Intermediate values of one pass.</summary>
    public sealed partial class Pass
    {
        private readonly MaskedAutoregressiveFlow _flow;

        internal Pass(MaskedAutoregressiveFlow flow, int batch)
        {
            _flow = flow;
            Batch = batch;
            Z = new double[batch * flow.D];
            LogDet = new double[batch];
            Scratch = new double[batch];
        }

        /// <summary>The latent z = T(x|c) of the last <see cref="LogProb"/> (batch × D).</summary>
        public ReadOnlySpan<double> Latent => Z;

        internal readonly int Batch;
        internal readonly double[] Z, LogDet, Scratch;
        private double[][]? _in, _u, _v;
        private double[]? _dz, _dv, _du, _dIn, _dc, _dLogDet;
        private MadeAffineBlock.Cache[]? _madeCache;
        private BatchNormFlow.Cache[]? _normCache;

        internal double[][] In => _in ?? throw new InvalidOperationException("No training-mode pass has run.");
        internal double[][] U => _u!;
        internal double[][] V => _v!;
        internal MadeAffineBlock.Cache[] MadeCache => _madeCache!;
        internal BatchNormFlow.Cache[] NormCache => _normCache!;
        internal double[] Dz => _dz!;
        internal double[] Dv => _dv!;
        internal double[] Du => _du!;
        internal double[] DIn => _dIn!;
        internal double[] Dc => _dc!;
        internal double[] DLogDet => _dLogDet!;

        /// <summary>Allocates the buffers a training-mode pass and its backward pass need (once).</summary>
        internal void EnsureTraining()
        {
            if (_in is not null) return;
            var flow = _flow;
            int blocks = flow.Made.Length, size = Batch * flow.D;
            _in = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            _u = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            _v = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            _madeCache = flow.Made.Select(m => m.NewCache(Batch)).ToArray();
            _normCache = flow.Norm.Select(n => n.NewCache()).ToArray();
            _dz = new double[size];
            _dv = new double[size];
            _du = new double[size];
            _dIn = new double[size];
            _dc = new double[Batch * Math.Max(flow.C, 1)];
            _dLogDet = new double[Batch];
        }
    }

    /// <summary>Buffers for batches of this size.</summary>
    public Pass NewPass(int batch) => new(this, batch);

    /// <summary>
    /// log p(x|c) per row; <paramref name="training"/> uses batch statistics in the batch-norm layers and keeps
    /// what <see cref="Backward"/> needs. Evaluation mode runs as <see cref="EvaluateLogProb(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> (rows in parallel).
    /// </summary>
    public void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
        if (!training)
        {
            EvaluateBlocks(x[..size], C > 0 ? c[..(batch * C)] : c, logProb, pass.Z, training: false, null);
            return;
        }
        pass.EnsureTraining();
        x[..size].CopyTo(pass.In[0]);
        Array.Clear(pass.LogDet);
        for (int b = 0; b < Made.Length; b++)
        {
            Made[b].Forward(pass.In[b], c, pass.U[b], pass.Scratch, batch, pass.MadeCache[b]);
            for (int n = 0; n < batch; n++) pass.LogDet[n] += pass.Scratch[n];
            Norm[b].Forward(pass.U[b], pass.V[b], pass.Scratch, batch, training, pass.NormCache[b]);
            for (int n = 0; n < batch; n++) pass.LogDet[n] += pass.Scratch[n];
            var next = b + 1 < Made.Length ? pass.In[b + 1] : pass.Z;
            Reverse(pass.V[b], next, batch);
        }
        Finish(pass.Z, pass.LogDet, logProb, batch);
    }

    private void Finish(ReadOnlySpan<double> z, ReadOnlySpan<double> logDet, Span<double> logProb, int batch)
    {
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int d = 0; d < D; d++) s += z[n * D + d] * z[n * D + d];
            logProb[n] = -0.5 * s - D * HalfLog2Pi + logDet[n];
        }
    }

    /// <summary>Rows per chunk when large batches are split over the cores.</summary>
    private const int ChunkRows = 512;

    /// <summary>
    /// Evaluation-mode log p(x|c) for any number of rows (x is rows × D), the latent z written to
    /// <paramref name="latent"/> when it is not empty. Rows run in parallel chunks, block after block; no
    /// <see cref="Pass"/> (and none of its per-row caches) is needed.
    /// </summary>
    public void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent) =>
        EvaluateBlocks(x, c, logProb, latent, training: false, null);

    /// <summary>
    /// <see cref="EvaluateLogProb(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> with the wide
    /// matrix products in single precision when <paramref name="singlePrecision"/> (log p then differs by about
    /// 1e-6 relative, as in PyTorch).
    /// </summary>
    public void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent, bool singlePrecision)
    {
        var layers = Made.SelectMany(m => m.Layers).ToArray();
        var keep = layers.Select(l => l.SinglePrecisionProducts).ToArray();
        foreach (var l in layers) l.SinglePrecisionProducts = singlePrecision;
        try
        {
            EvaluateBlocks(x, c, logProb, latent, training: false, null);
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++) layers[i].SinglePrecisionProducts = keep[i];
        }
    }

    /// <summary>
    /// Block-major pass over all rows: each MADE block in parallel chunks, then the batch-norm layer over all
    /// rows (with the statistics of all rows when <paramref name="training"/>; returned in <paramref name="statistics"/>).
    /// </summary>
    private unsafe void EvaluateBlocks(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent, bool training,
        BatchNormFlow.Cache[]? statistics)
    {
        if (x.Length % D != 0) throw new ArgumentException($"x holds {x.Length} values, not a whole number of rows of {D} features.");
        int rows = x.Length / D;
        if (C > 0 && c.Length < rows * C) throw new ArgumentException($"c holds {c.Length} values; expected {rows} rows of {C} conditions.");
        if (logProb.Length < rows) throw new ArgumentException($"logProb holds {logProb.Length} values; expected {rows}.");
        var cur = x.ToArray();
        var u = new double[rows * D];
        var v = new double[rows * D];
        var logDet = new double[rows];
        var ld = new double[rows];
        int chunks = (rows + ChunkRows - 1) / ChunkRows;
        fixed (double* pc = c)
        {
            nint cp = (nint)pc;
            int cl = c.Length;
            for (int b = 0; b < Made.Length; b++)
            {
                var made = Made[b];
                var prepared = made.Prepare();
                Parallel.For(0, chunks, () => made.NewCache(ChunkRows), (chunk, _, cache) =>
                {
                    int start = chunk * ChunkRows, n = Math.Min(ChunkRows, rows - start);
                    var cs = C > 0 ? new ReadOnlySpan<double>((double*)cp, cl).Slice(start * C, n * C) : default;
                    made.Forward(cur.AsSpan(start * D, n * D), cs, u.AsSpan(start * D, n * D), ld.AsSpan(start, n), n, cache, prepared, parallel: false);
                    return cache;
                }, _ => { });
                var normCache = statistics?[b] ?? Norm[b].NewCache();
                for (int n = 0; n < rows; n++) logDet[n] += ld[n];
                Norm[b].Forward(u, v, ld, rows, training, normCache);
                for (int n = 0; n < rows; n++) logDet[n] += ld[n];
                Reverse(v, cur, rows);
            }
        }
        Finish(cur, logDet, logProb, rows);
        if (!latent.IsEmpty) cur.CopyTo(latent);
    }

    private void Reverse(ReadOnlySpan<double> from, Span<double> to, int batch)
    {
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++) to[n * D + d] = from[n * D + D - 1 - d];
    }

    /// <summary>
    /// Gradients of L = −mean log p(x|c) after a training-mode <see cref="LogProb"/> on the same batch
    /// (accumulated into the parameters' gradient arrays).
    /// </summary>
    public void Backward(ReadOnlySpan<double> c, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
        var dz = pass.Dz;
        for (int i = 0; i < size; i++) dz[i] = pass.Z[i] / batch;      // −∂ log N(z)/∂z / B
        var dLogDet = pass.DLogDet;
        Array.Fill(dLogDet, -1.0 / batch);
        for (int b = Made.Length - 1; b >= 0; b--)
        {
            Reverse(dz, pass.Dv, batch);
            Norm[b].Backward(pass.U[b], pass.Dv, dLogDet, pass.Du, batch, pass.NormCache[b]);
            Made[b].Backward(pass.In[b], c, pass.U[b], pass.Du, dLogDet, pass.DIn, pass.Dc, batch, pass.MadeCache[b]);
            Array.Copy(pass.DIn, dz, size);
        }
    }

    /// <summary>Evaluation-mode samples x ~ p(x|c) from standard normal noise <paramref name="noise"/> (rows in parallel chunks).</summary>
    public void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass) => Sample(noise, c, x, pass, singlePrecision: false);

    /// <summary>
    /// <see cref="Sample(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Pass)"/>, with the MADE networks evaluated in
    /// single precision when <paramref name="singlePrecision"/> (the affine updates and batch-norm inverses stay
    /// double): samples then differ from the double ones by about 1e-6 relative — PyTorch's precision.
    /// </summary>
    public void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass, bool singlePrecision)
    {
        if (singlePrecision) Sample<float>(noise, c, x, pass.Batch);
        else Sample<double>(noise, c, x, pass.Batch);
    }

    private unsafe void Sample<T>(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plans = Made.Select(m => new MadeAffineBlock.SamplingPlan<T>(m)).ToArray();
        int chunkRows = MadeAffineBlock.SamplingPlan<T>.ChunkRows, chunks = (batch + chunkRows - 1) / chunkRows;
        fixed (double* pn = noise)
        fixed (double* pc = c)
        fixed (double* px = x)
        {
            nint np = (nint)pn, cp = (nint)pc, xp = (nint)px;
            int nl = noise.Length, cl = c.Length, xl = x.Length;
            Parallel.For(0, chunks, () => new SampleBuffers<T>(chunkRows * D, plans.Select(p => p.NewScratch(chunkRows)).ToArray()), (chunk, _, s) =>
            {
                int start = chunk * chunkRows, n = Math.Min(chunkRows, batch - start);
                var z = s.Z.AsSpan(0, n * D);
                var v = s.V.AsSpan(0, n * D);
                new ReadOnlySpan<double>((double*)np, nl).Slice(start * D, n * D).CopyTo(z);
                var cs = C > 0 ? new ReadOnlySpan<double>((double*)cp, cl).Slice(start * C, n * C) : default;
                for (int b = Made.Length - 1; b >= 0; b--)
                {
                    Reverse(z, v, n);
                    Norm[b].Inverse(v, s.U, n);
                    plans[b].Inverse(s.U.AsSpan(0, n * D), cs, z, n, s.Plan[b]);
                }
                z.CopyTo(new Span<double>((double*)xp, xl).Slice(start * D, n * D));
                return s;
            }, _ => { });
        }
    }

    private sealed class SampleBuffers<T>(int size, T[][][] plan)
    {
        public readonly double[] Z = new double[size], V = new double[size], U = new double[size];
        public readonly T[][][] Plan = plan;
    }

    /// <summary>Sets every batch-norm layer's running statistics from the whole training set (one training-mode pass).</summary>
    public void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var statistics = Norm.Select(n => n.NewCache()).ToArray();
        EvaluateBlocks(x[..(rows * D)], C > 0 ? c[..(rows * C)] : c, new double[rows], default, training: true, statistics);
        for (int b = 0; b < Made.Length; b++)
        {
            statistics[b].Mean.CopyTo(Norm[b].RunningMean, 0);
            statistics[b].Variance.CopyTo(Norm[b].RunningVariance, 0);
        }
    }

    /// <summary>Zeroes every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, g) in Parameters()) Array.Clear(g);
    }
}
