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

    /// <summary>
    /// P(Z_i &lt; u ≤ Z_(i+1)) for a standard bivariate normal pair with correlation <paramref name="rho"/>: the chance of an
    /// upcrossing of <paramref name="u"/> between two neighbouring windows. By Plackett's identity (∂Φ₂/∂ρ = φ₂) with
    /// r = sin θ, it is Φ(u)(1 − Φ(u)) − (1/2π) ∫₀^asin ρ exp(−u²/(1 + sin θ)) dθ, a smooth integrand (64-point Gauss–Legendre).
    /// </summary>
    public static double NeighbourUpcrossing(double u, double rho)
    {
        double theta = Math.Asin(Math.Clamp(rho, -1, 1));
        double integral = theta == 0 ? 0 : MathNet.Numerics.Integration.GaussLegendreRule.Integrate(t => Math.Exp(-u * u / (1 + Math.Sin(t))), 0, theta, 64);
        double p = PLocal(u);
        return Math.Max(0, (1 - p) * p - integral / (2 * Math.PI));
    }

    /// <summary>
    /// The neighbour correlation ρ of a stationary Gaussian sequence of <paramref name="windows"/> local Z values that has
    /// <paramref name="meanUpcrossings"/> upcrossings of <paramref name="u0"/> on average: the root of
    /// (windows − 1) · <see cref="NeighbourUpcrossing"/>(u0, ρ) = E[N(u0)] (decreasing in ρ), clamped to [−1, 1] when the
    /// count lies outside what any ρ gives.
    /// </summary>
    public static double NeighbourCorrelation(double u0, double meanUpcrossings, int windows)
    {
        if (windows < 2 || !double.IsFinite(meanUpcrossings)) return double.NaN;
        double rate = meanUpcrossings / (windows - 1);
        double lo = -Math.PI / 2, hi = Math.PI / 2;              // θ = asin ρ
        if (rate >= NeighbourUpcrossing(u0, -1)) return -1;
        if (rate <= 0) return 1;
        for (int it = 0; it < 80; it++)
        {
            double mid = (lo + hi) / 2;
            if (NeighbourUpcrossing(u0, Math.Sin(mid)) > rate) lo = mid; else hi = mid;
        }
        return Math.Sin((lo + hi) / 2);
    }

    /// <summary>
    /// Gross–Vitells for a scan of discrete windows. The excursions of a sequence above t start either at its first window
    /// or at an upcrossing, so their mean number is λ = P(Z_0 ≥ t) + E[N(t)] (Gross–Vitells' p_local + E[N], an upper bound on
    /// P(max ≥ t)); here E[N(t)] is extrapolated from the measured E[N(u0)] through the neighbouring windows' bivariate normal
    /// law — (windows − 1) · <see cref="NeighbourUpcrossing"/>(t, ρ̂), ρ̂ = <see cref="NeighbourCorrelation"/> — instead of
    /// the continuous process's exp(−(t² − u0²)/2), which overstates the tail of windows a resolution step or more apart (for
    /// independent windows and u0 = 1 by about 0.6 t at t = 3–6), and the excursions are taken as Poisson: p_global ≈ 1 − exp(−λ), equal to λ in
    /// the far tail and still right where several excursions per scan are common (λ of a few tenths). Returns the estimate and ρ̂.
    /// </summary>
    public static (double P, double Rho) DiscreteGrossVitells(double t, double u0, double meanUpcrossings, int windows)
    {
        double rho = NeighbourCorrelation(u0, meanUpcrossings, windows);
        if (double.IsNaN(rho)) return (double.NaN, rho);
        double lambda = PLocal(t) + (windows - 1) * NeighbourUpcrossing(t, rho);
        return (lambda < 1e-8 ? lambda : -double.ExpM1(-lambda), rho);
    }

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
