using System.Numerics.Tensors;

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

    /// <summary>
    /// The spline inverse of one dimension for all rows at once (the sampling plans' path): widths and heights scaled,
    /// their softmaxes and the interior derivatives' softplus vectorised over the rows, then per row the walk to y's bin and
    /// its quadratic (<see cref="RationalQuadraticSpline.InverseOf"/> row by row, to rounding).
    /// </summary>
    internal override void InverseColumns(ReadOnlySpan<double> z, Span<double> columns, int features, int dimension, Span<double> x, int rows, Span<double> work)
    {
        int k = Bins, r = rows;
        double bound = TailBound;
        var widths = columns[..(k * r)];
        var heights = columns.Slice(k * r, k * r);
        var slopes = columns.Slice(2 * k * r, (k - 1) * r);
        TensorPrimitives.Multiply(columns[..(2 * k * r)], _widthScale, columns[..(2 * k * r)]);
        var fw = work[..r];
        var fh = work.Slice(r, r);
        Normalise(widths, k, r, fw, 1 - RationalQuadraticSpline.MinWidth * k);
        Normalise(heights, k, r, fh, 1 - RationalQuadraticSpline.MinHeight * k);
        // Interior derivatives: min_d + softplus(u) = min_d + max(u, 0) + log(1 + e^{−|u|}).
        var t = work.Slice(2 * r, (k - 1) * r);
        TensorPrimitives.Abs(slopes, t);
        TensorPrimitives.Negate(t, t);
        TensorPrimitives.Exp(t, t);
        TensorPrimitives.Add(t, 1.0, t);
        TensorPrimitives.Log(t, t);
        TensorPrimitives.Max(slopes, 0.0, slopes);
        TensorPrimitives.Add(slopes, t, slopes);
        TensorPrimitives.Add(slopes, RationalQuadraticSpline.MinDerivative, slopes);
        for (int n = 0; n < r; n++)
        {
            double y = z[n * features + dimension];
            if (y <= -bound || y >= bound)
            {
                x[n * features + dimension] = y;
                continue;
            }
            int b = RationalQuadraticSpline.FindBin(y, bound, k, widths[n..], heights[n..], r, fw[n], fh[n], out double x0, out double x1, out double y0, out double y1);
            double d0 = b == 0 ? 1.0 : slopes[(b - 1) * r + n], d1 = b == k - 1 ? 1.0 : slopes[b * r + n];
            x[n * features + dimension] = RationalQuadraticSpline.SolveBin(y, x0, x1, y0, y1, d0, d1);
        }
    }

    /// <summary>Per row, the exponentials e^{v − max} of K columns in place and <paramref name="factor"/> = scale / Σ e.</summary>
    private static void Normalise(Span<double> v, int k, int r, Span<double> factor, double scale)
    {
        v[..r].CopyTo(factor);
        for (int j = 1; j < k; j++) TensorPrimitives.Max(factor, v.Slice(j * r, r), factor);
        for (int j = 0; j < k; j++) TensorPrimitives.Subtract(v.Slice(j * r, r), factor, v.Slice(j * r, r));
        TensorPrimitives.Exp(v, v);
        v[..r].CopyTo(factor);
        for (int j = 1; j < k; j++) TensorPrimitives.Add(factor, v.Slice(j * r, r), factor);
        TensorPrimitives.Divide(scale, factor, factor);
    }
}
