namespace FastAD.Stats;

/// <summary>
/// The polynomial background f(m; θ) = Σ θ_i m^i (raw GeV, degree 1..9) on a bump-hunt binning.
/// Internally the fit works with φ in x = (m - c)/h ∈ [-1, 1] over the sidebands, which keeps the
/// Hessian well conditioned; <see cref="ToRaw"/> converts back. Design rows: one per sideband bin
/// (x^j at the bin centre) and a last one for the SR expectation B = (∫_SR f dm) / w.
/// </summary>
public sealed class BackgroundModel
{
    /// <summary>Largest supported degree.</summary>
    public const int MaxDegree = 9;

    /// <summary>Creates the model.</summary>
    public BackgroundModel(BumpHuntBinning binning, int degree)
    {
        ArgumentNullException.ThrowIfNull(binning);
        if (degree < 1 || degree > MaxDegree)
            throw new ArgumentOutOfRangeException(nameof(degree), $"Polynomial degree must be 1..{MaxDegree} (got {degree}).");
        if (binning.SbBins < degree + 2)
            throw new ArgumentException($"Degree {degree} needs at least {degree + 2} sideband bins; the binning has {binning.SbBins}.");
        Binning = binning;
        Degree = degree;
        Centre = 0.5 * (binning.SbLow + binning.SbHigh);
        Half = 0.5 * (binning.SbHigh - binning.SbLow);
        int p = Parameters, rows = Rows;
        Design = new double[rows * p];
        for (int r = 0; r < binning.SbBins; r++)
        {
            double x = (binning.SbCentres[r] - Centre) / Half, v = 1;
            for (int j = 0; j < p; j++, v *= x) Design[r * p + j] = v;
        }
        double xa = (binning.SrLow - Centre) / Half, xb = (binning.SrHigh - Centre) / Half;
        double pa = xa, pb = xb;
        for (int j = 0; j < p; j++, pa *= xa, pb *= xb)
            Design[binning.SbBins * p + j] = Half / binning.Width * (pb - pa) / (j + 1);
        int packed = p * (p + 1) / 2;
        Outer = new double[rows * packed];
        for (int r = 0; r < rows; r++)
            for (int i = 0, t = 0; i < p; i++)
                for (int j = i; j < p; j++, t++)
                    Outer[r * packed + t] = Design[r * p + i] * Design[r * p + j];
    }

    /// <summary>Packed upper triangles of a_r a_rᵀ per design row (Rows × p(p+1)/2): the Hessian's building blocks.</summary>
    public double[] Outer { get; }

    /// <summary>The binning.</summary>
    public BumpHuntBinning Binning { get; }
    /// <summary>Polynomial degree.</summary>
    public int Degree { get; }
    /// <summary>Number of coefficients (degree + 1).</summary>
    public int Parameters => Degree + 1;
    /// <summary>Rows of the design: sideband bins, then the SR.</summary>
    public int Rows => Binning.SbBins + 1;
    /// <summary>Index of the SR row.</summary>
    public int SrRow => Binning.SbBins;
    /// <summary>Centre c of the internal variable x = (m - c)/h.</summary>
    public double Centre { get; }
    /// <summary>Half-width h of the internal variable.</summary>
    public double Half { get; }
    /// <summary>Row-major design (Rows × Parameters) in the internal variable.</summary>
    public double[] Design { get; }

    /// <summary>Raw-GeV coefficients θ from internal ones φ (binomial expansion of ((m - c)/h)^j).</summary>
    public double[] ToRaw(ReadOnlySpan<double> phi)
    {
        int p = Parameters;
        var theta = new double[p];
        for (int j = 0; j < p; j++)
        {
            double scale = phi[j] / Math.Pow(Half, j), binom = 1;
            for (int i = 0; i <= j; i++)
            {
                // C(j, i) (-c)^(j-i) m^i
                theta[i] += scale * binom * Math.Pow(-Centre, j - i);
                binom = binom * (j - i) / (i + 1);
            }
        }
        return theta;
    }

    /// <summary>Internal coefficients φ from raw θ (the inverse of <see cref="ToRaw"/>).</summary>
    public double[] FromRaw(ReadOnlySpan<double> theta)
    {
        int p = Parameters;
        if (theta.Length != p) throw new ArgumentException($"Expected {p} coefficients, got {theta.Length}.");
        // m = c + h x: expand Σ θ_i (c + h x)^i.
        var phi = new double[p];
        for (int i = 0; i < p; i++)
        {
            double binom = 1;
            for (int j = 0; j <= i; j++)
            {
                phi[j] += theta[i] * binom * Math.Pow(Centre, i - j) * Math.Pow(Half, j);
                binom = binom * (i - j) / (j + 1);
            }
        }
        return phi;
    }

    /// <summary>
    /// How well raw coefficients <paramref name="theta"/> describe the sideband counts <paramref name="sidebandCounts"/>
    /// (one per sideband bin, SBL then SBH, as <see cref="BumpHuntBinning.SbCentres"/>): the Poisson deviance
    /// 2 Σ [n ln(n/μ) − (n − μ)] with μ = f(c_i), its degrees of freedom (sideband bins − coefficients) and the χ² p-value.
    /// A small p says the polynomial cannot follow the sidebands (a resonance or an edge inside them), so the SR
    /// expectation it gives, and any Z built on it, is not to be trusted.
    /// </summary>
    public (double Deviance, int Ndf, double P) SidebandFit(ReadOnlySpan<double> theta, ReadOnlySpan<double> sidebandCounts)
    {
        if (sidebandCounts.Length != Binning.SbBins) throw new ArgumentException($"{sidebandCounts.Length} sideband counts for {Binning.SbBins} sideband bins.");
        double d = 0;
        for (int r = 0; r < Binning.SbBins; r++)
        {
            double n = sidebandCounts[r], mu = Evaluate(theta, Binning.SbCentres[r]);
            if (!(mu > 0))
            {
                if (n > 0) return (double.PositiveInfinity, Binning.SbBins - Parameters, 0);     // events where the fit expects none
                continue;                                                                           // an empty bin on the f ≥ 0 boundary
            }
            d += 2 * ((n > 0 ? n * Math.Log(n / mu) : 0) - (n - mu));
        }
        int ndf = Binning.SbBins - Parameters;
        return (d, ndf, ndf > 0 ? MathNet.Numerics.SpecialFunctions.GammaUpperRegularized(ndf / 2.0, Math.Max(0, d) / 2) : double.NaN);
    }

    /// <summary>f(m) for raw coefficients.</summary>
    public static double Evaluate(ReadOnlySpan<double> theta, double m)
    {
        double v = 0;
        for (int i = theta.Length - 1; i >= 0; i--) v = v * m + theta[i];
        return v;
    }

    /// <summary>SR expectation B = (∫_SR f dm) / w for raw coefficients.</summary>
    public double SignalRegionExpectation(ReadOnlySpan<double> theta)
    {
        double s = 0;
        for (int i = 0; i < theta.Length; i++)
            s += theta[i] / (i + 1) * (Math.Pow(Binning.SrHigh, i + 1) - Math.Pow(Binning.SrLow, i + 1));
        return s / Binning.Width;
    }

    /// <summary>Expected counts of every row (sideband bins, then SR) for internal coefficients.</summary>
    public void Expectations(ReadOnlySpan<double> phi, Span<double> lambda)
    {
        int p = Parameters;
        for (int r = 0; r < Rows; r++)
        {
            double v = 0;
            for (int j = 0; j < p; j++) v += Design[r * p + j] * phi[j];
            lambda[r] = v;
        }
    }
}
