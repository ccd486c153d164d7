using System.Numerics;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// The conditional MAF of SPEC 1.3 (kind "affine-spec13" in flow files): blocks of <see cref="TanhMadeBlock"/> with the
/// <see cref="ExpAffineTransform"/> → <see cref="BatchNormFlow"/> → reverse <see cref="PermutationLayer"/>, standard-normal base,
/// orthogonal MADE weights and zero biases. Training passes and their backward run layer by layer
/// (<see cref="MaskedAutoregressiveFlow"/>); evaluation runs block-major over all rows in parallel chunks (single-precision
/// products when asked), and sampling inverts each MADE with its fused <see cref="MadeSamplingPlan{T}"/> —
/// the paths the flow kernels (<see cref="KernelFlowEvaluator"/>, <see cref="KernelFlowTrainer"/>) mirror.
/// </summary>
public sealed class Spec13AffineMaf : MaskedAutoregressiveFlow
{
    /// <summary>Creates a flow with orthogonal MADE weights and zero biases (seeded).</summary>
    public Spec13AffineMaf(int features, int conditions, int hidden, int blocks, ulong seed) : base(features, conditions)
    {
        if (features < 2) throw new ArgumentOutOfRangeException(nameof(features), "A MAF needs at least 2 features.");
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks));
        Made = new TanhMadeBlock[blocks];
        Norm = new BatchNormFlow[blocks];
        Reverse = new PermutationLayer(PermutationLayer.Reverse(features));
        ulong stream = 0;
        for (int b = 0; b < blocks; b++)
        {
            Made[b] = new TanhMadeBlock(features, conditions, hidden);
            foreach (var layer in Made[b].Layers) Orthogonal(layer, seed, stream++);
            Norm[b] = new BatchNormFlow(features);
        }
        SetLayers(Enumerable.Range(0, blocks).SelectMany(b => new IFlowLayer[] { Made[b], Norm[b], Reverse }));
    }

    /// <summary>MADE blocks.</summary>
    public TanhMadeBlock[] Made { get; }
    /// <summary>Batch-norm layers.</summary>
    public BatchNormFlow[] Norm { get; }
    /// <summary>The reverse permutation after every block.</summary>
    public PermutationLayer Reverse { get; }
    /// <summary>Hidden units per MADE layer.</summary>
    public int Hidden => Made[0].H;

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

    /// <summary>
    /// log p(x|c) per row; <paramref name="training"/> uses batch statistics in the batch-norm layers and keeps
    /// what <see cref="MaskedAutoregressiveFlow.Backward(ReadOnlySpan{double}, MaskedAutoregressiveFlow.Pass)"/> needs. Evaluation mode runs as
    /// <see cref="EvaluateLogProb(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> (rows in parallel).
    /// </summary>
    public override void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass)
    {
        int batch = pass.Batch;
        if (training) LayerPass(x, c, logProb, training, pass);
        else EvaluateBlocks(x[..(batch * D)], C > 0 ? c[..(batch * C)] : c, logProb, pass.Z, training: false, null);
    }

    /// <summary>Rows per chunk when large batches are split over the cores.</summary>
    private const int ChunkRows = 512;

    /// <summary>
    /// Evaluation-mode log p(x|c) for any number of rows (x is rows × D), the latent z written to
    /// <paramref name="latent"/> when it is not empty. Rows run in parallel chunks, block after block; no
    /// <see cref="MaskedAutoregressiveFlow.Pass"/> (and none of its per-row caches) is needed.
    /// </summary>
    public override void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent) =>
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
                FlowParallelism.For(chunks, () => made.NewCache(ChunkRows), (chunk, cache) =>
                {
                    int start = chunk * ChunkRows, n = Math.Min(ChunkRows, rows - start);
                    var cs = C > 0 ? new ReadOnlySpan<double>((double*)cp, cl).Slice(start * C, n * C) : default;
                    made.Forward(cur.AsSpan(start * D, n * D), cs, u.AsSpan(start * D, n * D), ld.AsSpan(start, n), n, cache, prepared, parallel: false);
                });
                var normCache = statistics?[b] ?? Norm[b].NewCache();
                for (int n = 0; n < rows; n++) logDet[n] += ld[n];
                Norm[b].Forward(u, v, ld, rows, training, normCache);
                for (int n = 0; n < rows; n++) logDet[n] += ld[n];
                Reverse.Apply(v, cur, rows);
            }
        }
        LogNormalPlus(cur, logDet, logProb, rows);
        if (!latent.IsEmpty) cur.CopyTo(latent);
    }

    /// <summary>Evaluation-mode z = T(x|c) (MADE → batch norm → reverse, block by block) and log|det ∂z/∂x| per row.</summary>
    public override void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass)
    {
        var p = (Pass)pass;
        var logProb = new double[p.Batch];
        LogProb(x, c, logProb, training: false, p);
        p.Z.AsSpan(0, p.Batch * D).CopyTo(z);
        // The evaluation path keeps its log|det| to itself: log p = log N(z) + log|det|.
        for (int n = 0; n < p.Batch; n++)
        {
            double normal = 0;
            for (int j = 0; j < D; j++) normal -= 0.5 * p.Z[n * D + j] * p.Z[n * D + j] + HalfLog2Pi;
            logDet[n] = logProb[n] - normal;
        }
    }

    /// <summary>Evaluation-mode samples x ~ p(x|c) from standard normal noise <paramref name="noise"/> (rows in parallel chunks).</summary>
    public override void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass) => Sample(noise, c, x, pass, singlePrecision: false);

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

    private void Sample<T>(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plans = Made.Select(m => m.SamplingPlan<T>()).ToArray();
        int chunkRows = MadeSamplingPlan<T>.ChunkRows;
        SampleInChunks(noise, c, x, batch, chunkRows, () => new SampleBuffers<T>(chunkRows * D, plans.Select(p => p.NewScratch(chunkRows)).ToArray()), (z, cs, n, s) =>
        {
            var v = s.V.AsSpan(0, n * D);
            for (int b = Made.Length - 1; b >= 0; b--)
            {
                Reverse.Apply(z, v, n);
                Norm[b].Inverse(v, s.U, n);
                plans[b].Inverse(s.U.AsSpan(0, n * D), cs, z, n, s.Plan[b]);
            }
        });
    }

    private sealed class SampleBuffers<T>(int size, MadeSamplingPlan<T>.Scratch[] plan) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly double[] V = new double[size], U = new double[size];
        public readonly MadeSamplingPlan<T>.Scratch[] Plan = plan;
    }

    /// <summary>Sets every batch-norm layer's running statistics from the whole training set (one training-mode pass).</summary>
    public override void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var statistics = Norm.Select(n => n.NewCache()).ToArray();
        EvaluateBlocks(x[..(rows * D)], C > 0 ? c[..(rows * C)] : c, new double[rows], default, training: true, statistics);
        for (int b = 0; b < Made.Length; b++)
        {
            statistics[b].Mean.CopyTo(Norm[b].RunningMean, 0);
            statistics[b].Variance.CopyTo(Norm[b].RunningVariance, 0);
        }
    }
}
