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

    /// <summary>Intermediate values of a forward pass, kept for the backward pass.</summary>
    public sealed class Cache(int batch, int d, int h)
    {
        internal readonly double[] H1 = new double[batch * h], H2 = new double[batch * h], Out = new double[batch * 2 * d];
        internal int Batch = batch;
    }

    /// <summary>Creates a cache for a batch size.</summary>
    public Cache NewCache(int batch) => new(batch, D, H);

    private void Network(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int batch, Cache cache)
    {
        Input.Forward(x, cache.H1, batch);
        Condition?.Forward(c, cache.H1, batch, accumulate: true);
        TensorPrimitives.Tanh(cache.H1.AsSpan(0, batch * H), cache.H1.AsSpan(0, batch * H));
        Hidden.Forward(cache.H1, cache.H2, batch);
        TensorPrimitives.Tanh(cache.H2.AsSpan(0, batch * H), cache.H2.AsSpan(0, batch * H));
        Output.Forward(cache.H2, cache.Out, batch);
    }

    /// <summary>u = (x − m)·exp(−a) and logdet[n] = −Σ a for a batch.</summary>
    public void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> u, Span<double> logDet, int batch, Cache cache)
    {
        Network(x, c, batch, cache);
        for (int n = 0; n < batch; n++)
        {
            double ld = 0;
            for (int d = 0; d < D; d++)
            {
                double m = cache.Out[n * 2 * D + d], a = cache.Out[n * 2 * D + D + d];
                u[n * D + d] = (x[n * D + d] - m) * Math.Exp(-a);
                ld -= a;
            }
            logDet[n] = ld;
        }
    }

    /// <summary>
    /// Back-propagates dL/du and dL/dlogdet through the block after <see cref="Forward"/> on the same
    /// inputs (with its <paramref name="u"/>): accumulates parameter gradients and writes dL/dx and dL/dc.
    /// </summary>
    public void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> u, ReadOnlySpan<double> du, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, Cache cache)
    {
        var dOut = new double[batch * 2 * D];
        for (int n = 0; n < batch; n++)
            for (int d = 0; d < D; d++)
            {
                double a = cache.Out[n * 2 * D + D + d], g = du[n * D + d], scale = Math.Exp(-a);
                dOut[n * 2 * D + d] = -g * scale;                               // ∂u/∂m = −exp(−a)
                dOut[n * 2 * D + D + d] = -g * u[n * D + d] - dLogDet[n];       // ∂u/∂a = −u, ∂logdet/∂a = −1
                dx[n * D + d] = g * scale;                                      // direct path ∂u/∂x
            }
        var dH2 = new double[batch * H];
        Output.Backward(cache.H2, dOut, dH2, batch);
        for (int i = 0; i < batch * H; i++) dH2[i] *= 1 - cache.H2[i] * cache.H2[i];
        var dH1 = new double[batch * H];
        Hidden.Backward(cache.H1, dH2, dH1, batch);
        for (int i = 0; i < batch * H; i++) dH1[i] *= 1 - cache.H1[i] * cache.H1[i];
        Input.Backward(x, dH1, dx, batch, accumulateDx: true);
        if (Condition is not null) Condition.Backward(c, dH1, dc, batch);
    }

    /// <summary>
    /// x from u (sampling direction): D passes, pass d fixing x_d = u_d·exp(a_d) + m_d, since the outputs of
    /// dimension d depend only on x_&lt;d.
    /// </summary>
    public void Inverse(ReadOnlySpan<double> u, ReadOnlySpan<double> c, Span<double> x, int batch, Cache cache)
    {
        x[..(batch * D)].Clear();
        for (int d = 0; d < D; d++)
        {
            Network(x, c, batch, cache);
            for (int n = 0; n < batch; n++)
            {
                double m = cache.Out[n * 2 * D + d], a = cache.Out[n * 2 * D + D + d];
                x[n * D + d] = u[n * D + d] * Math.Exp(a) + m;
            }
        }
    }
}
