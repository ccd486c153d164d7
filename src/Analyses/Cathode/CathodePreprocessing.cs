namespace FastAD.Analyses.Cathode;

/// <summary>
/// The SPEC 1.2 transforms, fitted on the OS channel and reused for SS. Mass: z-score with the sideband
/// mean and standard deviation. Each feature: x' = (x − min)/(max − min) with min and max over all data
/// (max × 1.2 when positive), x' = 0.96 x' + 0.02, y = ln(x' / (1 − x' + 1e-4)), then a z-score with the
/// sideband mean and standard deviation of y. <see cref="InverseFeatures"/> is the exact inverse.
/// <para>
/// Events of another channel (SS reusing the OS transforms) or of other data can lie outside the fitted range
/// [min, max × 1.2], where the logit is undefined (NaN). Such values are clamped to the range's edge before the
/// transform — a documented deviation from SPEC 1.2, which leaves them undefined — and counted
/// (<see cref="OutsideRange"/>) so that the analysis reports how many events it clamped, per feature.
/// </para>
/// </summary>
public sealed record CathodePreprocessing(double MassMean, double MassStd, double[] Min, double[] Max, double[] Mean, double[] Std)
{
    private const double Eps = 1e-4;

    /// <summary>Fits the transforms: <paramref name="features"/> are row-major (rows × D) over all events; <paramref name="sideband"/> marks sideband rows.</summary>
    public static CathodePreprocessing Fit(ReadOnlySpan<double> mass, ReadOnlySpan<double> features, int d, ReadOnlySpan<bool> sideband)
    {
        int n = mass.Length;
        if (n == 0) throw new ArgumentException("No events to fit the preprocessing on.");
        double ms = 0, mss = 0;
        int nsb = 0;
        for (int i = 0; i < n; i++)
        {
            if (!sideband[i]) continue;
            ms += mass[i];
            mss += mass[i] * mass[i];
            nsb++;
        }
        if (nsb < 2) throw new ArgumentException($"Only {nsb} sideband events: the preprocessing needs the sidebands.");
        double mMean = ms / nsb, mStd = Math.Sqrt(Math.Max(mss / nsb - mMean * mMean, 0));
        var min = Enumerable.Repeat(double.PositiveInfinity, d).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, d).ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double v = features[i * d + j];
                if (v < min[j]) min[j] = v;
                if (v > max[j]) max[j] = v;
            }
        for (int j = 0; j < d; j++)
        {
            if (max[j] > 0) max[j] *= 1.2;
            if (!(max[j] > min[j])) throw new ArgumentException($"Feature {j + 1} is constant ({min[j]}); it cannot be preprocessed.");
        }
        var p = new CathodePreprocessing(mMean, mStd, min, max, new double[d], Enumerable.Repeat(1.0, d).ToArray());
        var y = p.Logit(features, d);
        var mean = new double[d];
        var sq = new double[d];
        for (int i = 0; i < n; i++)
        {
            if (!sideband[i]) continue;
            for (int j = 0; j < d; j++)
            {
                mean[j] += y[i * d + j];
                sq[j] += y[i * d + j] * y[i * d + j];
            }
        }
        var std = new double[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] /= nsb;
            std[j] = Math.Sqrt(Math.Max(sq[j] / nsb - mean[j] * mean[j], 1e-300));
        }
        return p with { Mean = mean, Std = std };
    }

    /// <summary>Standardised masses.</summary>
    public double[] Masses(ReadOnlySpan<double> mass)
    {
        var r = new double[mass.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (mass[i] - MassMean) / MassStd;
        return r;
    }

    private double[] Logit(ReadOnlySpan<double> x, int d)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            // Clamped to the fitted range: outside it the logit below is NaN (see the type's remarks).
            double u = (Math.Clamp(x[i], Min[j], Max[j]) - Min[j]) / (Max[j] - Min[j]);
            u = 0.96 * u + 0.02;
            y[i] = Math.Log(u / (1 - u + Eps));
        }
        return y;
    }

    /// <summary>Per feature, how many of the row-major values <paramref name="x"/> lie outside the fitted range (and are clamped by <see cref="Features"/>).</summary>
    public int[] OutsideRange(ReadOnlySpan<double> x)
    {
        int d = Min.Length;
        var n = new int[d];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            if (x[i] < Min[j] || x[i] > Max[j]) n[j]++;
        }
        return n;
    }

    /// <summary>Forward transform of row-major features (rows × D); values outside the fitted range are clamped to it.</summary>
    public double[] Features(ReadOnlySpan<double> x)
    {
        int d = Min.Length;
        var y = Logit(x, d);
        for (int i = 0; i < y.Length; i++) y[i] = (y[i] - Mean[i % d]) / Std[i % d];
        return y;
    }

    /// <summary>Exact inverse of <see cref="Features"/>.</summary>
    public double[] InverseFeatures(ReadOnlySpan<double> z)
    {
        int d = Min.Length;
        var x = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            int j = i % d;
            double y = z[i] * Std[j] + Mean[j];
            // u/(1 − u + ε) = e^y  ⇒  u = e^y (1 + ε)/(1 + e^y), written to stay finite for large |y|.
            double u = y > 0 ? (1 + Eps) / (1 + Math.Exp(-y)) : Math.Exp(y) * (1 + Eps) / (1 + Math.Exp(y));
            x[i] = (u - 0.02) / 0.96 * (Max[j] - Min[j]) + Min[j];
        }
        return x;
    }
}
