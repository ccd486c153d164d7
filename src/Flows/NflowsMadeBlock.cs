using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>The elementwise transforms of nflows' MAFs by name (for configuration; each is an <see cref="ElementwiseTransform"/>).</summary>
public enum AutoregressiveTransform
{
    /// <summary><see cref="SoftplusAffineTransform"/>: z = (softplus(u) + 1e-3)·x + shift; 2 numbers per dimension (u, shift).</summary>
    AffineNflows,

    /// <summary>
    /// <see cref="RationalQuadraticTransform"/> with linear tails (SPEC 2.1): z = spline(x); 3K − 1 numbers per dimension
    /// (K widths, K heights, K − 1 interior derivatives).
    /// </summary>
    RationalQuadratic,
}

/// <summary>
/// One autoregressive transform data → noise as nflows builds it (SPEC 2.1): the nflows MADE with grouped outputs
/// a0 = M0 x + W_c c + b0 (no activation), then <see cref="HiddenLayers"/> × h = relu(M h + b) — or, with
/// <see cref="IsResidual"/>, nflows' masked residual blocks h ← h + M₂ relu(M₁ relu(h) + V c + b) — then the
/// masked output layer emitting P numbers per dimension (outputs k·P … k·P + P − 1 for dimension k), and the
/// elementwise <see cref="Transform"/> (nflows affine or the rational-quadratic spline). Forward (z and log|det ∂z/∂x|),
/// backward (hand-written) and the D-pass inverse.
/// </summary>
public sealed class NflowsMadeBlock : MadeBlock<NflowsMadeBlock.Cache>
{
    /// <summary>A block with the named nflows transform (zero weights; see <see cref="InitialiseLikeTorch"/>).</summary>
    public NflowsMadeBlock(int features, int conditions, int hidden, int hiddenLayers, AutoregressiveTransform transform, int bins = 8, double tailBound = 3.0,
        bool residual = false)
        : this(features, conditions, hidden, hiddenLayers, Create(transform, bins, tailBound, hidden), residual)
    {
        if (!(tailBound > 0) || !double.IsFinite(tailBound)) throw new ArgumentOutOfRangeException(nameof(tailBound), "The tail bound must be positive.");
    }

    /// <summary>A block with any elementwise transform (zero weights; see <see cref="InitialiseLikeTorch"/>).</summary>
    public NflowsMadeBlock(int features, int conditions, int hidden, int hiddenLayers, ElementwiseTransform transform, bool residual = false)
    {
        if (features < 1 || conditions < 0 || hidden < 1) throw new ArgumentOutOfRangeException(nameof(features), "Sizes must be positive.");
        if (hiddenLayers < 1) throw new ArgumentOutOfRangeException(nameof(hiddenLayers), "A MADE needs at least one hidden layer.");
        D = features;
        C = conditions;
        H = hidden;
        Transform = transform;
        P = transform.ParametersPerDimension;
        Layout = new ParameterLayout(D, P, Grouped: true);
        Input = new MaskedLinear(D, H, MadeMasks.InputToHidden(D, H));
        Condition = C > 0 ? new MaskedLinear(C, H) : null;
        Hidden = residual ? [] : Enumerable.Range(0, hiddenLayers).Select(_ => new MaskedLinear(H, H, MadeMasks.HiddenToHidden(D, H))).ToArray();
        Residual = !residual ? [] : Enumerable.Range(0, hiddenLayers).Select(_ => new ResidualBlock(
            new MaskedLinear(H, H, MadeMasks.HiddenToHidden(D, H)), C > 0 ? new MaskedLinear(C, H) : null, new MaskedLinear(H, H, MadeMasks.HiddenToHidden(D, H)))).ToArray();
        Output = new MaskedLinear(H, P * D, MadeMasks.HiddenToGroupedOutput(D, H, P));
    }

