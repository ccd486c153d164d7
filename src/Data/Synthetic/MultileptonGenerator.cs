namespace FastAD.Data.Synthetic;

/// <summary>Options of <see cref="MultileptonGenerator"/>.</summary>
/// <param name="Events">Background events in each of "data" and "simulation"; null gives <see cref="MultileptonGenerator.DefaultEvents"/> (4,500: 150 fb⁻¹).</param>
/// <param name="SignalFraction">Signal events injected into "data", as a fraction of <paramref name="Events"/>; null gives 0.01.</param>
/// <param name="SignalMassA">m_A of the signal A → B(ee) C(μμ): 125, 150 or 250 GeV (m_B = 25, m_C = 15).</param>
/// <param name="Seed">Philox seed.</param>
public sealed record MultileptonOptions(int? Events = null, double? SignalFraction = null, double SignalMassA = 125, ulong Seed = 1);

/// <summary>
/// Synthetic e⁺e⁻μ⁺μ⁻ events (SPEC 3): columns <c>m_ee</c>, <c>m_mumu</c>, <c>m_4l</c> (GeV), <c>is_signal</c> and
/// <c>is_simulation</c> (0: "data" = an independent background copy + injected signal; 1: "simulation" =
/// another background copy). Background: ZZ (both pairs on the Z, m_4l from the ZZ threshold), Zγ* (one pair on the Z,
/// the other a falling low-mass continuum), γ*γ* (both pairs in that continuum), single Z → 4ℓ (m_4l at the Z, one pair far off shell) and H → ZZ* (m_4l at
/// 125 GeV). Constants are in docs/DATA.md ("Multilepton"); the sample stands for <see cref="BackgroundCrossSectionFb"/>
/// × luminosity selected events.
/// </summary>
public static class MultileptonGenerator
{
    /// <summary>Selected background cross section (fb) the generated shapes stand for: FastAD's choice, of the order of
    /// pp → ZZ/Zγ* → 2e2μ after a four-lepton selection (docs/DATA.md).</summary>
    public const double BackgroundCrossSectionFb = 30;
    /// <summary>The paper's integrated luminosity (fb⁻¹).</summary>
    public const double DefaultLuminosityFb = 150;
    /// <summary>Background events per copy by default: <see cref="BackgroundCrossSectionFb"/> × <see cref="DefaultLuminosityFb"/>.</summary>
    public const int DefaultEvents = 4_500;
    /// <summary>Default injected signal fraction.</summary>
    public const double DefaultSignalFraction = 0.01;
    /// <summary>The signal mass points m_A (GeV).</summary>
    public static readonly double[] SignalMassPoints = [125, 150, 250];
    /// <summary>m_B (decays to ee), GeV.</summary>
    public const double MassB = 25;
    /// <summary>m_C (decays to μμ), GeV.</summary>
    public const double MassC = 15;

    /// <summary>Background events a copy of <paramref name="luminosityFb"/> holds (<see cref="BackgroundCrossSectionFb"/> × L).</summary>
    public static int EventsFor(double luminosityFb) => (int)Math.Round(BackgroundCrossSectionFb * luminosityFb);

    /// <summary>Luminosity (fb⁻¹) a background copy of <paramref name="events"/> events stands for.</summary>
    public static double LuminosityOf(int events) => events / BackgroundCrossSectionFb;

