namespace FastAD.Stats;

/// <summary>
/// A smooth description of a whole mass spectrum for background-only pseudo-data (SPEC 5.3, FastAD's choice): the
/// density dN/dm = exp(Σ β_j x^j), x = 2 (ln m − ln low)/(ln high − ln low) − 1 ∈ [−1, 1], fitted by binned Poisson
/// maximum likelihood (a convex problem: Newton with a halving line search) on fine bins of equal width in ln m. Narrow
/// peaks of a few hundred events hardly move a low-degree polynomial in ln m; the fit's own peaks, if any, are said in
/// the scan's report through its pseudo-spectra.
/// </summary>
public sealed class SmoothSpectrum
{
    private readonly double[] _beta;

    private SmoothSpectrum(double low, double high, double[] beta) => (Low, High, _beta) = (low, high, beta);

    /// <summary>Lower end (GeV).</summary>
    public double Low { get; }
    /// <summary>Upper end (GeV).</summary>
    public double High { get; }
    /// <summary>The coefficients β of the log-density in x.</summary>
    public IReadOnlyList<double> Coefficients => _beta;

    /// <summary>Fits <paramref name="masses"/> inside [low, high] with a degree-<paramref name="degree"/> log-density on <paramref name="bins"/> bins.</summary>
    public static SmoothSpectrum Fit(ReadOnlySpan<double> masses, double low, double high, int degree, int bins = 400)
    {
        if (!(low > 0 && high > low)) throw new ArgumentException($"A smooth spectrum needs 0 < low < high (got {low}, {high}).");
        if (degree < 0 || degree > 12) throw new ArgumentOutOfRangeException(nameof(degree), $"degree must be 0..12 (got {degree}).");
        var n = new double[bins];
        double la = Math.Log(low), lb = Math.Log(high);
        int inside = 0;
        foreach (double m in masses)
        {
            if (!(m >= low && m <= high)) continue;
            int k = Math.Min(bins - 1, (int)((Math.Log(m) - la) / (lb - la) * bins));
            n[k]++;
            inside++;
        }
        if (inside < 10 * (degree + 1))
            throw new ArgumentException($"{inside} events in [{low}, {high}] GeV: too few to describe the spectrum smoothly with degree {degree} (need {10 * (degree + 1)}).");
        int p = degree + 1;
        // Design at the bin centres; the bin's m-width enters as an offset (the density is per GeV).
        var a = new double[bins * p];
        var offset = new double[bins];
        for (int k = 0; k < bins; k++)
        {
            double x = 2 * (k + 0.5) / bins - 1, v = 1;
            for (int j = 0; j < p; j++, v *= x) a[k * p + j] = v;
            offset[k] = Math.Log(Math.Exp(la + (lb - la) * (k + 1) / bins) - Math.Exp(la + (lb - la) * k / bins));
        }
        var beta = new double[p];
        beta[0] = Math.Log(inside / (high - low));
        double Nll(double[] b)
        {
            double s = 0;
            for (int k = 0; k < bins; k++)
            {
                double eta = offset[k];
                for (int j = 0; j < p; j++) eta += a[k * p + j] * b[j];
                s += Math.Exp(eta) - n[k] * eta;
            }
            return s;
        }
        double f = Nll(beta);
        for (int iter = 0; iter < 200; iter++)
        {
            var g = new double[p];
            var h = new double[p * p];
            for (int k = 0; k < bins; k++)
            {
                double eta = offset[k];
                for (int j = 0; j < p; j++) eta += a[k * p + j] * beta[j];
                double lam = Math.Exp(eta);
                for (int i = 0; i < p; i++)
                {
                    g[i] += (lam - n[k]) * a[k * p + i];
                    for (int j = 0; j < p; j++) h[i * p + j] += lam * a[k * p + i] * a[k * p + j];
                }
            }
            var step = SolveSymmetric(h, g, p);
            double t = 1;
            var trial = new double[p];
            double ft;
            do
            {
                for (int j = 0; j < p; j++) trial[j] = beta[j] - t * step[j];
                ft = Nll(trial);
                t /= 2;
            } while (!(ft <= f) && t > 1e-10);
            if (!(ft <= f)) break;
            double change = f - ft;
            (beta, f) = ((double[])trial.Clone(), ft);
            if (change < 1e-10 * Math.Max(1, Math.Abs(f))) break;
        }
        return new SmoothSpectrum(low, high, beta);
    }

    /// <summary>The density dN/dm at <paramref name="m"/> (events per GeV).</summary>
    public double Density(double m)
    {
        double x = 2 * (Math.Log(m) - Math.Log(Low)) / (Math.Log(High) - Math.Log(Low)) - 1, eta = 0, v = 1;
        for (int j = 0; j < _beta.Length; j++, v *= x) eta += _beta[j] * v;
        return Math.Exp(eta);
    }

    /// <summary>Expected events in [a, b] (Simpson's rule on 16 panels: the density is smooth on a window's bin).</summary>
    public double Integral(double a, double b)
    {
        const int panels = 16;
        double h = (b - a) / panels, s = Density(a) + Density(b);
        for (int i = 1; i < panels; i++) s += (i % 2 == 1 ? 4 : 2) * Density(a + i * h);
        return s * h / 3;
    }

    private static double[] SolveSymmetric(double[] h, double[] g, int p)
    {
        // Gaussian elimination with partial pivoting (p ≤ 13); a tiny ridge keeps a flat direction solvable.
        var m = (double[])h.Clone();
        var b = (double[])g.Clone();
        for (int i = 0; i < p; i++) m[i * p + i] += 1e-12 * (1 + m[i * p + i]);
        for (int c = 0; c < p; c++)
        {
            int piv = c;
            for (int r = c + 1; r < p; r++) if (Math.Abs(m[r * p + c]) > Math.Abs(m[piv * p + c])) piv = r;
            if (piv != c)
            {
                for (int j = 0; j < p; j++) (m[c * p + j], m[piv * p + j]) = (m[piv * p + j], m[c * p + j]);
                (b[c], b[piv]) = (b[piv], b[c]);
            }
            for (int r = c + 1; r < p; r++)
            {
                double q = m[r * p + c] / m[c * p + c];
                for (int j = c; j < p; j++) m[r * p + j] -= q * m[c * p + j];
                b[r] -= q * b[c];
            }
        }
        var x = new double[p];
        for (int r = p - 1; r >= 0; r--)
        {
            double s = b[r];
            for (int j = r + 1; j < p; j++) s -= m[r * p + j] * x[j];
            x[r] = s / m[r * p + r];
        }
        return x;
    }
}
