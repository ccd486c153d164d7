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
        double w = kx[b + 1] - kx[b], h = ky[b + 1] - ky[b], s = h / w;
        double d0 = kd[b], d1 = kd[b + 1];
        double dy = y - ky[b], kappa = d1 + d0 - 2 * s;
        double a = h * (s - d0) + dy * kappa, bq = h * d0 - dy * kappa, c = -s * dy;
        double disc = Math.Max(bq * bq - 4 * a * c, 0);
        double t = 2 * c / (-bq - Math.Sqrt(disc));
        double x = t * w + kx[b];
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
        // Local quantities as functions of (x, x0, x1, y0, y1, d0, d1): value and gradient (7 entries).
        var X = new Dual(x, 0); var X0 = new Dual(kx[b], 1); var X1 = new Dual(kx[b + 1], 2);
        var Y0 = new Dual(ky[b], 3); var Y1 = new Dual(ky[b + 1], 4); var D0 = new Dual(kd[b], 5); var D1 = new Dual(kd[b + 1], 6);
        var w = X1 - X0; var h = Y1 - Y0; var s = h / w;
        var t = (X - X0) / w; var tt = t * (1 - t);
        var denom = s + (D1 + D0 - 2 * s) * tt;
        var y = Y0 + h * (s * t * t + D0 * tt) / denom;
        var dydx = s * s * (D1 * t * t + 2 * s * tt + D0 * (1 - t) * (1 - t)) / (denom * denom);
        var logDet = Dual.Log(dydx);
        // Chain the knot gradients to the raw parameters.
        Chain(parameters[..bins], bins, bound, RationalQuadraticSpline.MinWidth, b, y.G[1], y.G[2], dyDParameters[..bins]);
        Chain(parameters[..bins], bins, bound, RationalQuadraticSpline.MinWidth, b, logDet.G[1], logDet.G[2], dLogDetDParameters[..bins]);
        Chain(parameters.Slice(bins, bins), bins, bound, RationalQuadraticSpline.MinHeight, b, y.G[3], y.G[4], dyDParameters.Slice(bins, bins));
        Chain(parameters.Slice(bins, bins), bins, bound, RationalQuadraticSpline.MinHeight, b, logDet.G[3], logDet.G[4], dLogDetDParameters.Slice(bins, bins));
        // Interior derivative j (1..K-1) comes from raw parameter 2K + j − 1 through min_d + softplus(u).
        for (int side = 0; side < 2; side++)
        {
            int j = b + side;
            if (j < 1 || j > bins - 1) continue;
            double u = parameters[2 * bins + j - 1], sig = 1 / (1 + Math.Exp(-u));
            dyDParameters[2 * bins + j - 1] += y.G[5 + side] * sig;
            dLogDetDParameters[2 * bins + j - 1] += logDet.G[5 + side] * sig;
        }
        return (y.V, logDet.V, dydx.V, logDet.G[0]);
    }

    /// <summary>
    /// ∂/∂raw of g_lo·c[b] + g_hi·c[b+1] where c = cumulative positions: c_m = 2B·Σ_{i&lt;m}(min + (1 − min·K) p_i) − B,
    /// p = softmax(raw), ends pinned (c_0 = −B, c_K = B have no gradient).
    /// </summary>
    private static void Chain(ReadOnlySpan<double> raw, int bins, double bound, double min, int b, double gLo, double gHi, Span<double> result)
    {
        double max = double.NegativeInfinity;
        foreach (var v in raw) max = Math.Max(max, v);
        Span<double> p = stackalloc double[bins];
        double sum = 0;
        for (int i = 0; i < bins; i++) sum += p[i] = Math.Exp(raw[i] - max);
        for (int i = 0; i < bins; i++) p[i] /= sum;
        double scale = 2 * bound * (1 - min * bins);
        // ∂c_m/∂p_i = scale for i < m (0 < m < K); ∂p_i/∂raw_j = p_i(δ_ij − p_j).
        Span<double> dP = stackalloc double[bins];
        dP.Clear();
        if (b > 0 && b < bins && gLo != 0)
            for (int i = 0; i < b; i++) dP[i] += gLo * scale;
        if (b + 1 < bins && gHi != 0)
            for (int i = 0; i <= b; i++) dP[i] += gHi * scale;
        double dot = 0;
        for (int i = 0; i < bins; i++) dot += dP[i] * p[i];
        for (int j = 0; j < bins; j++) result[j] += p[j] * (dP[j] - dot);
    }

    /// <summary>Seven doubles stored inline (no heap allocation per dual number).</summary>
    [System.Runtime.CompilerServices.InlineArray(7)]
    private struct Seven
    {
        private double _element;
    }

    /// <summary>Forward-mode value with a gradient over the 7 local inputs.</summary>
    private readonly struct Dual
    {
        public readonly double V;
        public readonly Seven G;

        public Dual(double v, int index)
        {
            V = v;
            G = default;
            G[index] = 1;
        }

        private Dual(double v, Seven g)
        {
            V = v;
            G = g;
        }

        private static Dual Combine(double v, in Dual a, double da, in Dual b, double db)
        {
            Seven g = default;
            for (int i = 0; i < 7; i++) g[i] = da * a.G[i] + db * b.G[i];
            return new Dual(v, g);
        }

        private static Dual Constant(double v) => new(v, default(Seven));

        public static Dual operator +(Dual a, Dual b) => Combine(a.V + b.V, a, 1, b, 1);
        public static Dual operator -(Dual a, Dual b) => Combine(a.V - b.V, a, 1, b, -1);
        public static Dual operator *(Dual a, Dual b) => Combine(a.V * b.V, a, b.V, b, a.V);
        public static Dual operator /(Dual a, Dual b) => Combine(a.V / b.V, a, 1 / b.V, b, -a.V / (b.V * b.V));
        public static Dual operator *(double c, Dual a) => Combine(c * a.V, a, c, a, 0);
        public static Dual operator -(double c, Dual a) => Combine(c - a.V, a, -1, a, 0);
        public static Dual operator +(Dual a, double c) => Combine(a.V + c, a, 1, a, 0);
        public static Dual Log(Dual a) => Combine(Math.Log(a.V), a, 1 / a.V, a, 0);
        public static implicit operator Dual(double c) => Constant(c);
    }
}
