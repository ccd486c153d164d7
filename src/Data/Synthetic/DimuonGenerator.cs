using System.Text.Json.Serialization;

namespace FastAD.Data.Synthetic;

/// <summary>Charge combination of the two muons.</summary>
public enum DimuonChannel
{
    /// <summary>Opposite sign: the signal search.</summary>
    [JsonStringEnumMemberName("OS")] OS,
    /// <summary>Same sign: the control channel (no Υ, no Drell–Yan).</summary>
    [JsonStringEnumMemberName("SS")] SS,
}

/// <summary>Options of <see cref="DimuonGenerator"/>.</summary>
/// <param name="Channel">OS or SS.</param>
/// <param name="Events">Total events; null gives the published size (OS 12,332; SS 7,168).</param>
/// <param name="SignalFraction">Fraction of Υ events; null gives 97/12,332 for OS and 0 for SS.</param>
/// <param name="Seed">Philox seed: the same seed gives the same table.</param>
public sealed record DimuonOptions(DimuonChannel Channel = DimuonChannel.OS, int? Events = null, double? SignalFraction = null, ulong Seed = 1);

/// <summary>
/// Synthetic anti-isolated CMS dimuon events (SPEC 1.1): columns <c>dimu_mass</c>, <c>dimu_pt</c>,
/// <c>mu0_ip3d</c>, <c>mu1_ip3d</c> (GeV, cm; mu0 is the harder muon) and the truth column
/// <c>is_signal</c>. Background: hadron decays in flight (equal in OS and SS, displaced), correlated bb̄
/// pairs (OS only, displaced) and Drell–Yan (OS only, prompt); signal: Υ(1S, 2S, 3S) with prompt muons.
/// Every constant and how it was fitted to the CMS data is in docs/DATA.md ("Dimuon").
/// </summary>
public static class DimuonGenerator
{
    /// <summary>Published OS size after the anti-isolation cut.</summary>
    public const int OsEvents = 12_332;
    /// <summary>Published SS size after the anti-isolation cut.</summary>
    public const int SsEvents = 7_168;
    /// <summary>Υ events in the default OS sample (the S of the published FPR = 1 bump hunt).</summary>
    public const int OsSignalEvents = 97;
    /// <summary>Lower edge of the mass window (GeV).</summary>
    public const double MassLow = 5.0;
    /// <summary>Upper edge of the mass window (GeV).</summary>
    public const double MassHigh = 16.0;

    /// <summary>Υ(1S), Υ(2S), Υ(3S) masses (GeV, PDG).</summary>
    public static readonly double[] UpsilonMasses = [9.4603, 10.0233, 10.3552];
    /// <summary>Relative Υ yields (σ·B(μμ) ratios 1 : 0.28 : 0.15, normalised).</summary>
    public static readonly double[] UpsilonFractions = [1 / 1.43, 0.28 / 1.43, 0.15 / 1.43];
    /// <summary>Relative mass resolution of the Υ peaks.</summary>
    public const double MassResolution = 0.01;

    // Mass shapes exp(c1 t + c2 t^2 + c3 t^3), t = (m - 10.5)/5.5, fitted to the published spectra
    // (scripts/fit_dimuon_generator.py): hadron decays to the SS masses, the OS-only part to OS - SS.
    private static readonly TabulatedSpectrum HadronMass = new(MassLow, MassHigh, 10.5, 5.5, [-0.65252113, 0.17551616, -0.06608654]);
    private static readonly TabulatedSpectrum OsOnlyMass = new(MassLow, MassHigh, 10.5, 5.5, [-1.10030204, 0.62842058, 0.47427612]);

    // Fraction of the OS-only background that is Drell–Yan (prompt); the rest is correlated bb̄ (displaced).
    private const double DrellYanFraction = 0.05;

