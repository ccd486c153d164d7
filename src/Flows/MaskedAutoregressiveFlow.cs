namespace FastAD.Flows;

/// <summary>
/// A conditional masked autoregressive flow: a stack of <see cref="IFlowLayer"/>s data → noise (MADE blocks with their
/// elementwise transforms, batch norms, permutations) on a standard-normal base. This class holds what every
/// configuration shares — the layers, their parameters and state in file order, the pass buffers, the training-mode pass
/// log p = log N(z) + Σ log|det|, its backward pass, and sampling by inverting the layers in reverse order. The
/// configurations: <see cref="Spec13AffineMaf"/> (SPEC 1.3: tanh MADE with exp-affine transform → batch norm → reverse,
/// with parallel evaluation and fused sampling paths that the flow kernels mirror) and <see cref="NflowsMaf"/> (SPEC 2.1:
/// permutation → nflows MADE with the nflows affine or rational-quadratic-spline transform).
/// </summary>
public abstract class MaskedAutoregressiveFlow : IConditionalFlow
{
    /// <summary>½ ln 2π.</summary>
    protected static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>A flow of D features and C conditions; the configuration adds its layers with <see cref="SetLayers"/>.</summary>
    protected MaskedAutoregressiveFlow(int features, int conditions)
    {
        D = features;
        C = conditions;
    }

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>The layers, data → noise.</summary>
    public IReadOnlyList<IFlowLayer> Layers { get; private set; } = [];

    /// <summary>Sets the layer stack (once, in the constructor).</summary>
    protected void SetLayers(IEnumerable<IFlowLayer> layers) => Layers = layers.ToArray();

    /// <summary>Every trainable array with its gradient, layer by layer (the file format relies on the order).</summary>
    public IEnumerable<(double[] Value, double[] Grad)> Parameters() => Layers.SelectMany(l => l.Parameters());

    /// <summary>Non-trainable arrays (batch-norm running means and variances), layer by layer.</summary>
    public IEnumerable<double[]> State() => Layers.SelectMany(l => l.State());

