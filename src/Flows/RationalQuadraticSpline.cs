namespace FastAD.Flows;

/// <summary>
/// The monotone rational-quadratic spline of SPEC 2.1 (Durkan et al., as nflows computes it) for one
/// dimension: K bins on [−B, B], identity (linear) tails outside. Parameters per dimension: K unnormalised
/// widths, K heights and K − 1 interior derivatives (3K − 1 numbers from the MADE). Widths and heights:
/// softmax, then min + (1 − min·K)·w, cumulative sums scaled to [−B, B] with pinned ends; interior
/// derivatives min_d + softplus(u), boundary derivatives 1; min_w = min_h = min_d = 1e-3.
/// </summary>
public static class RationalQuadraticSpline
{
    /// <summary>Smallest bin width, height and derivative.</summary>
    public const double MinWidth = 1e-3, MinHeight = 1e-3, MinDerivative = 1e-3;

    /// <summary>Knots of one dimension: cumulative x and y positions (K + 1 each) and derivatives (K + 1).</summary>
    public readonly record struct Knots(double[] X, double[] Y, double[] Derivative);

    /// <summary>Builds the knots from the 3K − 1 unnormalised parameters.</summary>
    public static Knots Build(ReadOnlySpan<double> parameters, int bins, double bound)
    {
        if (bins < 2) throw new ArgumentOutOfRangeException(nameof(bins));
        if (parameters.Length != 3 * bins - 1) throw new ArgumentException($"A {bins}-bin spline needs {3 * bins - 1} parameters, got {parameters.Length}.");
        var k = new Knots(new double[bins + 1], new double[bins + 1], new double[bins + 1]);
        BuildInto(parameters, bins, bound, k.X, k.Y, k.Derivative);
        return k;
    }

    /// <summary>The knots into caller buffers of K + 1 entries each (no allocation; parameters already checked).</summary>
    internal static void BuildInto(ReadOnlySpan<double> parameters, int bins, double bound, Span<double> x, Span<double> y, Span<double> d)
    {
        Cumulative(parameters[..bins], bins, bound, MinWidth, x);
        Cumulative(parameters.Slice(bins, bins), bins, bound, MinHeight, y);
        d[0] = d[bins] = 1.0;
        for (int k = 1; k < bins; k++) d[k] = MinDerivative + Softplus(parameters[2 * bins + k - 1]);
    }