    // Displaced muons: pt = 22 + exp(mu + b (m - 10) + s SA(z)), ip = exp(mu + b (m - 10) + s SA(z)),
    // SA the sinh-arcsinh transform, z normal with correlation matrix R (order pt, ip0, ip1).
    private const double PtShift = 22.0;
    private const double DisplacedPtMu = 2.808924, DisplacedPtSigma = 0.756030, DisplacedPtDelta = 0.942339, DisplacedPtEpsilon = 0.000101;
    private const double DisplacedIp0Mu = -4.409445, DisplacedIp0Sigma = 1.631359, DisplacedIp0Delta = 0.824929, DisplacedIp0Epsilon = 0.000188;
    private const double DisplacedIp1Mu = -4.225807, DisplacedIp1Sigma = 1.817118, DisplacedIp1Delta = 0.759614, DisplacedIp1Epsilon = 0.000160;
    private const double PtMassSlope = -0.03, IpMassSlope = 0.08;
    private const double RhoPtIp0 = -0.049933, RhoPtIp1 = 0.005042, RhoIp0Ip1 = 0.029843;

    // Prompt muons (Υ and Drell–Yan): log-normal ip3d from the sideband-subtracted isolated Υ(1S) peak.
    private const double PromptIp0Mu = -6.377127, PromptIp0Sigma = 0.80, PromptIp1Mu = -5.991465, PromptIp1Sigma = 0.75;
    private const double DrellYanPtMu = 2.6, DrellYanPtSigma = 0.7;
    private const double UpsilonPtMu = 3.912023, UpsilonPtSigma = 0.45;

    private static readonly double[] Cholesky = CholeskyOf(RhoPtIp0, RhoPtIp1, RhoIp0Ip1);

    private const byte Hadron = 0, BBbar = 1, DrellYan = 2, Upsilon = 3;

    /// <summary>Generates one sample.</summary>
    public static EventTable Generate(DimuonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool os = options.Channel == DimuonChannel.OS;
        int n = options.Events ?? (os ? OsEvents : SsEvents);
        SyntheticRows.CheckEvents(n, $"the dimuon {options.Channel} sample");
        double f = options.SignalFraction ?? (os ? (double)OsSignalEvents / OsEvents : 0.0);
        SyntheticRows.CheckFraction(f);
        return Generate(options.Channel, n, (int)Math.Round(f * n), options.Seed);
    }

    /// <summary>
    /// Υ events alone (<c>is_signal</c> = 1 in every row), for signal-injection studies: the generator's signal of
    /// <paramref name="channel"/>, <paramref name="events"/> of it, from the stream of <paramref name="seed"/>.
    /// </summary>
    public static EventTable GenerateSignal(DimuonChannel channel, int events, ulong seed)
    {
        SyntheticRows.CheckEvents(events, $"the dimuon {channel} signal sample");
        return Generate(channel, events, events, seed);
    }

    private static EventTable Generate(DimuonChannel channel, int n, int nS, ulong seed)
    {
        bool os = channel == DimuonChannel.OS;
        int background = n - nS;
        int nH, nB, nD;
        if (os)
        {
            nH = (int)Math.Round(background * (double)SsEvents / (OsEvents - OsSignalEvents));
            int osOnly = background - nH;
            nD = (int)Math.Round(DrellYanFraction * osOnly);
            nB = osOnly - nD;
        }
        else
        {
            nH = background;
            nB = nD = 0;
        }
        uint sample = os ? 1u : 2u;
        var component = SyntheticRows.ShuffledComponents(seed, sample, nH, nB, nD, nS);
        var mass = new double[n];
        var pt = new double[n];
        var ip0 = new double[n];
        var ip1 = new double[n];
        var isSignal = new int[n];
        SyntheticRows.ForEachRow(n, seed, sample, 2, 4, (row, u, z) =>
        {
            byte c = component[row];
            double m;
            switch (c)
            {
                case Hadron or BBbar:
                {
                    m = (c == Hadron ? HadronMass : OsOnlyMass).Quantile(u[0]);
                    (pt[row], ip0[row], ip1[row]) = DisplacedFeatures(m, z);
                    break;
                }
                case DrellYan:
                    m = OsOnlyMass.Quantile(u[0]);
                    pt[row] = PtShift + Math.Exp(DrellYanPtMu + DrellYanPtSigma * z[0]);
                    ip0[row] = Math.Exp(PromptIp0Mu + PromptIp0Sigma * z[1]);
                    ip1[row] = Math.Exp(PromptIp1Mu + PromptIp1Sigma * z[2]);
                    break;
                default:
                {
                    double peak = UpsilonMasses[u[1] < UpsilonFractions[0] ? 0 : u[1] < UpsilonFractions[0] + UpsilonFractions[1] ? 1 : 2];
                    m = peak * (1 + MassResolution * z[3]);
                    (pt[row], ip0[row], ip1[row]) = UpsilonFeatures(z);
                    isSignal[row] = 1;
                    break;
                }
            }
            mass[row] = m;
        });
        return EventTable.FromColumns(("dimu_mass", mass), ("dimu_pt", pt), ("mu0_ip3d", ip0), ("mu1_ip3d", ip1), ("is_signal", isSignal));
    }

