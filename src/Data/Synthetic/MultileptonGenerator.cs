namespace FastAD.Data.Synthetic;

/// <summary>Options of <see cref="MultileptonGenerator"/>.</summary>
/// <param name="Events">Background events in each of "data" and "simulation"; null gives 2,000.</param>
/// <param name="SignalFraction">Signal events injected into "data", as a fraction of <paramref name="Events"/>; null gives 0.025.</param>
/// <param name="SignalMassA">m_A of the signal A → B(ee) C(μμ): 125, 150 or 250 GeV (m_B = 25, m_C = 15).</param>
/// <param name="Seed">Philox seed.</param>
public sealed record MultileptonOptions(int? Events = null, double? SignalFraction = null, double SignalMassA = 125, ulong Seed = 1);

/// <summary>
/// Synthetic e⁺e⁻μ⁺μ⁻ events (SPEC 3): columns <c>m_ee</c>, <c>m_mumu</c>, <c>m_4l</c> (GeV), <c>is_signal</c> and
/// <c>is_simulation</c> (0: "data" = an independent background copy + injected signal; 1: "simulation" =
/// another background copy). Background: ZZ continuum (both pairs on the Z), single Z → 4ℓ (m_4l at the
/// Z) and H → ZZ* (m_4l at 125 GeV). Constants are in docs/DATA.md ("Multilepton").
/// </summary>
public static class MultileptonGenerator
{
    /// <summary>Background events per copy by default (our scale for about 150 fb⁻¹ of 2e2μ).</summary>
    public const int DefaultEvents = 2_000;
    /// <summary>Default injected signal fraction.</summary>
    public const double DefaultSignalFraction = 0.025;
    /// <summary>The signal mass points m_A (GeV).</summary>
    public static readonly double[] SignalMassPoints = [125, 150, 250];
    /// <summary>m_B (decays to ee), GeV.</summary>
    public const double MassB = 25;
    /// <summary>m_C (decays to μμ), GeV.</summary>
    public const double MassC = 15;

    private const double ZMass = 91.1876, ZWidth = 2.4952, HiggsMass = 125.0, Resolution = 0.015;
    // Background composition: ZZ continuum, Z -> 4l, H -> ZZ* -> 4l.
    private const double ZZFraction = 0.75, SingleZFraction = 0.19;

    /// <summary>Generates "data" then "simulation".</summary>
    public static EventTable Generate(MultileptonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int n = options.Events ?? DefaultEvents;
        SyntheticRows.CheckEvents(n, "the multilepton sample");
        double f = options.SignalFraction ?? DefaultSignalFraction;
        SyntheticRows.CheckFraction(f);
        if (!SignalMassPoints.Contains(options.SignalMassA))
            throw new ArgumentException($"The multilepton signal mass m_A must be one of {string.Join(", ", SignalMassPoints)} GeV (got {options.SignalMassA}).");
        int nS = (int)Math.Round(f * n);
        int dataRows = n + nS;
        int total = checked(dataRows + n);
        var mee = new double[total];
        var mmm = new double[total];
        var m4l = new double[total];
        var isSignal = new int[total];
        var isSimulation = new int[total];
        var component = SyntheticRows.ShuffledComponents(options.Seed, 5, n, nS);
        double mA = options.SignalMassA;
        SyntheticRows.ForEachRow(dataRows, options.Seed, 5, 5, 3, (row, u, z) =>
        {
            if (component[row] == 0) Background(row, u, z, mee, mmm, m4l);
            else
            {
                mee[row] = MassB * (1 + Resolution * z[0]);
                mmm[row] = MassC * (1 + Resolution * z[1]);
                m4l[row] = mA * (1 + Resolution * z[2]);
                isSignal[row] = 1;
            }
        });
        SyntheticRows.ForEachRow(n, options.Seed, 6, 5, 3, (row, u, z) =>
        {
            Background(dataRows + row, u, z, mee, mmm, m4l);
            isSimulation[dataRows + row] = 1;
        });
        return EventTable.FromColumns(("m_ee", mee), ("m_mumu", mmm), ("m_4l", m4l), ("is_signal", isSignal), ("is_simulation", isSimulation));
    }

    /// <summary>Breit–Wigner (Cauchy) draw from a uniform, truncated to [lo, hi] by inverting within the window.</summary>
    private static double BreitWigner(double u, double mass, double width, double lo, double hi)
    {
        double g = width / 2;
        double a = Math.Atan((lo - mass) / g), b = Math.Atan((hi - mass) / g);
        return mass + g * Math.Tan(a + u * (b - a));
    }

    private static void Background(int i, ReadOnlySpan<double> u, ReadOnlySpan<double> z, double[] mee, double[] mmm, double[] m4l)
    {
        double ee, mm, four;
        if (u[0] < ZZFraction)
        {
            // ZZ: both pairs on the Z (Breit-Wigner in [60, 120] smeared by the resolution); m_4l above their sum
            // with a falling tail.
            ee = BreitWigner(u[1], ZMass, ZWidth, 60, 120) * (1 + Resolution * z[0]);
            mm = BreitWigner(u[2], ZMass, ZWidth, 60, 120) * (1 + Resolution * z[1]);
            four = ee + mm + 5.0 - 60.0 * Math.Log(1 - u[3]);
        }
        else
        {
            bool higgs = u[0] >= ZZFraction + SingleZFraction;
            four = higgs ? HiggsMass * (1 + Resolution * z[2]) : BreitWigner(u[1], ZMass, ZWidth, 80, 100) * (1 + Resolution * z[2]);
            // One pair near the Z (H) or taking most of the mass (Z -> 4l), the other off shell.
            double onShell = higgs ? BreitWigner(u[1], ZMass, ZWidth, 70, 100) * (1 + Resolution * z[0]) : four * (0.55 + 0.25 * u[3]);
            double offShell = 4.0 + (four - onShell - 8.0) * Math.Sqrt(u[2]) * (higgs ? 0.75 : 0.9);
            offShell = Math.Max(4.0, offShell * (1 + Resolution * z[1]));
            // Which pair is on shell: electrons or muons with equal probability.
            bool electronsOnShell = u[4] < 0.5;
            ee = electronsOnShell ? onShell : offShell;
            mm = electronsOnShell ? offShell : onShell;
        }
        mee[i] = ee;
        mmm[i] = mm;
        m4l[i] = four;
    }
}
