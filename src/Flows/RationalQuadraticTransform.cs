namespace FastAD.Flows;

/// <summary>
/// nflows MaskedPiecewiseRationalQuadraticAutoregressiveTransform with linear tails (SPEC 2.1): z_d = spline(x_d) on
/// [−B, B], identity outside; θ_d = K unnormalised widths, K heights, K − 1 interior derivatives (3K − 1 numbers). As
/// nflows does, widths and heights are divided by √H of the MADE before the softmax. The spline is
/// <see cref="RationalQuadraticSpline"/>, its gradient <see cref="RationalQuadraticSplineGradient"/>.
/// </summary>
public sealed class RationalQuadraticTransform : ElementwiseTransform
{
    private readonly double _widthScale;

    /// <summary>A spline of <paramref name="bins"/> bins on [−<paramref name="tailBound"/>, <paramref name="tailBound"/>] for a MADE of <paramref name="hidden"/> units.</summary>
    public RationalQuadraticTransform(int bins, double tailBound, int hidden)
    {
        if (bins < 2) throw new ArgumentOutOfRangeException(nameof(bins), "A spline needs at least 2 bins.");
        if (!(tailBound > 0) || !double.IsFinite(tailBound)) throw new ArgumentOutOfRangeException(nameof(tailBound), "The tail bound must be positive.");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden));
        Bins = bins;
        TailBound = tailBound;
        Hidden = hidden;
        _widthScale = 1 / Math.Sqrt(hidden);
    }

    /// <summary>Bins K.</summary>
    public int Bins { get; }

    /// <summary>The hidden width H whose 1/√H scales the widths and heights.</summary>
    public int Hidden { get; }

    /// <summary>Tail bound B.</summary>
    public double TailBound { get; }

    /// <summary>3K − 1.</summary>
    public override int ParametersPerDimension => 3 * Bins - 1;

    /// <summary>The raw parameters of (row, dimension), widths and heights scaled by 1/√H.</summary>
    private void Theta(ReadOnlySpan<double> output, ParameterLayout layout, int n, int d, Span<double> theta)
    {
        layout.Gather(output, n, d, theta);
        for (int j = 0; j < 2 * Bins; j++) theta[j] *= _widthScale;
    }

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> theta, ParameterLayout layout, Span<double> z, Span<double> logDet, int batch,
        Span<double> saved)
    {
        int d = layout.Features;
        Span<double> t = stackalloc double[ParametersPerDimension];
        Span<double> kx = stackalloc double[Bins + 1], ky = stackalloc double[Bins + 1], kd = stackalloc double[Bins + 1];
        for (int n = 0; n < batch; n++)
        {
            double ld = 0;
            for (int k = 0; k < d; k++)
            {
                Theta(theta, layout, n, k, t);
                RationalQuadraticSpline.BuildInto(t, Bins, TailBound, kx, ky, kd);
                var (y, l) = RationalQuadraticSpline.Forward(x[n * d + k], kx, ky, kd);
                z[n * d + k] = y;
                ld += l;
            }
            logDet[n] = ld;
        }
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, ReadOnlySpan<double> saved,
        ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet, Span<double> dTheta, Span<double> dx, int batch)
    {
        int d = layout.Features, p = ParametersPerDimension;
        Span<double> t = stackalloc double[p], dy = stackalloc double[p], dl = stackalloc double[p];
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < d; k++)
            {
                Theta(theta, layout, n, k, t);
                double g = dz[n * d + k], gl = dLogDet[n];
                var (_, _, dydx, dlddx) = RationalQuadraticSplineGradient.Evaluate(x[n * d + k], t, Bins, TailBound, dy, dl);
                for (int j = 0; j < p; j++) dTheta[layout.Index(n, k, j)] = (g * dy[j] + gl * dl[j]) * (j < 2 * Bins ? _widthScale : 1);
                dx[n * d + k] = g * dydx + gl * dlddx;
            }
    }

    /// <inheritdoc/>
    public override void InverseDimension(ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, int dimension, Span<double> x, int batch)
    {
        int d = layout.Features;
        Span<double> t = stackalloc double[ParametersPerDimension], scratch = stackalloc double[2 * Bins];
        for (int n = 0; n < batch; n++)
        {
            Theta(theta, layout, n, dimension, t);
            x[n * d + dimension] = RationalQuadraticSpline.InverseOf(z[n * d + dimension], t, Bins, TailBound, scratch);
        }
    }
}