    /// <summary>Zeroes every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, g) in Parameters()) Array.Clear(g);
    }

    /// <summary>Buffers of one batch size; those of the layer-by-layer pass and its backward pass are allocated when first needed.</summary>
    public sealed class Pass : IFlowPass
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

        /// <summary>Rows.</summary>
        public int Batch { get; }

        /// <summary>The latent z = T(x|c) of the last log-prob pass (batch × D).</summary>
        public ReadOnlySpan<double> Latent => Z;

        internal readonly double[] Z, LogDet, Scratch;
        private double[][]? _values;
        private object[]? _caches;
        private double[]? _gradient, _gradientIn, _dLogDet, _dc;

        /// <summary>The input of layer l (Values[0] = x, the last = <see cref="Z"/>).</summary>
        internal double[][] Values => _values ?? throw new InvalidOperationException("No training-mode pass has run.");
        internal object[] Caches => _caches!;
        internal double[] Gradient => _gradient!;
        internal double[] GradientIn => _gradientIn!;
        internal double[] DLogDet => _dLogDet!;
        internal double[] Dc => _dc!;

        /// <summary>Allocates the per-layer buffers (once).</summary>
        internal void EnsureLayers()
        {
            if (_values is not null) return;
            var layers = _flow.Layers;
            int size = Batch * _flow.D;
            _values = Enumerable.Range(0, layers.Count + 1).Select(l => l == layers.Count ? Z : new double[size]).ToArray();
            _caches = layers.Select(l => l.NewCache(Batch)).ToArray();
            _gradient = new double[size];
            _gradientIn = new double[size];
            _dLogDet = new double[Batch];
            _dc = new double[Batch * Math.Max(_flow.C, 1)];
        }
    }

    /// <summary>Buffers for batches of this size.</summary>
    public Pass NewPass(int batch) => new(this, batch);

    /// <summary>Buffers for batches of this size.</summary>
    public IFlowPass NewFlowPass(int batch) => NewPass(batch);

    /// <summary>log p(x|c) per row (<paramref name="training"/>: batch statistics, and what <see cref="Backward(ReadOnlySpan{double}, Pass)"/> needs kept).</summary>
    public abstract void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass);

    void IConditionalFlow.LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, IFlowPass pass) =>
        LogProb(x, c, logProb, training, (Pass)pass);

    /// <summary>The layer-by-layer pass: z into the pass, Σ log|det| into its LogDet, log p into <paramref name="logProb"/>.</summary>
    protected void LayerPass(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass)
    {
        int batch = pass.Batch;
        pass.EnsureLayers();
        x[..(batch * D)].CopyTo(pass.Values[0]);
        Array.Clear(pass.LogDet);
        for (int l = 0; l < Layers.Count; l++)
        {
            Layers[l].Forward(pass.Values[l], c, pass.Values[l + 1], pass.Scratch, batch, training, pass.Caches[l]);
            if (Layers[l].HasLogDet)
                for (int n = 0; n < batch; n++) pass.LogDet[n] += pass.Scratch[n];
        }
        LogNormalPlus(pass.Z, pass.LogDet, logProb, batch);
    }

    /// <summary>logProb[n] = log N(z_n; 0, I) + logDet[n].</summary>
    protected void LogNormalPlus(ReadOnlySpan<double> z, ReadOnlySpan<double> logDet, Span<double> logProb, int batch)
    {
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int d = 0; d < D; d++) s += z[n * D + d] * z[n * D + d];
            logProb[n] = -0.5 * s - D * HalfLog2Pi + logDet[n];
        }
    }

    /// <summary>
    /// Gradients of L = −mean log p(x|c) after a training-mode <see cref="LogProb(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, bool, Pass)"/>
    /// on the same batch (accumulated into the parameters' gradient arrays), layer by layer in reverse.
    /// </summary>
    public void Backward(ReadOnlySpan<double> c, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
        var dy = pass.Gradient;
        var dx = pass.GradientIn;
        for (int i = 0; i < size; i++) dy[i] = pass.Z[i] / batch;      // −∂ log N(z)/∂z / B
        Array.Fill(pass.DLogDet, -1.0 / batch);
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            Layers[l].Backward(pass.Values[l], c, pass.Values[l + 1], dy, pass.DLogDet, dx, pass.Dc, batch, pass.Caches[l]);
            (dy, dx) = (dx, dy);
        }
    }

    void IConditionalFlow.Backward(ReadOnlySpan<double> c, IFlowPass pass) => Backward(c, (Pass)pass);

    /// <summary>Evaluation-mode samples x = T⁻¹(noise|c).</summary>
    public virtual void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass)
    {
        int batch = pass.Batch, size = batch * D;
        pass.EnsureLayers();
        var y = noise[..size].ToArray();
        var below = new double[size];
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            Layers[l].Inverse(y, c, below, batch, pass.Caches[l]);
            (y, below) = (below, y);
        }
        y.CopyTo(x);
    }

    /// <summary>One chunk of <see cref="SampleInChunks{TState}"/>: <paramref name="z"/> holds the chunk's noise on entry and its samples on exit.</summary>
    protected delegate void SampleChunk<TState>(Span<double> z, ReadOnlySpan<double> c, int rows, TState state);

    /// <summary>
    /// Sampling in chunks of <paramref name="chunkRows"/> rows over the cores, each thread with its own
    /// <paramref name="newState"/> (scratch) and buffer: every row is computed the same way whatever the chunking.
    /// </summary>
    protected unsafe void SampleInChunks<TState>(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, int batch, int chunkRows,
        Func<TState> newState, SampleChunk<TState> chunk)
    {
        int chunks = (batch + chunkRows - 1) / chunkRows, d = D, conditions = C;
        fixed (double* pn = noise)
        fixed (double* pc = c)
        fixed (double* px = x)
        {
            nint np = (nint)pn, cp = (nint)pc, xp = (nint)px;
            int nl = noise.Length, cl = c.Length, xl = x.Length;
            FlowParallelism.For(chunks, () => (Z: new double[chunkRows * d], State: newState()), (k, s) =>
            {
                int start = k * chunkRows, n = Math.Min(chunkRows, batch - start);
                var z = s.Z.AsSpan(0, n * d);
                new ReadOnlySpan<double>((double*)np, nl).Slice(start * d, n * d).CopyTo(z);
                var cs = conditions > 0 ? new ReadOnlySpan<double>((double*)cp, cl).Slice(start * conditions, n * conditions) : default;
                chunk(z, cs, n, s.State);
                z.CopyTo(new Span<double>((double*)xp, xl).Slice(start * d, n * d));
            });
        }
    }

    void IConditionalFlow.Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, IFlowPass pass) => Sample(noise, c, x, (Pass)pass);

    /// <summary>Evaluation-mode z = T(x|c) and log|det ∂z/∂x| per row.</summary>
    public abstract void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass);

    /// <summary>Evaluation-mode log p(x|c) of a whole set (and z when <paramref name="latent"/> is not empty).</summary>
    public abstract void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent);

    /// <summary>Sets running statistics from the whole training set (nothing for flows without batch norm).</summary>
    public abstract void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows);
}
