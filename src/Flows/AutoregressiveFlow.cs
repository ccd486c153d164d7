using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>How the features are permuted before each transform.</summary>
public enum FlowPermutation
{
    /// <summary>Reverse order (nflows ReversePermutation).</summary>
    Reverse,

    /// <summary>A fixed random permutation per transform, Philox-seeded (nflows RandomPermutation).</summary>
    Random,
}

/// <summary>
/// The nflows-style conditional MAF of SPEC 2.1: <see cref="Transforms"/> × (permutation → <see cref="MadeTransformBlock"/>)
/// with a standard-normal base, no batch norm. The blocks are rational-quadratic splines (CONRAD: 4 transforms,
/// 8 bins) or nflows affine. <see cref="LogProb"/> gives log p(x|c); <see cref="Backward"/> the gradients of the
/// mean negative log-likelihood; <see cref="Sample"/> inverts block by block (D network passes each);
/// <see cref="Latent"/> is z = T(x|c) with log|det ∂z/∂x|. The MADEs are plain (relu layers) or nflows' residual MADE.
/// </summary>
public sealed class AutoregressiveFlow : IConditionalFlow
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Creates a flow with PyTorch-default initialisation (seeded) and the given permutations.</summary>
    public AutoregressiveFlow(int features, int conditions, int hidden, int transforms, AutoregressiveTransform transform,
        int bins = 8, double tailBound = 3.0, int hiddenLayers = 2, FlowPermutation permutation = FlowPermutation.Reverse, ulong seed = 0, bool residual = false)
    {
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), "A flow needs at least one feature.");
        if (transforms < 1) throw new ArgumentOutOfRangeException(nameof(transforms), "A flow needs at least one transform.");
        D = features;
        C = conditions;
        Permutation = permutation;
        Blocks = new MadeTransformBlock[transforms];
        Permutations = new int[transforms][];
        ulong stream = 0;
        for (int t = 0; t < transforms; t++)
        {
            Blocks[t] = new MadeTransformBlock(features, conditions, hidden, hiddenLayers, transform, bins, tailBound, residual);
            Blocks[t].InitialiseLikeTorch(seed, stream);
            stream += 100;
            Permutations[t] = permutation == FlowPermutation.Reverse ? Enumerable.Range(0, D).Reverse().ToArray() : RandomPermutation(D, seed, 0xF100 + (ulong)t);
        }
    }

    private static int[] RandomPermutation(int d, ulong seed, ulong stream)
    {
        var u = new double[d];
        Philox4x32.FillUniform(u, seed, stream);
        var p = Enumerable.Range(0, d).ToArray();
        for (int i = d - 1; i > 0; i--)
        {
            int j = (int)(u[i] * (i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>How the permutations were made.</summary>
    public FlowPermutation Permutation { get; }
    /// <summary>The transforms, applied in order data → noise.</summary>
    public MadeTransformBlock[] Blocks { get; }
    /// <summary>Number of transforms.</summary>
    public int Transforms => Blocks.Length;
    /// <summary>Per transform: the input of the block's column i is column Permutations[t][i] of the previous output.</summary>
    public int[][] Permutations { get; }

    /// <summary>Replaces the permutations (from a file); each must be a permutation of 0 … D − 1.</summary>
    public void SetPermutations(int[][] permutations)
    {
        if (permutations.Length != Blocks.Length) throw new ArgumentException($"{permutations.Length} permutations for {Blocks.Length} transforms.");
        for (int t = 0; t < permutations.Length; t++)
        {
            var p = permutations[t];
            if (p.Length != D || p.Order().Where((v, i) => v != i).Any()) throw new ArgumentException($"Permutation {t} is not a permutation of 0 … {D - 1}.");
            p.CopyTo(Permutations[t], 0);
        }
    }

    /// <summary>Every trainable array with its gradient: per transform, each layer's W then b.</summary>
    public IEnumerable<(double[] Value, double[] Grad)> Parameters()
    {
        foreach (var block in Blocks)
            foreach (var l in block.Layers)
            {
                yield return (l.Weight, l.WeightGrad);
                if (l.HasBias) yield return (l.Bias, l.BiasGrad);
            }
    }

    /// <summary>No running statistics.</summary>
    public IEnumerable<double[]> State() => [];

    /// <summary>Zeroes every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, g) in Parameters()) Array.Clear(g);
    }

    /// <summary>No batch norm: nothing to update.</summary>
    public void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows) { }

    /// <summary>Intermediate values of one pass.</summary>
    public sealed class Pass : IFlowPass
    {
        internal Pass(AutoregressiveFlow flow, int batch)
        {
            int size = batch * flow.D;
            Batch = batch;
            In = flow.Blocks.Select(_ => new double[size]).ToArray();
            Out = flow.Blocks.Select(_ => new double[size]).ToArray();
            Cache = flow.Blocks.Select(b => b.NewCache(batch)).ToArray();
            LogDet = new double[batch];
            Scratch = new double[batch];
            Gradient = new double[size];
            GradientIn = new double[size];
            ConditionGradient = new double[batch * Math.Max(flow.C, 1)];
        }

        /// <summary>Rows.</summary>
        public int Batch { get; }

        /// <summary>The latent z = T(x|c) of the last <see cref="LogProb"/> (batch × D).</summary>
        public ReadOnlySpan<double> Latent => Out[^1];

        internal readonly double[][] In, Out;
        internal readonly MadeTransformBlock.Cache[] Cache;
        internal readonly double[] LogDet, Scratch, Gradient, GradientIn, ConditionGradient;
    }

    /// <summary>Buffers for batches of this size.</summary>
    public Pass NewPass(int batch) => new(this, batch);

    /// <summary>Buffers for batches of this size.</summary>
    public IFlowPass NewFlowPass(int batch) => NewPass(batch);

    private void Permute(ReadOnlySpan<double> from, Span<double> to, int[] permutation, int batch)
    {
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < D; i++) to[n * D + i] = from[n * D + permutation[i]];
    }

    private void Unpermute(ReadOnlySpan<double> from, Span<double> to, int[] permutation, int batch)
    {
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < D; i++) to[n * D + permutation[i]] = from[n * D + i];
    }

    /// <summary>log p(x|c) per row (no batch statistics: <paramref name="training"/> changes nothing).</summary>
    public void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, IFlowPass pass)
    {
        var p = (Pass)pass;
        int batch = p.Batch;
        Array.Clear(p.LogDet);
        ReadOnlySpan<double> current = x[..(batch * D)];
        for (int t = 0; t < Blocks.Length; t++)
        {
            Permute(current, p.In[t], Permutations[t], batch);
            Blocks[t].Forward(p.In[t], c, p.Out[t], p.Scratch, batch, p.Cache[t]);
            for (int n = 0; n < batch; n++) p.LogDet[n] += p.Scratch[n];
            current = p.Out[t];
        }
        var z = p.Out[^1];
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int d = 0; d < D; d++) s += z[n * D + d] * z[n * D + d];
            logProb[n] = -0.5 * s - D * HalfLog2Pi + p.LogDet[n];
        }
    }

    /// <summary>Gradients of L = −mean log p(x|c) after <see cref="LogProb"/> on the same batch (accumulated).</summary>
    public void Backward(ReadOnlySpan<double> c, IFlowPass pass)
    {
        var p = (Pass)pass;
        int batch = p.Batch, size = batch * D;
        var dz = p.Gradient;
        var z = p.Out[^1];
        for (int i = 0; i < size; i++) dz[i] = z[i] / batch;      // −∂ log N(z)/∂z / B
        var dLogDet = p.Scratch;
        Array.Fill(dLogDet, -1.0 / batch);
        for (int t = Blocks.Length - 1; t >= 0; t--)
        {
            Blocks[t].Backward(p.In[t], c, dz, dLogDet, p.GradientIn, p.ConditionGradient, batch, p.Cache[t]);
            Unpermute(p.GradientIn, dz, Permutations[t], batch);
        }
    }

    /// <summary>Samples x ~ p(x|c) from standard-normal <paramref name="noise"/>.</summary>
    public void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, IFlowPass pass)
    {
        var p = (Pass)pass;
        int batch = p.Batch, size = batch * D;
        var z = noise[..size].ToArray();
        var u = new double[size];
        for (int t = Blocks.Length - 1; t >= 0; t--)
        {
            Blocks[t].Inverse(z, c, u, batch, p.Cache[t]);
            Unpermute(u, z, Permutations[t], batch);
        }
        z.CopyTo(x);
    }

    /// <summary>Evaluation-mode log p(x|c) of any number of rows (and z when <paramref name="latent"/> is not empty), in bounded chunks.</summary>
    public void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent)
    {
        int rows = logProb.Length;
        if (latent.IsEmpty)
            this.LogProbInChunks(x, c, logProb, rows);
        else
        {
            this.LatentInChunks(x, c, latent, logProb, rows);      // log|det| into logProb, then the base density added
            for (int n = 0; n < rows; n++)
            {
                double s = 0;
                for (int d = 0; d < D; d++) s += latent[n * D + d] * latent[n * D + d];
                logProb[n] += -0.5 * s - D * HalfLog2Pi;
            }
        }
    }

    /// <summary>z = T(x|c) and log|det ∂z/∂x| per row.</summary>
    public void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass)
    {
        var p = (Pass)pass;
        LogProb(x, c, new double[p.Batch], training: false, p);
        p.Out[^1].AsSpan(0, p.Batch * D).CopyTo(z);
        p.LogDet.AsSpan(0, p.Batch).CopyTo(logDet);
    }
}
