using System.Text.Json.Serialization;

namespace FastAD.Data.Synthetic;

/// <summary>Which Z′ → X Y signal the CONRAD generator injects.</summary>
public enum ConradSignal
{
    /// <summary>X (300 GeV) decays to three prongs: low tau32.</summary>
    [JsonStringEnumMemberName("3prong")] ThreeProng,
    /// <summary>X (300 GeV) decays to two prongs: low tau21.</summary>
    [JsonStringEnumMemberName("2prong")] TwoProng,
}

/// <summary>Options of <see cref="ConradGenerator"/>.</summary>
/// <param name="Events">Background events in the "data" sample after the trigger (and in the template); null gives 700,000.</param>
/// <param name="SignalFraction">Signal events as a fraction of <paramref name="Events"/>; null gives 1,200 / 700,000.</param>
/// <param name="Signal">Three- or two-prong signal.</param>
/// <param name="Seed">Philox seed.</param>
public sealed record ConradOptions(int? Events = null, double? SignalFraction = null, ConradSignal Signal = ConradSignal.ThreeProng, ulong Seed = 1);

/// <summary>
/// Synthetic MET + large-R jet events for CONRAD (SPEC 2): columns <c>MET</c>, <c>m_J</c>, <c>tau21</c>,
/// <c>tau32</c>, <c>is_signal</c> and <c>is_template</c> (0: "data" = Z(νν)+jets + injected Z′ signal;
/// 1: the γ+jets background template, close to but not the same as Z(νν)+jets). Every event passes the
/// trigger MET &gt; 700 GeV; the signal region is MET &gt; 1000 GeV. Background jet features depend smoothly
/// on MET. Constants are in docs/DATA.md ("CONRAD").
/// </summary>
public static class ConradGenerator
{
    /// <summary>Background events after the trigger in the paper-sized sample.</summary>
    public const int DefaultEvents = 700_000;
    /// <summary>Signal events in the paper-sized sample.</summary>
    public const int DefaultSignalEvents = 1_200;
    /// <summary>Trigger threshold on MET (GeV).</summary>
    public const double TriggerMet = 700.0;
    /// <summary>Signal-region threshold on MET (GeV).</summary>
    public const double SignalRegionMet = 1000.0;

    /// <summary>Shape constants of one background process.</summary>
    private sealed record Process(double MetIndex, double MassAt1TeV, double MassMetPower, double MassSigma,
        double Tau21Logit, double Tau21MetSlope, double Tau21MassSlope, double Tau21Sigma,
        double Tau32Logit, double Tau32MetSlope, double Tau32Sigma, double Rho);

    // MET: Pareto above the trigger, P(MET > x) = (x/700)^-index; index 5.74 puts 12.9% (90k of 700k) above 1 TeV.
    // m_J: log-normal, median MassAt1TeV * (MET/1 TeV)^MassMetPower; tau21, tau32: logit-normal, correlated.
    private static readonly Process ZNuNu = new(5.74, 75.0, 0.6, 0.55, 0.45, -0.25, 0.20, 0.55, 0.95, -0.15, 0.45, 0.35);
    private static readonly Process GammaJets = new(5.60, 72.0, 0.6, 0.57, 0.50, -0.25, 0.20, 0.57, 0.97, -0.15, 0.46, 0.33);

    /// <summary>Expected fraction of Z(νν)+jets events in the signal region (MET &gt; 1 TeV).</summary>
    public static double BackgroundSignalRegionFraction => Math.Pow(SignalRegionMet / TriggerMet, -ZNuNu.MetIndex);