    private static double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));

    private static void Cumulative(ReadOnlySpan<double> raw, int bins, double bound, double min, Span<double> c)
    {
        double max = double.NegativeInfinity;
        foreach (var v in raw) max = Math.Max(max, v);
        double sum = 0;
        for (int k = 0; k < bins; k++) sum += c[k + 1] = Math.Exp(raw[k] - max);    // c[1..K] holds the exponentials first
        double acc = 0;
        for (int k = 0; k < bins; k++)
        {
            acc += min + (1 - min * bins) * c[k + 1] / sum;
            c[k + 1] = 2 * bound * acc - bound;
        }
        c[0] = -bound;
        c[bins] = bound;
    }

    private static int Bin(ReadOnlySpan<double> edges, double v)
    {
        int lo = 0, hi = edges.Length - 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (edges[mid] <= v) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>
    /// x = spline⁻¹(y) straight from the 3K − 1 parameters (widths and heights already scaled), for sampling: the knots of
    /// <see cref="BuildInto"/> to rounding (the exponentials of widths and heights vectorised, each bin's share as e·f rather
    /// than e/Σ), but only the two derivatives of y's bin and no log-determinant. <paramref name="scratch"/>
    /// holds at least 2K values.
    /// </summary>
    internal static double InverseOf(double y, ReadOnlySpan<double> parameters, int bins, double bound, Span<double> scratch)
    {
        if (y <= -bound || y >= bound) return y;
        var e = scratch[..(2 * bins)];
        double maxW = double.NegativeInfinity, maxH = double.NegativeInfinity;
        for (int k = 0; k < bins; k++)
        {
            maxW = Math.Max(maxW, parameters[k]);
            maxH = Math.Max(maxH, parameters[bins + k]);
        }
        System.Numerics.Tensors.TensorPrimitives.Subtract(parameters[..bins], maxW, e[..bins]);
        System.Numerics.Tensors.TensorPrimitives.Subtract(parameters.Slice(bins, bins), maxH, e[bins..]);
        System.Numerics.Tensors.TensorPrimitives.Exp(e, e);
        double sumW = 0, sumH = 0;
        for (int k = 0; k < bins; k++)
        {
            sumW += e[k];
            sumH += e[bins + k];
        }
        int b = FindBin(y, bound, bins, e[..bins], e[bins..], 1, (1 - MinWidth * bins) / sumW, (1 - MinHeight * bins) / sumH,
            out double x0, out double x1, out double y0, out double y1);
        double d0 = b == 0 ? 1.0 : MinDerivative + Softplus(parameters[2 * bins + b - 1]);
        double d1 = b == bins - 1 ? 1.0 : MinDerivative + Softplus(parameters[2 * bins + b]);
        return SolveBin(y, x0, x1, y0, y1, d0, d1);
    }

    /// <summary>
    /// The bin of y (−B &lt; y &lt; B): the last knot at or below y, walking the cumulative sums of widths and heights as
    /// <see cref="BuildInto"/> forms them (min + e_k·f per bin, f = (1 − min·K)/Σ e; knots strictly increase, the last pinned
    /// to B), with bin b's e at [b·<paramref name="stride"/>]; its knots in x0, x1, y0, y1. A NaN y ends in the last bin
    /// (and gives NaN).
    /// </summary>
    internal static int FindBin(double y, double bound, int bins, ReadOnlySpan<double> widths, ReadOnlySpan<double> heights, int stride, double fw, double fh,
        out double x0, out double x1, out double y0, out double y1)
    {
        double accW = 0, accH = 0;
        x0 = y0 = -bound;
        x1 = y1 = bound;
        for (int b = 0; b < bins; b++)
        {
            accW += MinWidth + widths[b * stride] * fw;
            accH += MinHeight + heights[b * stride] * fh;
            x1 = b == bins - 1 ? bound : 2 * bound * accW - bound;
            y1 = b == bins - 1 ? bound : 2 * bound * accH - bound;
            if (y < y1 || b == bins - 1) return b;
            x0 = x1;
            y0 = y1;
        }
        return bins - 1;
    }

    /// <summary>The inverse inside one bin: the root in [0, 1] of the bin's quadratic, mapped back to x.</summary>
    internal static double SolveBin(double y, double x0, double x1, double y0, double y1, double d0, double d1)
    {
        double w = x1 - x0, h = y1 - y0, s = h / w;
        double dy = y - y0, kappa = d1 + d0 - 2 * s;
        double a = h * (s - d0) + dy * kappa, bq = h * d0 - dy * kappa, c = -s * dy;
        double disc = Math.Max(bq * bq - 4 * a * c, 0);
        double t = 2 * c / (-bq - Math.Sqrt(disc));
        return t * w + x0;
    }

    /// <summary>y = spline(x) and log dy/dx; identity outside [−B, B].</summary>
    public static (double Y, double LogDet) Forward(double x, in Knots k) => Forward(x, k.X, k.Y, k.Derivative);

    /// <summary><see cref="Forward(double, in Knots)"/> on knots in spans.</summary>
    internal static (double Y, double LogDet) Forward(double x, ReadOnlySpan<double> kx, ReadOnlySpan<double> ky, ReadOnlySpan<double> kd)
    {
        if (x <= kx[0] || x >= kx[^1]) return (x, 0);
        int b = Bin(kx, x);
        double w = kx[b + 1] - kx[b], h = ky[b + 1] - ky[b], s = h / w;
        double t = (x - kx[b]) / w, tt = t * (1 - t);
        double d0 = kd[b], d1 = kd[b + 1];
        double denom = s + (d1 + d0 - 2 * s) * tt;
        double y = ky[b] + h * (s * t * t + d0 * tt) / denom;
        double dydx = s * s * (d1 * t * t + 2 * s * tt + d0 * (1 - t) * (1 - t)) / (denom * denom);
        return (y, Math.Log(dydx));
    }

    /// <summary>x = spline⁻¹(y) (root of the bin's quadratic) and log dx/dy.</summary>
    public static (double X, double LogDet) Inverse(double y, in Knots k) => Inverse(y, k.X, k.Y, k.Derivative);

    /// <summary><see cref="Inverse(double, in Knots)"/> on knots in spans.</summary>
    internal static (double X, double LogDet) Inverse(double y, ReadOnlySpan<double> kx, ReadOnlySpan<double> ky, ReadOnlySpan<double> kd)
    {
        if (y <= ky[0] || y >= ky[^1]) return (y, 0);
        int b = Bin(ky, y);
        double x = SolveBin(y, kx[b], kx[b + 1], ky[b], ky[b + 1], kd[b], kd[b + 1]);
        var (_, logDet) = Forward(x, kx, ky, kd);
        return (x, -logDet);
    }
}