    /// <summary>
    /// The displaced muons' features at mass <paramref name="m"/> from three normals (the hadron-decay and bb̄ model); shared
    /// with <see cref="DimuonScanGenerator"/>.
    /// </summary>
    internal static (double Pt, double Ip0, double Ip1) DisplacedFeatures(double m, ReadOnlySpan<double> z)
    {
        double dm = m - 10.0;
        double z0 = Cholesky[0] * z[0];
        double z1 = Cholesky[1] * z[0] + Cholesky[2] * z[1];
        double z2 = Cholesky[3] * z[0] + Cholesky[4] * z[1] + Cholesky[5] * z[2];
        return (PtShift + Math.Exp(DisplacedPtMu + PtMassSlope * dm + DisplacedPtSigma * SyntheticRows.SinhArcsinh(z0, DisplacedPtDelta, DisplacedPtEpsilon)),
            Math.Exp(DisplacedIp0Mu + IpMassSlope * dm + DisplacedIp0Sigma * SyntheticRows.SinhArcsinh(z1, DisplacedIp0Delta, DisplacedIp0Epsilon)),
            Math.Exp(DisplacedIp1Mu + IpMassSlope * dm + DisplacedIp1Sigma * SyntheticRows.SinhArcsinh(z2, DisplacedIp1Delta, DisplacedIp1Epsilon)));
    }

    /// <summary>The Υ's prompt muons' features from three normals; shared with <see cref="DimuonScanGenerator"/>.</summary>
    internal static (double Pt, double Ip0, double Ip1) UpsilonFeatures(ReadOnlySpan<double> z) => PromptFeatures(UpsilonPtMu, UpsilonPtSigma, z);

    /// <summary>Prompt muons with a log-normal pt − 22 GeV of (<paramref name="ptMu"/>, <paramref name="ptSigma"/>) and the prompt ip3d model.</summary>
    internal static (double Pt, double Ip0, double Ip1) PromptFeatures(double ptMu, double ptSigma, ReadOnlySpan<double> z) =>
        (PtShift + Math.Exp(ptMu + ptSigma * z[0]), Math.Exp(PromptIp0Mu + PromptIp0Sigma * z[1]), Math.Exp(PromptIp1Mu + PromptIp1Sigma * z[2]));

    /// <summary>Expected background fractions in the bands SBL [5, 9), SR [9, 10.6), SBH [10.6, 16] of a channel's background.</summary>
    public static (double Sbl, double Sr, double Sbh) BackgroundBandFractions(DimuonChannel channel)
    {
        double hadron = (double)SsEvents / (OsEvents - OsSignalEvents);
        double F(double m) => channel == DimuonChannel.SS ? HadronMass.Cdf(m) : hadron * HadronMass.Cdf(m) + (1 - hadron) * OsOnlyMass.Cdf(m);
        double a = F(9.0), b = F(10.6);
        return (a, b - a, 1 - b);
    }

    private static double[] CholeskyOf(double r01, double r02, double r12)
    {
        // Lower-triangular L (row-major packed: l00, l10, l11, l20, l21, l22) with L Lᵀ = R.
        double l00 = 1, l10 = r01, l11 = Math.Sqrt(1 - r01 * r01);
        double l20 = r02, l21 = (r12 - r02 * r01) / l11, l22 = Math.Sqrt(1 - l20 * l20 - l21 * l21);
        return [l00, l10, l11, l20, l21, l22];
    }
}
