using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// The conditional MAF of SPEC 1.3: blocks of MADE (affine) → batch norm → reverse permutation, standard
/// normal base. <see cref="LogProb"/> gives log p(x|c); <see cref="Backward"/> the gradients of the mean
/// negative log-likelihood of a batch; <see cref="Sample"/> inverts block by block (D passes per MADE).
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
        internal Pass(MaskedAutoregressiveFlow flow, int batch)
        {
            int blocks = flow.Made.Length, size = batch * flow.D;
            Batch = batch;
            In = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            U = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            V = Enumerable.Range(0, blocks).Select(_ => new double[size]).ToArray();
            Z = new double[size];
            MadeCache = flow.Made.Select(m => m.NewCache(batch)).ToArray();
            NormCache = flow.Norm.Select(n => n.NewCache()).ToArray();
            LogDet = new double[batch];
            Scratch = new double[batch];
        }

        /// <summary>The latent z = T(x|c) of the last <see cref="LogProb"/> (batch × D).</summary>
        public ReadOnlySpan<double> Latent => Z;

        internal readonly int Batch;
        internal readonly double[][] In, U, V;
        internal readonly double[] Z, LogDet, Scratch;
        internal readonly MadeAffineBlock.Cache[] MadeCache;
        internal readonly BatchNormFlow.Cache[] NormCache;
    }

    /// <summary>Buffers for batches of this size.</summary>
    public Pass NewPass(int batch) => new(this, batch);

    /// <summary>log p(x|c) per row; <paramref name="training"/> uses batch statistics in the batch-norm layers.</summary>
    public void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
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
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int d = 0; d < D; d++) s += pass.Z[n * D + d] * pass.Z[n * D + d];
            logProb[n] = -0.5 * s - D * HalfLog2Pi + pass.LogDet[n];
        }
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
        var dz = new double[size];
        for (int i = 0; i < size; i++) dz[i] = pass.Z[i] / batch;      // −∂ log N(z)/∂z / B
        var dLogDet = Enumerable.Repeat(-1.0 / batch, batch).ToArray();
        var dv = new double[size];
        var du = new double[size];
        var dIn = new double[size];
        var dc = new double[batch * Math.Max(C, 1)];
        for (int b = Made.Length - 1; b >= 0; b--)
        {
            Reverse(dz, dv, batch);
            Norm[b].Backward(pass.U[b], dv, dLogDet, du, batch, pass.NormCache[b]);
            Made[b].Backward(pass.In[b], c, pass.U[b], du, dLogDet, dIn, dc, batch, pass.MadeCache[b]);
            Array.Copy(dIn, dz, size);
        }
    }

    /// <summary>Evaluation-mode samples x ~ p(x|c) from standard normal noise <paramref name="noise"/>.</summary>
    public void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
        var z = noise[..size].ToArray();
        var v = new double[size];
        var u = new double[size];
        for (int b = Made.Length - 1; b >= 0; b--)
        {
            Reverse(z, v, batch);
            Norm[b].Inverse(v, u, batch);
            Made[b].Inverse(u, c, z, batch, pass.MadeCache[b]);
        }
        z.CopyTo(x);
    }

    /// <summary>Sets every batch-norm layer's running statistics from the whole training set (one training-mode pass).</summary>
    public void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var pass = NewPass(rows);
        var lp = new double[rows];
        LogProb(x, c, lp, training: true, pass);
        for (int b = 0; b < Made.Length; b++)
        {
            pass.NormCache[b].Mean.CopyTo(Norm[b].RunningMean, 0);
            pass.NormCache[b].Variance.CopyTo(Norm[b].RunningVariance, 0);
        }
    }

    /// <summary>Zeroes every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, g) in Parameters()) Array.Clear(g);
    }
}