/// <summary>
/// Gradients of the spline: for one input x and its 3K − 1 raw parameters, y, log dy/dx and their
/// derivatives with respect to x and to every raw parameter. The bin's formulas are differentiated in
/// closed form with respect to the local knots (x_k, x_k+1, y_k, y_k+1, d_k, d_k+1), then chained through
/// the softmax–cumulative-sum of widths and heights and the softplus of the derivatives.
/// </summary>
public static class RationalQuadraticSplineGradient
{
    /// <summary>y, log dy/dx, ∂y/∂x, ∂logdet/∂x, and ∂y/∂θ, ∂logdet/∂θ (θ = the 3K − 1 raw parameters).</summary>
    public static (double Y, double LogDet, double DyDx, double DLogDetDx) Evaluate(double x, ReadOnlySpan<double> parameters, int bins, double bound,
        Span<double> dyDParameters, Span<double> dLogDetDParameters)
    {
        dyDParameters.Clear();
        dLogDetDParameters.Clear();
        if (bins < 2 || parameters.Length != 3 * bins - 1) throw new ArgumentException($"A {bins}-bin spline needs {3 * bins - 1} parameters, got {parameters.Length}.");
        Span<double> kx = stackalloc double[bins + 1], ky = stackalloc double[bins + 1], kd = stackalloc double[bins + 1];
        RationalQuadraticSpline.BuildInto(parameters, bins, bound, kx, ky, kd);
        if (x <= kx[0] || x >= kx[^1]) return (x, 0, 1, 0);
        int b = 0;
        while (b < bins - 1 && kx[b + 1] <= x) b++;
        // Local quantities as functions of (x, x0, x1, y0, y1, d0, d1), differentiated in closed form:
        // y = y0 + h·num/den, log dy/dx = 2 ln s + ln g − 2 ln den with w = x1 − x0, h = y1 − y0, s = h/w,
        // t = (x − x0)/w, τ = t(1 − t), κ = d0 + d1 − 2s, num = s t² + d0 τ, den = s + κτ, g = d1 t² + 2sτ + d0 (1 − t)².
        double x0 = kx[b], w = kx[b + 1] - x0, y0 = ky[b], h = ky[b + 1] - y0, d0 = kd[b], d1 = kd[b + 1];
        double sl = h / w, t = (x - x0) / w, tau = t * (1 - t), kappa = d0 + d1 - 2 * sl;
        double num = sl * t * t + d0 * tau, den = sl + kappa * tau, g = d1 * t * t + 2 * sl * tau + d0 * (1 - t) * (1 - t);
        double r = num / den, dydxValue = sl * sl * g / (den * den);
        // Partials with respect to t, s, d0, d1 (h and y0 enter y directly).
        double numT = 2 * sl * t + d0 * (1 - 2 * t), denT = kappa * (1 - 2 * t), denS = 1 - 2 * tau;
        double yT = h * (numT * den - num * denT) / (den * den);
        double yS = h * (t * t * den - num * denS) / (den * den);
        double yD0 = h * (tau * den - num * tau) / (den * den), yD1 = -h * num * tau / (den * den);
        double gT = 2 * d1 * t + 2 * sl * (1 - 2 * t) - 2 * d0 * (1 - t);
        double lT = gT / g - 2 * denT / den, lS = 2 / sl + 2 * tau / g - 2 * denS / den;
        double lD0 = (1 - t) * (1 - t) / g - 2 * tau / den, lD1 = t * t / g - 2 * tau / den;
        // Chain t = (x − x0)/w, s = h/w, h = y1 − y0 to the knots: entries (x, x0, x1, y0, y1, d0, d1).
        Span<double> yG = stackalloc double[7], lG = stackalloc double[7];
        void Knots(Span<double> G, double fT, double fS, double fH, double fY0, double fD0, double fD1)
        {
            G[0] = fT / w;
            G[1] = fT * (t - 1) / w + fS * sl / w;
            G[2] = -fT * t / w - fS * sl / w;
            G[3] = fY0 - fS / w - fH;
            G[4] = fS / w + fH;
            G[5] = fD0;
            G[6] = fD1;
        }
        Knots(yG, yT, yS, r, 1, yD0, yD1);
        Knots(lG, lT, lS, 0, 0, lD0, lD1);
        // Chain the knot gradients to the raw parameters.
        Chain(parameters[..bins], bins, bound, RationalQuadraticSpline.MinWidth, b, yG[1], yG[2], dyDParameters[..bins], lG[1], lG[2], dLogDetDParameters[..bins]);
        Chain(parameters.Slice(bins, bins), bins, bound, RationalQuadraticSpline.MinHeight, b, yG[3], yG[4], dyDParameters.Slice(bins, bins),
            lG[3], lG[4], dLogDetDParameters.Slice(bins, bins));
        // Interior derivative j (1..K-1) comes from raw parameter 2K + j − 1 through min_d + softplus(u).
        for (int side = 0; side < 2; side++)
        {
            int j = b + side;
            if (j < 1 || j > bins - 1) continue;
            double u = parameters[2 * bins + j - 1], sig = 1 / (1 + Math.Exp(-u));
            dyDParameters[2 * bins + j - 1] += yG[5 + side] * sig;
            dLogDetDParameters[2 * bins + j - 1] += lG[5 + side] * sig;
        }
        return (y0 + h * r, Math.Log(dydxValue), dydxValue, lG[0]);
    }