    /// <summary>The transform a name stands for (the spline with <paramref name="bins"/> bins on ±<paramref name="tailBound"/>, widths scaled by 1/√H).</summary>
    public static ElementwiseTransform Create(AutoregressiveTransform transform, int bins, double tailBound, int hidden) => transform switch
    {
        AutoregressiveTransform.RationalQuadratic => new RationalQuadraticTransform(bins, tailBound, hidden),
        _ => SoftplusAffineTransform.Instance,
    };

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>Hidden units H.</summary>
    public int H { get; }
    /// <summary>Hidden layers after the first (nflows' num_blocks).</summary>
    public int HiddenLayers => IsResidual ? Residual.Length : Hidden.Length;
    /// <summary>True for nflows' residual MADE (use_residual_blocks).</summary>
    public bool IsResidual => Residual.Length > 0;
    /// <summary>Residual blocks (empty unless <see cref="IsResidual"/>).</summary>
    public ResidualBlock[] Residual { get; }

    /// <summary>nflows MaskedResidualBlock: h + Second·relu(First·relu(h) + Context·c).</summary>
    public sealed record ResidualBlock(MaskedLinear First, MaskedLinear? Context, MaskedLinear Second);
    /// <summary>The elementwise transform.</summary>
    public ElementwiseTransform Transform { get; }
    /// <summary>Spline bins K (0 unless the transform is the spline).</summary>
    public int Bins => (Transform as RationalQuadraticTransform)?.Bins ?? 0;
    /// <summary>Spline tail bound B (0 unless the transform is the spline).</summary>
    public double TailBound => (Transform as RationalQuadraticTransform)?.TailBound ?? 0;
    /// <summary>Network outputs per dimension: 2 (affine) or 3K − 1 (spline).</summary>
    public int P { get; }
    /// <summary>Grouped: outputs d·P … d·P + P − 1 belong to dimension d.</summary>
    public ParameterLayout Layout { get; }
    /// <summary>Masked D → H.</summary>
    public MaskedLinear Input { get; }
    /// <summary>Dense C → H with bias (null without conditions).</summary>
    public MaskedLinear? Condition { get; }
    /// <summary>Masked H → H layers, each followed by relu.</summary>
    public MaskedLinear[] Hidden { get; }
    /// <summary>Masked H → P·D, grouped per dimension.</summary>
    public MaskedLinear Output { get; }

    /// <summary>Every layer, for optimisers, initialisation and files.</summary>
    public override IEnumerable<MaskedLinear> Layers
    {
        get
        {
            yield return Input;
            if (Condition is not null) yield return Condition;
            foreach (var l in Hidden) yield return l;
            foreach (var r in Residual)
            {
                yield return r.First;
                if (r.Context is not null) yield return r.Context;
                yield return r.Second;
            }
            yield return Output;
        }
    }

    /// <summary>PyTorch's nn.Linear default: weights and biases U(−1/√fan_in, 1/√fan_in), Philox-seeded.</summary>
    public void InitialiseLikeTorch(ulong seed, ulong stream)
    {
        foreach (var layer in Layers)
        {
            double bound = 1 / Math.Sqrt(layer.Inputs);
            Philox4x32.FillUniform(layer.Weight, seed, stream++);
            for (int i = 0; i < layer.Weight.Length; i++) layer.Weight[i] = bound * (2 * layer.Weight[i] - 1);
            Philox4x32.FillUniform(layer.Bias, seed, stream++);
            for (int i = 0; i < layer.Bias.Length; i++) layer.Bias[i] = bound * (2 * layer.Bias[i] - 1);
        }
        // nflows zero-initialises the last layer of each residual block: U(−1e-3, 1e-3).
        foreach (var r in Residual)
            foreach (var values in new[] { r.Second.Weight, r.Second.Bias })
            {
                Philox4x32.FillUniform(values, seed, stream++);
                for (int i = 0; i < values.Length; i++) values[i] = 1e-3 * (2 * values[i] - 1);
            }
    }

