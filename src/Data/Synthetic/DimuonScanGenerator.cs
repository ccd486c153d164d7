namespace FastAD.Data.Synthetic;

/// <summary>A narrow resonance of the scan spectrum: its mass (GeV), events, prompt fraction and log-normal pt − 22 GeV.</summary>
/// <param name="Name">"J/psi", "Upsilon(1S)", or "injected" for <c>--inject</c>.</param>
/// <param name="Code">Value of the <c>resonance</c> column for its events (background 0).</param>
/// <param name="Mass">Peak mass (GeV).</param>
/// <param name="Events">Events generated.</param>
/// <param name="PromptFraction">Fraction with prompt muons; the rest have displaced ones (b-hadron decays).</param>
/// <param name="PtMu">Mean of ln(pt − 22 GeV) of the prompt events.</param>
/// <param name="PtSigma">Standard deviation of ln(pt − 22 GeV).</param>
public sealed record DimuonResonance(string Name, int Code, double Mass, int Events, double PromptFraction, double PtMu, double PtSigma);

/// <summary>Options of <see cref="DimuonScanGenerator"/>.</summary>
/// <param name="Low">Lower end of the spectrum (GeV).</param>
/// <param name="High">Upper end (GeV).</param>
/// <param name="Background">Background events; null: <see cref="DimuonScanGenerator.DefaultBackground"/> scaled to the range's share of [2, 20].</param>
/// <param name="Resonances">Whether the known resonances inside the range are added (false: background only).</param>
/// <param name="Inject">Extra signals (mass, events) with the Υ's features, at 1 % resolution.</param>
/// <param name="Seed">Philox seed: the same seed gives the same table.</param>
public sealed record DimuonScanOptions(double Low = 2, double High = 20, int? Background = null, bool Resonances = true,
    IReadOnlyList<(double Mass, int Events)>? Inject = null, ulong Seed = 1);

/// <summary>
/// A synthetic anti-isolated-like dimuon spectrum for mass scans (SPEC 5): a smooth falling background f(m) ∝ m^(−1.5)
/// of displaced muons (the features of <see cref="DimuonGenerator"/>'s hadron decays) and the narrow resonances J/ψ, ψ(2S)
/// and Υ(1S, 2S, 3S) at 1 % mass resolution, each with its own features (docs/DATA.md, "Dimuon scan spectrum").
/// Columns as <see cref="DimuonGenerator"/>'s plus <c>resonance</c> (0 background, 1 J/ψ, 2 ψ(2S), 3–5 Υ(1S–3S),
/// 6 injected); <c>is_signal</c> is 1 for every resonance event. The 5–16 GeV sample of <see cref="DimuonGenerator"/> is
/// a different, unchanged generator.
/// </summary>
public static class DimuonScanGenerator
{
    /// <summary>Background events on [2, 20] GeV (about 12,000 of them in 5–16 GeV, as in the published OS sample).</summary>
    public const int DefaultBackground = 30_000;

    /// <summary>Exponent k of the background density m^(−k).</summary>
    public const double BackgroundSlope = 1.5;

    /// <summary>Relative mass resolution of every peak (CMS-like 1 %).</summary>
    public const double MassResolution = DimuonGenerator.MassResolution;

    /// <summary>The known resonances (PDG masses); the Υ counts are the 97 events of the 5–16 GeV sample split 1 : 0.28 : 0.15.</summary>
    public static readonly DimuonResonance[] Known =
    [
        new("J/psi", 1, 3.0969, 1500, 0.80, 3.0, 0.45),
        new("psi(2S)", 2, 3.6861, 120, 0.75, 3.1, 0.45),
        new("Upsilon(1S)", 3, DimuonGenerator.UpsilonMasses[0], 68, 1.0, 3.912023, 0.45),
        new("Upsilon(2S)", 4, DimuonGenerator.UpsilonMasses[1], 19, 1.0, 3.912023, 0.45),
        new("Upsilon(3S)", 5, DimuonGenerator.UpsilonMasses[2], 10, 1.0, 3.912023, 0.45),
    ];

    /// <summary>The resonances a sample with <paramref name="options"/> holds: the known ones inside the range, then the injected ones.</summary>
    public static DimuonResonance[] Resonances(DimuonScanOptions options) =>
        (options.Resonances ? Known.Where(r => r.Mass >= options.Low && r.Mass <= options.High) : [])
        .Concat((options.Inject ?? []).Select(i => new DimuonResonance("injected", 6, i.Mass, i.Events, 1.0, Known[2].PtMu, Known[2].PtSigma))).ToArray();

    /// <summary>Background events of a range by default: <see cref="DefaultBackground"/> times the range's share of the [2, 20] GeV density.</summary>
    public static int BackgroundEvents(double low, double high) =>
        (int)Math.Round(DefaultBackground * (Cdf(high) - Cdf(low)) / (Cdf(20) - Cdf(2)));

    private static double Cdf(double m) => -Math.Pow(m, 1 - BackgroundSlope);

    /// <summary>Generates one spectrum.</summary>
    public static EventTable Generate(DimuonScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(double.IsFinite(options.Low) && double.IsFinite(options.High) && options.Low > 0 && options.High > options.Low))
            throw new ArgumentException($"--range {options.Low}:{options.High}: expected 0 < low < high (GeV).");
        foreach (var (m, count) in options.Inject ?? [])
        {
            if (!(m > options.Low && m < options.High))
                throw new ArgumentException($"--inject {m}:{count}: the mass must lie inside the range ({options.Low}, {options.High}) GeV.");
            if (count < 1) throw new ArgumentException($"--inject {m}:{count}: expected at least one event.");
        }
        int background = options.Background ?? BackgroundEvents(options.Low, options.High);
        var peaks = Resonances(options);
        int n = background + peaks.Sum(r => r.Events);
        SyntheticRows.CheckEvents(n, "the dimuon scan spectrum");
        var component = SyntheticRows.ShuffledComponents(options.Seed, 3, [background, .. peaks.Select(r => r.Events)]);
        var mass = new double[n];
        var pt = new double[n];
        var ip0 = new double[n];
        var ip1 = new double[n];
        var isSignal = new int[n];
        var code = new int[n];
        double a = Cdf(options.Low), b = Cdf(options.High), e = 1 - BackgroundSlope;
        SyntheticRows.ForEachRow(n, options.Seed, 3, 2, 4, (row, u, z) =>
        {
            int c = component[row];
            if (c == 0)
            {
                // Inverse CDF of m^(−k): −m^(1−k) is uniform between its values at the range's ends.
                double m = Math.Pow(-(a + u[0] * (b - a)), 1 / e);
                mass[row] = m;
                (pt[row], ip0[row], ip1[row]) = DimuonGenerator.DisplacedFeatures(m, z);
                return;
            }
            var r = peaks[c - 1];
            mass[row] = r.Mass * (1 + MassResolution * z[3]);
            // Prompt muons from the resonance itself; the rest (J/ψ and ψ(2S) from b-hadron decays) displaced.
            (pt[row], ip0[row], ip1[row]) = u[1] < r.PromptFraction
                ? DimuonGenerator.PromptFeatures(r.PtMu, r.PtSigma, z)
                : DimuonGenerator.DisplacedFeatures(mass[row], z);
            isSignal[row] = 1;
            code[row] = r.Code;
        });
        return EventTable.FromColumns(("dimu_mass", mass), ("dimu_pt", pt), ("mu0_ip3d", ip0), ("mu1_ip3d", ip1), ("is_signal", isSignal), ("resonance", code));
    }
}