    /// <summary>
    /// ∂/∂raw of g_lo·c[b] + g_hi·c[b+1] where c = cumulative positions: c_m = 2B·Σ_{i&lt;m}(min + (1 − min·K) p_i) − B,
    /// p = softmax(raw), ends pinned (c_0 = −B, c_K = B have no gradient); for two (g_lo, g_hi) pairs sharing the softmax.
    /// </summary>
    private static void Chain(ReadOnlySpan<double> raw, int bins, double bound, double min, int b, double gLo, double gHi, Span<double> result,
        double gLo2, double gHi2, Span<double> result2)
    {
        double max = double.NegativeInfinity;
        foreach (var v in raw) max = Math.Max(max, v);
        Span<double> p = stackalloc double[bins];
        double sum = 0;
        for (int i = 0; i < bins; i++) sum += p[i] = Math.Exp(raw[i] - max);
        for (int i = 0; i < bins; i++) p[i] /= sum;
        double scale = 2 * bound * (1 - min * bins);
        // ∂c_m/∂p_i = scale for i < m (0 < m < K), so ∂/∂p_i = scale·(g_lo [i < b, b > 0] + g_hi [i ≤ b, b + 1 < K]);
        // then ∂p_i/∂raw_j = p_i(δ_ij − p_j).
        Apply(p, b, bins, scale, gLo, gHi, result);
        Apply(p, b, bins, scale, gLo2, gHi2, result2);

        static void Apply(ReadOnlySpan<double> p, int b, int bins, double scale, double gLo, double gHi, Span<double> result)
        {
            double lo = b > 0 ? gLo * scale : 0, hi = b + 1 < bins ? gHi * scale : 0;
            double dot = 0;
            for (int i = 0; i < bins; i++) dot += p[i] * ((i < b ? lo : 0) + (i <= b ? hi : 0));
            for (int j = 0; j < bins; j++) result[j] += p[j] * ((j < b ? lo : 0) + (j <= b ? hi : 0) - dot);
        }
    }
}