    /// <summary>Intermediate values of a forward pass, kept for the backward pass.</summary>
    public sealed class Cache
    {
        internal Cache(NflowsMadeBlock block, int batch)
        {
            Batch = batch;
            A0 = new double[batch * block.H];
            double[][] Layers(int count) => Enumerable.Range(0, count).Select(_ => new double[batch * block.H]).ToArray();
            Act = Layers(block.Hidden.Length);
            int r = block.Residual.Length;
            (ResidualIn, ResidualT1, ResidualPre, ResidualT2) = (Layers(r + 1), Layers(r), Layers(r), Layers(r));
            Out = new double[batch * block.P * block.D];
            DOut = new double[Out.Length];
            Saved = new double[batch * block.D];
            DA = new double[batch * block.H];
            DB = new double[batch * block.H];
            DC = new double[batch * block.H];
        }

        internal readonly int Batch;
        internal readonly double[] A0, Out, DOut, DA, DB, DC, Saved;
        internal readonly double[][] Act, ResidualIn, ResidualT1, ResidualPre, ResidualT2;
    }

    /// <summary>Creates a cache for a batch size.</summary>
    public override Cache NewCache(int batch) => new(this, batch);

    /// <summary>Batches up to this many rows (training minibatches) run on the calling thread; larger ones may use the cores.</summary>
    private const int SerialRows = 1024;

    private static void Apply(MaskedLinear layer, ReadOnlySpan<double> x, Span<double> y, int batch, bool accumulate = false) =>
        layer.Forward(layer.MaskedWeightsTransposed(), x, y, batch, accumulate, parallel: batch > SerialRows);

    private void Network(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int batch, Cache cache)
    {
        Apply(Input, x, cache.A0, batch);
        if (Condition is not null) Apply(Condition, c, cache.A0, batch, accumulate: true);
        if (IsResidual)
        {
            ResidualNetwork(c, batch, cache);
            return;
        }
        double[] previous = cache.A0;
        for (int l = 0; l < Hidden.Length; l++)
        {
            var a = cache.Act[l];
            Apply(Hidden[l], previous, a, batch);
            for (int i = 0; i < batch * H; i++) if (a[i] < 0) a[i] = 0;
            previous = a;
        }
        Apply(Output, previous, cache.Out, batch);
    }

    private static void Relu(ReadOnlySpan<double> from, Span<double> to)
    {
        for (int i = 0; i < from.Length; i++) to[i] = from[i] > 0 ? from[i] : 0;
    }

    private void ResidualNetwork(ReadOnlySpan<double> c, int batch, Cache cache)
    {
        int size = batch * H;
        cache.A0.AsSpan(0, size).CopyTo(cache.ResidualIn[0]);
        for (int k = 0; k < Residual.Length; k++)
        {
            var r = Residual[k];
            Relu(cache.ResidualIn[k].AsSpan(0, size), cache.ResidualT1[k]);
            Apply(r.First, cache.ResidualT1[k], cache.ResidualPre[k], batch);
            if (r.Context is not null) Apply(r.Context, c, cache.ResidualPre[k], batch, accumulate: true);
            Relu(cache.ResidualPre[k].AsSpan(0, size), cache.ResidualT2[k]);
            cache.ResidualIn[k].AsSpan(0, size).CopyTo(cache.ResidualIn[k + 1]);
            Apply(r.Second, cache.ResidualT2[k], cache.ResidualIn[k + 1], batch, accumulate: true);
        }
        Apply(Output, cache.ResidualIn[^1], cache.Out, batch);
    }

