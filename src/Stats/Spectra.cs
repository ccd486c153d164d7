namespace FastAD.Stats;

/// <summary>
/// Binned spectra ready for the bump-hunt likelihood, one row per spectrum and one column per
/// design row (sideband bins, then the SR). Each cell holds n = Σw and the Bohm–Zech scale
/// k = Σw²/Σw (1 for unweighted or trivially weighted bins), so that the bin's term is the scaled
/// Poisson n' ln λ' − λ' − lnΓ(n'+1) with n' = n/k and λ' = λ/k — the plain Poisson term when k = 1.
/// </summary>
public sealed class Spectra
{
    /// <summary>Creates zeroed spectra.</summary>
    public Spectra(int count, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 2);
        Count = count;
        Columns = columns;
        N = new double[(long)count * columns];
        K = new double[(long)count * columns];
        Array.Fill(K, 1.0);
    }

    /// <summary>Number of spectra.</summary>
    public int Count { get; }
    /// <summary>Cells per spectrum.</summary>
    public int Columns { get; }
    /// <summary>Σw per cell, row-major.</summary>
    public double[] N { get; }
    /// <summary>Scale k per cell, row-major.</summary>
    public double[] K { get; }

    /// <summary>
    /// One spectrum from events. Masses must be finite (the error names the row); masses counted in no
    /// band are skipped and reported in <paramref name="ignored"/>. Weights, when given, must be finite
    /// and non-negative.
    /// </summary>
    public static Spectra FromEvents(BumpHuntBinning binning, ReadOnlySpan<double> masses, ReadOnlySpan<double> weights, out int ignored)
    {
        ArgumentNullException.ThrowIfNull(binning);
        if (!weights.IsEmpty && weights.Length != masses.Length)
            throw new ArgumentException($"{weights.Length} weights for {masses.Length} masses.");
        int cols = binning.SbBins + 1;
        var count = new long[cols];
        var sw = new double[cols];
        var sw2 = new double[cols];
        ignored = 0;
        for (int i = 0; i < masses.Length; i++)
        {
            double m = masses[i];
            if (!double.IsFinite(m)) throw new ArgumentException($"Mass in row {i + 1} is {m}; masses must be finite.");
            double w = weights.IsEmpty ? 1.0 : weights[i];
            if (!double.IsFinite(w) || w < 0) throw new ArgumentException($"Weight in row {i + 1} is {w}; weights must be finite and non-negative.");
            int r = binning.Row(m);
            if (r < 0) { ignored++; continue; }
            count[r]++;
            sw[r] += w;
            sw2[r] += w * w;
        }
        var s = new Spectra(1, cols);
        for (int r = 0; r < cols; r++) s.SetCell(0, r, count[r], sw[r], sw2[r]);
        return s;
    }

    /// <summary>Sets one cell from its entry count, Σw and Σw² with the SPEC 1.6 rule for trivial weights.</summary>
    public void SetCell(int row, int column, long entries, double sumW, double sumW2)
    {
        long at = (long)row * Columns + column;
        if (entries == 0 || sumW <= 0)
        {
            N[at] = 0;
            K[at] = 1;
            return;
        }
        double mean = sumW / entries, mean2 = sumW2 / entries;
        N[at] = sumW;
        K[at] = Math.Abs(mean - 1) < 1e-3 && Math.Abs(mean2 - 1) < 1e-3 ? 1.0 : mean2 / mean;
    }

    /// <summary>
    /// Throws a clear error when a spectrum cannot support the fit: an empty sideband, or fewer sideband
    /// entries than the polynomial has coefficients.
    /// </summary>
    public void CheckFittable(BackgroundModel model, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        int sbl = model.Binning.SblBins, sb = model.Binning.SbBins;
        double low = 0, high = 0;
        int nonEmpty = 0;
        for (int r = 0; r < sb; r++)
        {
            double v = N[(long)row * Columns + r];
            if (r < sbl) low += v; else high += v;
            if (v > 0) nonEmpty++;
        }
        if (low <= 0) throw new ArgumentException($"The lower sideband [{model.Binning.SblEdges[0]:G4}, {model.Binning.SrLow:G4}) has no events; the background fit needs both sidebands.");
        if (high <= 0) throw new ArgumentException($"The upper sideband ({model.Binning.SrHigh:G4}, {model.Binning.SbhEdges[^1]:G4}] has no events; the background fit needs both sidebands.");
        if (nonEmpty < model.Parameters)
            throw new ArgumentException($"Only {nonEmpty} sideband bins have events; a degree-{model.Degree} polynomial needs at least {model.Parameters}. Lower --degree or loosen the selection.");
    }
}
