using System.Numerics;
using System.Numerics.Tensors;

namespace FastAD.Flows;

/// <summary>
/// One MADE block of SPEC 1.3 — the pytorch-flows MADE — with its elementwise transform data → noise:
/// h1 = tanh(M1 x + W_c c + b1) (condition layer without bias), h2 = tanh(M2 h1 + b2), θ = M3 h2 + b3 parameter-major
/// (all dimensions' first parameter, then the second, … : pytorch-flows' chunk), z = τ(x; θ). With SPEC 1.3's
/// <see cref="ExpAffineTransform"/> θ = (m, a), u = (x − m)·exp(−a), log|det| = −Σ a. Forward, backward (hand-derived,
/// checked against finite differences in the tests) and the inverse for sampling (the fused <see cref="MadeSamplingPlan{T}"/>,
/// one network evaluation per row; <see cref="InverseReference"/> is the D-pass definition). Batches are row-major.
/// </summary>
public sealed class TanhMadeBlock : MadeBlock<TanhMadeBlock.Cache>
{
    /// <summary>Creates a block for D features, C conditions and H hidden units (weights zero; see <see cref="Layers"/>) with <paramref name="transform"/> (SPEC 1.3's by default).</summary>
    public TanhMadeBlock(int features, int conditions, int hidden, ElementwiseTransform? transform = null)
    {
        if (features < 1 || conditions < 0 || hidden < 1) throw new ArgumentOutOfRangeException(nameof(features), "Sizes must be positive.");
        D = features;
        C = conditions;
        H = hidden;
        Transform = transform ?? ExpAffineTransform.Instance;
        P = Transform.ParametersPerDimension;
        Layout = new ParameterLayout(D, P, Grouped: false);
        Input = new MaskedLinear(D, H, MadeMasks.InputToHidden(D, H));
        Condition = C > 0 ? new MaskedLinear(C, H, bias: false) : null;
        Hidden = new MaskedLinear(H, H, MadeMasks.HiddenToHidden(D, H));
        Output = new MaskedLinear(H, P * D, MadeMasks.HiddenToOutput(D, H, P));
    }

    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>Hidden units H.</summary>
    public int H { get; }
    /// <summary>The elementwise transform.</summary>
    public ElementwiseTransform Transform { get; }
    /// <summary>Transform parameters per dimension.</summary>
    public int P { get; }
    /// <summary>Parameter-major: output j·D + d is parameter j of dimension d.</summary>
    public ParameterLayout Layout { get; }
    /// <summary>Masked D → H.</summary>
    public MaskedLinear Input { get; }
    /// <summary>Bias-free C → H (null without conditions).</summary>
    public MaskedLinear? Condition { get; }
    /// <summary>Masked H → H.</summary>
    public MaskedLinear Hidden { get; }
    /// <summary>Masked H → P·D (for SPEC 1.3: shifts m, then log-scales a).</summary>
    public MaskedLinear Output { get; }

    /// <summary>Every layer, for optimisers and initialisation.</summary>
    public override IEnumerable<MaskedLinear> Layers => Condition is null ? [Input, Hidden, Output] : [Input, Condition, Hidden, Output];

    /// <summary>Intermediate values of a forward pass, kept for the backward pass (and its scratch).</summary>
    public sealed class Cache(int batch, int d, int h, int p)
    {
        internal readonly double[] H1 = new double[batch * h], H2 = new double[batch * h], Out = new double[batch * p * d];
        internal readonly double[] Saved = new double[batch * d], DOut = new double[batch * p * d], DH2 = new double[batch * h], DH1 = new double[batch * h];
        internal int Batch = batch;
    }

    /// <summary>Creates a cache for a batch size.</summary>
    public override Cache NewCache(int batch) => new(batch, D, H, P);

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

    /// <summary>z = τ(x; θ) and logdet[n] = log|det ∂z/∂x| for a batch.</summary>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> u, Span<double> logDet, int batch, Cache cache) =>
        Forward(x, c, u, logDet, batch, cache, Prepare(), parallel: true);

    /// <summary><see cref="Forward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, int, Cache)"/> on prepared weights.</summary>
    internal void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> u, Span<double> logDet, int batch, Cache cache, Prepared w, bool parallel)
    {
        Network(x, c, batch, cache, w, parallel);
        Transform.Forward(x, cache.Out, Layout, u, logDet, batch, cache.Saved);
    }

    /// <summary>
    /// Back-propagates dL/du and dL/dlogdet through the block after <see cref="Forward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, int, Cache)"/>
    /// on the same inputs (with its <paramref name="u"/>): accumulates parameter gradients and writes dL/dx and dL/dc.
    /// </summary>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> u, ReadOnlySpan<double> du, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, Cache cache)
    {
        var dOut = cache.DOut.AsSpan(0, batch * P * D);
        Transform.Backward(x, u, cache.Out, Layout, cache.Saved, du, dLogDet, dOut, dx, batch);
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
    /// x from u (sampling direction) dimension by dimension, since the outputs of dimension d depend only on x_&lt;d: each
    /// hidden unit is computed once, in the first pass where its inputs are known (see <see cref="MadeSamplingPlan{T}"/>;
    /// the exp-affine map x_d = u_d·exp(a_d) + m_d vectorised there, any other transform through its InverseColumns).
    /// </summary>
    public override void Inverse(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        SamplingPlan<double>().InverseInChunks(u, c, x, batch);
    }

    /// <summary>The fused inverse (see <see cref="MadeSamplingPlan{T}"/>) of this block, products in <typeparamref name="T"/>.</summary>
    internal MadeSamplingPlan<T> SamplingPlan<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        new(D, C, Input, Condition, [Hidden], MadeActivation.Tanh, MadeActivation.Tanh, Output, Layout, Transform);

    /// <summary>The reference inverse: D full network passes, pass d fixing x_d (what <see cref="Inverse"/> is tested against).</summary>
    internal void InverseReference(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        x[..(batch * D)].Clear();
        for (int d = 0; d < D; d++)
        {
            Network(x, c, batch, cache, Prepare(), parallel: false);
            Transform.InverseDimension(u, cache.Out, Layout, d, x, batch);
        }
    }
}
