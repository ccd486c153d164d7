using MathNet.Numerics;

namespace FastAD.Stats;

/// <summary>
/// The look-elsewhere effect of a scan (SPEC 5.3): upcrossings of a local-significance curve, the Gross–Vitells
/// estimate of the global p-value (arXiv:1005.1891), and the global p of an observed maximum among null maxima.
/// </summary>
public static class LookElsewhere
{
    /// <summary>One-sided p = 1 − Φ(z).</summary>
    public static double PLocal(double z) => 0.5 * SpecialFunctions.Erfc(z / Math.Sqrt(2));

    /// <summary>Z = Φ⁻¹(1 − p) (∞ for p = 0).</summary>
    public static double ZOf(double p) => p <= 0 ? double.PositiveInfinity : p >= 1 ? double.NegativeInfinity : Math.Sqrt(2) * SpecialFunctions.ErfcInv(2 * p);

    /// <summary>Upcrossings of level <paramref name="u"/> along <paramref name="z"/>: neighbours with z[w − 1] &lt; u ≤ z[w].</summary>
    public static int Upcrossings(ReadOnlySpan<double> z, double u)
    {
        int n = 0;
        for (int w = 1; w < z.Length; w++)
            if (z[w - 1] < u && z[w] >= u) n++;
        return n;
    }

    /// <summary>
    /// Gross–Vitells: p_global(t) ≈ p_local(t) + E[N(u0)] exp(−(t² − u0²)/2), with E[N(u0)] the mean number of upcrossings of
    /// the low level u0 in null scans (the χ²₁ case: a local-Z curve of one-sided, one-parameter fits).
    /// </summary>
    public static double GrossVitells(double t, double u0, double meanUpcrossings) =>
        PLocal(t) + meanUpcrossings * Math.Exp(-(t * t - u0 * u0) / 2);

    /// <summary>The fraction of null maxima at or above <paramref name="observed"/>, with its binomial error (floored at one count).</summary>
    public static (double P, double Error) GlobalP(ReadOnlySpan<double> nullMaxima, double observed)
    {
        int n = nullMaxima.Length, k = 0;
        foreach (double t in nullMaxima) if (t >= observed) k++;
        if (n == 0) return (double.NaN, double.NaN);
        double p = (double)k / n;
        return (p, Math.Sqrt(Math.Max(p * (1 - p), 1.0 / n) / n));
    }
}