    private void ResidualBackward(ReadOnlySpan<double> c, Span<double> dc, int batch, Cache cache)
    {
        // On entry DA = dL/dh_K (from the output layer); on exit DA = dL/dh_0 = dL/da0.
        int size = batch * H;
        double[] dH = cache.DA, dT2 = cache.DB, dT1 = cache.DC;
        for (int k = Residual.Length - 1; k >= 0; k--)
        {
            var r = Residual[k];
            r.Second.Backward(cache.ResidualT2[k], dH, dT2, batch);
            var pre = cache.ResidualPre[k];
            for (int i = 0; i < size; i++) if (pre[i] <= 0) dT2[i] = 0;
            r.Context?.Backward(c, dT2, dc, batch, accumulateDx: true);
            r.First.Backward(cache.ResidualT1[k], dT2, dT1, batch);
            var h = cache.ResidualIn[k];
            for (int i = 0; i < size; i++) if (h[i] > 0) dH[i] += dT1[i];     // identity path plus relu(h) path
        }
    }

    /// <summary>z and log|det ∂z/∂x| (summed over dimensions) for a batch.</summary>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, int batch, Cache cache)
    {
        Network(x, c, batch, cache);
        Transform.Forward(x, cache.Out, Layout, z, logDet, batch, cache.Saved);
    }

    /// <summary>
    /// Back-propagates dL/dz and dL/dlogdet through the block after <see cref="Forward"/> on the same inputs (with its
    /// <paramref name="z"/>): accumulates parameter gradients and writes dL/dx and (when C &gt; 0) dL/dc.
    /// </summary>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> z, ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, Cache cache)
    {
        var dOut = cache.DOut;
        Transform.Backward(x, z, cache.Out, Layout, cache.Saved, dz, dLogDet, dOut, dx, batch);
        // Back through the network: dA holds dL/d(activation) of the current layer.
        if (C > 0) dc[..(batch * C)].Clear();
        double[] dA = cache.DA, dB = cache.DB;
        if (IsResidual)
        {
            Output.Backward(cache.ResidualIn[^1], dOut, dA, batch);
            ResidualBackward(c, dc, batch, cache);
        }
        else
        {
            Output.Backward(cache.Act[^1], dOut, dA, batch);
            for (int l = Hidden.Length - 1; l >= 0; l--)
            {
                var a = cache.Act[l];
                for (int i = 0; i < batch * H; i++) if (a[i] <= 0) dA[i] = 0;    // relu
                Hidden[l].Backward(l > 0 ? cache.Act[l - 1] : cache.A0, dA, dB, batch);
                (dA, dB) = (dB, dA);
            }
        }
        Input.Backward(x, dA, dx, batch, accumulateDx: true);
        Condition?.Backward(c, dA, dc, batch, accumulateDx: true);
    }

    /// <summary>
    /// x from z (sampling direction), dimension by dimension, since dimension d's parameters depend only on x_&lt;d: each
    /// hidden unit computed once, in the first pass where its inputs are known (see <see cref="MadeSamplingPlan{T}"/>);
    /// the residual MADE takes D network passes (<see cref="InverseReference"/>).
    /// </summary>
    public override void Inverse(ReadOnlySpan<double> z, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        if (IsResidual)
        {
            InverseReference(z, c, x, batch, cache);
            return;
        }
        SamplingPlan<double>().InverseInChunks(z, c, x, batch);
    }

    /// <summary>The fused inverse of this (plain, not residual) MADE with products in <typeparamref name="T"/>.</summary>
    internal MadeSamplingPlan<T> SamplingPlan<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (IsResidual) throw new InvalidOperationException("The residual MADE has no fused sampling plan.");
        return new MadeSamplingPlan<T>(D, C, Input, Condition, Hidden, MadeActivation.None, MadeActivation.Relu, Output, Layout, Transform);
    }

    /// <summary>The reference inverse: D full network passes, pass d fixing x_d (what <see cref="Inverse"/> is tested against).</summary>
    internal void InverseReference(ReadOnlySpan<double> z, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        x[..(batch * D)].Clear();
        for (int d = 0; d < D; d++)
        {
            Network(x, c, batch, cache);
            Transform.InverseDimension(z, cache.Out, Layout, d, x, batch);
        }
    }
}
