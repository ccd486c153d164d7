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
        var x = Cumulative(parameters[..bins], bins, bound, MinWidth);
        var y = Cumulative(parameters.Slice(bins, bins), bins, bound, MinHeight);
        var d = new double[bins + 1];
        d[0] = d[bins] = 1.0;
        for (int k = 1; k < bins; k++) d[k] = MinDerivative + Softplus(parameters[2 * bins + k - 1]);
        return new Knots(x, y, d);
    }

    private static double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));

    private static double[] Cumulative(ReadOnlySpan<double> raw, int bins, double bound, double min)
    {
        double max = double.NegativeInfinity;
        foreach (var v in raw) max = Math.Max(max, v);
        var w = new double[bins];
        double sum = 0;
        for (int k = 0; k < bins; k++) sum += w[k] = Math.Exp(raw[k] - max);
        var c = new double[bins + 1];
        double acc = 0;
        for (int k = 0; k < bins; k++)
        {
            acc += min + (1 - min * bins) * w[k] / sum;
            c[k + 1] = 2 * bound * acc - bound;
        }
        c[0] = -bound;
        c[bins] = bound;
        return c;
    }

    private static int Bin(double[] edges, double v)
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
    public static (double Y, double LogDet) Forward(double x, in Knots k)
    {
        if (x <= k.X[0] || x >= k.X[^1]) return (x, 0);
        int b = Bin(k.X, x);
        double w = k.X[b + 1] - k.X[b], h = k.Y[b + 1] - k.Y[b], s = h / w;
        double t = (x - k.X[b]) / w, tt = t * (1 - t);
        double d0 = k.Derivative[b], d1 = k.Derivative[b + 1];
        double denom = s + (d1 + d0 - 2 * s) * tt;
        double y = k.Y[b] + h * (s * t * t + d0 * tt) / denom;
        double dydx = s * s * (d1 * t * t + 2 * s * tt + d0 * (1 - t) * (1 - t)) / (denom * denom);
        return (y, Math.Log(dydx));
    }

    /// <summary>x = spline⁻¹(y) (root of the bin's quadratic) and log dx/dy.</summary>
    public static (double X, double LogDet) Inverse(double y, in Knots k)
    {
        if (y <= k.Y[0] || y >= k.Y[^1]) return (y, 0);
        int b = Bin(k.Y, y);
        double w = k.X[b + 1] - k.X[b], h = k.Y[b + 1] - k.Y[b], s = h / w;
        double d0 = k.Derivative[b], d1 = k.Derivative[b + 1];
        double dy = y - k.Y[b], kappa = d1 + d0 - 2 * s;
        double a = h * (s - d0) + dy * kappa, bq = h * d0 - dy * kappa, c = -s * dy;
        double disc = Math.Max(bq * bq - 4 * a * c, 0);
        double t = 2 * c / (-bq - Math.Sqrt(disc));
        double x = t * w + k.X[b];
        var (_, logDet) = Forward(x, k);
        return (x, -logDet);
    }
}