    private const double ZMass = 91.1876, ZWidth = 2.4952, HiggsMass = 125.0;
    // Relative mass resolutions: electron pairs, muon pairs, the four-lepton mass.
    private const double ElectronResolution = 0.02, MuonResolution = 0.015, FourLeptonResolution = 0.015;
    // Background composition: ZZ, Zγ*, γ*γ*, Z -> 4l, H -> ZZ* -> 4l (the rest).
    private const double ZZFraction = 0.47, ZGammaFraction = 0.20, GammaGammaFraction = 0.03, SingleZFraction = 0.24;
    // Lowest pair mass (GeV) and the ZZ / Zγ* m_4l tails (GeV).
    private const double MinPairMass = 4, ZZTailScale = 35, ZGammaTailMean = 50;

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
        SyntheticRows.ForEachRow(dataRows, options.Seed, 5, Uniforms, 3, (row, u, z) =>
        {
            if (component[row] == 0) Background(row, u, z, mee, mmm, m4l);
            else
            {
                mee[row] = MassB * (1 + ElectronResolution * z[0]);
                mmm[row] = MassC * (1 + MuonResolution * z[1]);
                m4l[row] = mA * (1 + FourLeptonResolution * z[2]);
                isSignal[row] = 1;
            }
        });
        SyntheticRows.ForEachRow(n, options.Seed, 6, Uniforms, 3, (row, u, z) =>
        {
            Background(dataRows + row, u, z, mee, mmm, m4l);
            isSimulation[dataRows + row] = 1;
        });
        return EventTable.FromColumns(("m_ee", mee), ("m_mumu", mmm), ("m_4l", m4l), ("is_signal", isSignal), ("is_simulation", isSimulation));
    }

    private const int Uniforms = 7;

    /// <summary>Breit–Wigner (Cauchy) draw from a uniform, truncated to [lo, hi] by inverting within the window.</summary>
    private static double BreitWigner(double u, double mass, double width, double lo, double hi)
    {
        double g = width / 2;
        double a = Math.Atan((lo - mass) / g), b = Math.Atan((hi - mass) / g);
        return mass + g * Math.Tan(a + u * (b - a));
    }

    /// <summary>A 1/m (log-uniform) draw in [lo, hi]: the falling γ* continuum.</summary>
    private static double LogUniform(double u, double lo, double hi) => lo * Math.Pow(hi / lo, u);

    private static void Background(int i, ReadOnlySpan<double> u, ReadOnlySpan<double> z, double[] mee, double[] mmm, double[] m4l)
    {
        double onShell, offShell, four;
        // Which pair is the first (on-shell) one: electrons or muons with equal probability.
        bool electronsFirst = u[5] < 0.5;
        if (u[0] < ZZFraction)
        {
            // ZZ: both pairs on the Z; m_4l rises from the threshold (the pair masses' sum) and falls (a Gamma(2) excess).
            onShell = BreitWigner(u[1], ZMass, ZWidth, 60, 120);
            offShell = BreitWigner(u[2], ZMass, ZWidth, 60, 120);
            four = onShell + offShell + ZZTailScale * -Math.Log((1 - u[3]) * (1 - u[4]));
        }
        else if (u[0] < ZZFraction + ZGammaFraction)
        {
            // Zγ*: one pair on the Z, the other a 1/m continuum from 4 to 60 GeV; m_4l above their sum with a falling tail.
            onShell = BreitWigner(u[1], ZMass, ZWidth, 60, 120);
            offShell = LogUniform(u[2], MinPairMass, 60);
            four = onShell + offShell + 5 - ZGammaTailMean * Math.Log(1 - u[3]);
        }
        else if (u[0] < ZZFraction + ZGammaFraction + GammaGammaFraction)
        {
            // γ*γ*: both pairs off shell (1/m from 4 to 60 GeV); m_4l a falling continuum above their sum.
            onShell = LogUniform(u[1], MinPairMass, 60);
            offShell = LogUniform(u[2], MinPairMass, 60);
            four = onShell + offShell + 20 - ZGammaTailMean * Math.Log(1 - u[3]);
        }
        else if (u[0] < ZZFraction + ZGammaFraction + GammaGammaFraction + SingleZFraction)
        {
            // Z -> 4l: m_4l on the Z; the first pair takes most of it, the second a 1/m continuum up to what is left.
            four = BreitWigner(u[1], ZMass, ZWidth, 80, 100);
            onShell = four * (0.45 + 0.4 * u[3]);
            offShell = LogUniform(u[2], MinPairMass, Math.Max(MinPairMass, four - onShell - 1));
        }
        else
        {
            // H -> ZZ*: m_4l = 125 GeV; one pair near the Z, the other off shell, rising towards the kinematic edge.
            four = HiggsMass;
            onShell = BreitWigner(u[1], ZMass, ZWidth, 60, 105);
            offShell = 10 + Math.Max(0, four - onShell - 12) * Math.Sqrt(u[2]);
        }
        double ee = electronsFirst ? onShell : offShell, mm = electronsFirst ? offShell : onShell;
        // Detector resolution; a pair never falls below 4 GeV (the selection) and stays below m_4l.
        ee = Math.Max(MinPairMass, ee * (1 + ElectronResolution * z[0]));
        mm = Math.Max(MinPairMass, mm * (1 + MuonResolution * z[1]));
        four *= 1 + FourLeptonResolution * z[2];
        mee[i] = ee;
        mmm[i] = mm;
        m4l[i] = Math.Max(four, ee + mm + 1);
    }
}