    /// <summary>Generates "data" (Z(νν)+jets + signal) followed by the γ+jets template.</summary>
    public static EventTable Generate(ConradOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int n = options.Events ?? DefaultEvents;
        SyntheticRows.CheckEvents(n, "CONRAD");
        double f = options.SignalFraction ?? (double)DefaultSignalEvents / DefaultEvents;
        SyntheticRows.CheckFraction(f);
        int nS = (int)Math.Round(f * n);
        int dataRows = n + nS;
        long total = (long)dataRows + n;
        if (total > Array.MaxLength) throw new ArgumentException($"--events {n} is too large for one table.");
        var component = SyntheticRows.ShuffledComponents(options.Seed, 3, n, nS);
        var met = new double[total];
        var mJ = new double[total];
        var tau21 = new double[total];
        var tau32 = new double[total];
        var isSignal = new int[total];
        var isTemplate = new int[total];
        var signal = options.Signal;
        SyntheticRows.ForEachRow(dataRows, options.Seed, 3, 1, 4, (row, u, z) =>
        {
            if (component[row] == 0) Background(ZNuNu, row, u, z, met, mJ, tau21, tau32);
            else
            {
                Signal(signal, row, u, z, met, mJ, tau21, tau32);
                isSignal[row] = 1;
            }
        });
        SyntheticRows.ForEachRow(n, options.Seed, 4, 1, 4, (row, u, z) =>
        {
            Background(GammaJets, dataRows + row, u, z, met, mJ, tau21, tau32);
            isTemplate[dataRows + row] = 1;
        });
        return EventTable.FromColumns(("MET", met), ("m_J", mJ), ("tau21", tau21), ("tau32", tau32), ("is_signal", isSignal), ("is_template", isTemplate));
    }

    private static void Background(Process p, int i, ReadOnlySpan<double> u, ReadOnlySpan<double> z,
        double[] met, double[] mJ, double[] tau21, double[] tau32)
    {
        // 1 - u is in (0, 1], so the Pareto draw is finite.
        double m = TriggerMet * Math.Pow(1 - u[0], -1 / p.MetIndex);
        double lt = Math.Log(m / 1000.0);
        double mass = p.MassAt1TeV * Math.Exp(p.MassMetPower * lt + p.MassSigma * z[0]);
        double lm = Math.Log(mass / 80.0);
        double a = p.Tau21Logit + p.Tau21MetSlope * lt + p.Tau21MassSlope * lm + p.Tau21Sigma * z[1];
        double b = p.Tau32Logit + p.Tau32MetSlope * lt + p.Tau32Sigma * (p.Rho * z[1] + Math.Sqrt(1 - p.Rho * p.Rho) * z[2]);
        met[i] = m;
        mJ[i] = mass;
        tau21[i] = SyntheticRows.Logistic(a);
        tau32[i] = SyntheticRows.Logistic(b);
    }

    private static void Signal(ConradSignal kind, int i, ReadOnlySpan<double> u, ReadOnlySpan<double> z, double[] met, double[] mJ, double[] tau21, double[] tau32)
    {
        // MET: the invisible Y (100 GeV) recoils against X from a 2.5 TeV Z': shifted log-normal above the trigger
        // (median 1.1 TeV). m_J: in 75% of events (SignalContainedFraction) the large-R jet holds every prong of X: 300 GeV with a 15% log-normal
        // spread (resolution and radiation); otherwise a prong falls outside the jet and the mass is lower and broad.
        // Substructure: three prongs give lower tau32 and two prongs lower tau21 than the QCD jets, with overlap.
        bool contained = u[0] < SignalContainedFraction;
        met[i] = TriggerMet + Math.Exp(Math.Log(400.0) + 0.45 * z[0]);
        if (kind == ConradSignal.ThreeProng)
        {
            mJ[i] = contained ? 300.0 * Math.Exp(0.15 * z[1]) : 170.0 * Math.Exp(0.35 * z[1]);
            tau21[i] = SyntheticRows.Logistic(0.3 + 0.55 * z[2]);
            tau32[i] = SyntheticRows.Logistic(0.0 + 0.5 * z[3]);
        }
        else
        {
            mJ[i] = contained ? 300.0 * Math.Exp(0.15 * z[1]) : 120.0 * Math.Exp(0.4 * z[1]);
            tau21[i] = SyntheticRows.Logistic(-0.1 + 0.5 * z[2]);
            tau32[i] = SyntheticRows.Logistic(0.8 + 0.5 * z[3]);
        }
    }

    /// <summary>Fraction of signal events whose large-R jet contains every prong of X (the rest have a lower, broader mass).</summary>
    public const double SignalContainedFraction = 0.75;
}
