using FastAD.Analyses.Cathode;

namespace FastAD.Analyses.Scan;

/// <summary>
/// The configuration of a mass scan (SPEC 5), in YAML with snake_case keys: the window layout and the a-priori FPR set
/// (<see cref="ScanSection"/>), and the CATHODE chain every window repeats (<see cref="Cathode"/>, the keys of
/// <c>fastad cathode --print-config</c>; its <c>regions</c> are replaced by each window's bands and its seed by the
/// window's node of the scan's seed tree). The presets are CATHODE's.
/// </summary>
public sealed class ScanConfig : AnalysisConfig<ScanConfig>
{
    /// <summary>Base seed: window w's chain runs with the seed of <c>scan/window/SR_LOW-SR_HIGH</c>, so a window's numbers do not depend on the others.</summary>
    public override ulong Seed { get; set; } = 1;

    /// <summary>Windows, FPRs and the global-significance settings.</summary>
    public ScanSection Scan { get; set; } = new();

    /// <summary>The CATHODE chain of each window (SPEC 1.2–1.6).</summary>
    public CathodeConfig Cathode { get; set; } = CathodeConfig.Paper();

    /// <summary>The SPEC 5 scan settings.</summary>
    public sealed class ScanSection
    {
        /// <summary>A shallow copy (its lists shared).</summary>
        internal object Clone() => MemberwiseClone();

        /// <summary>Lower end of the scanned range (GeV).</summary>
        public double Low { get; set; } = 2;
        /// <summary>Upper end of the scanned range (GeV).</summary>
        public double High { get; set; } = 20;
        /// <summary>Relative growth r of the scan's bin edges (the detector resolution).</summary>
        public double Resolution { get; set; } = 0.01;
        /// <summary>L: resolution bins in each sideband.</summary>
        public int SidebandBins { get; set; } = 10;
        /// <summary>R: resolution bins in the signal region.</summary>
        public int SrBins { get; set; } = 10;
        /// <summary>s: resolution bins from one window to the next.</summary>
        public int Step { get; set; } = 5;
        /// <summary>The a-priori FPR set F (FPR = 1 is the plain bump hunt); fixed before looking at the data (SPEC 5.2).</summary>
        public List<double> Fprs { get; set; } = [1, 0.1, 0.01];
        /// <summary>
        /// The methods of SPEC 6 run in every window, on the same events (the flows of cathode, anode and lacathode are the
        /// same sideband flows). The first is the scan's: its t is the statistic, its curves the scan figure's, and the
        /// null pseudo-scans redo it; the others are reported beside it, each with its own maximum.
        /// </summary>
        public List<AnomalyMethod> Methods { get; set; } = [AnomalyMethod.Cathode];
        /// <summary>
        /// Windows whose chains run side by side (each from its own seeds, so the numbers do not depend on it): with 2 the
        /// flow members of two windows share the cores, where one window's last members leave cores idle. 1 runs them one
        /// after another.
        /// </summary>
        public int WindowBatch { get; set; } = 2;
        /// <summary>Level u0 of the upcrossings counted for the Gross–Vitells estimate.</summary>
        public double UpcrossingLevel { get; set; } = 1;
        /// <summary>Poisson pseudo-spectra of the fit-only (FPR = 1) global p-value; 0 skips it.</summary>
        public int FitOnlyToys { get; set; } = 10_000;
        /// <summary>Degree of the smooth background-only description of the whole spectrum (a polynomial in ln m of the log-density).</summary>
        public int SmoothDegree { get; set; } = 6;
    }

    /// <summary>CATHODE's quick preset in every window.</summary>
    protected override void MakeQuick() => Cathode = CathodeConfig.Quick();

    /// <inheritdoc />
    protected override string Command => "scan";

    /// <inheritdoc />
    public override void Validate()
    {
        var s = Scan;
        Require(double.IsFinite(s.Low) && double.IsFinite(s.High) && s.Low > 0 && s.High > s.Low, $"scan.low and scan.high: expected 0 < low < high (got {s.Low}, {s.High}).");
        Require(s.Resolution > 0 && s.Resolution < 1, $"scan.resolution must be in (0, 1) (got {s.Resolution}).");
        Require(s.SidebandBins >= 1 && s.SrBins >= 1 && s.Step >= 1, "scan.sideband_bins, scan.sr_bins and scan.step must each be at least 1.");
        Require(s.Fprs.Count >= 1, "scan.fprs: give at least one FPR (1 is the plain bump hunt).");
        foreach (var f in s.Fprs) Require(f > 0 && f <= 1, $"scan.fprs: {f} is outside (0, 1]; an FPR is a fraction of sideband events.");
        Require(s.Fprs.Distinct().Count() == s.Fprs.Count, "scan.fprs: an FPR is listed twice.");
        Require(s.WindowBatch is >= 1 and <= 64, $"scan.window_batch must be 1..64 (got {s.WindowBatch}).");
        Require(s.Methods.Count >= 1, $"scan.methods: give at least one of {EnumText.Choices(typeof(AnomalyMethod))}.");
        Require(s.Methods.Distinct().Count() == s.Methods.Count, "scan.methods: a method is listed twice.");
        Require(double.IsFinite(s.UpcrossingLevel) && s.UpcrossingLevel >= 0, $"scan.upcrossing_level must be a finite Z ≥ 0 (got {s.UpcrossingLevel}).");
        Require(s.FitOnlyToys >= 0, $"scan.fit_only_toys must be ≥ 0 (got {s.FitOnlyToys}).");
        Require(s.SmoothDegree is >= 1 and <= 12, $"scan.smooth_degree must be 1..12 (got {s.SmoothDegree}).");
        Cathode.Validate();
    }

    /// <summary>
    /// The YAML of what the null pseudo-scans' numbers depend on: this configuration without <c>scan.window_batch</c> (a
    /// schedule, not a number) and with the scan's first method alone (the pseudo-scans redo it, not the others).
    /// </summary>
    public string PseudoIdentityYaml()
    {
        var scan = (ScanSection)Scan.Clone();
        scan.WindowBatch = new ScanSection().WindowBatch;
        scan.Methods = [Scan.Methods[0]];
        return YamlConfig.ToYaml(new ScanConfig { Seed = Seed, Scan = scan, Cathode = Cathode });
    }

    /// <summary>The FPR set, highest first (FPR = 1, the plain bump hunt, leads when present).</summary>
    public double[] FprSet() => Scan.Fprs.OrderByDescending(f => f).ToArray();

    /// <summary>The windows of the configured range (SPEC 5.1).</summary>
    public ScanWindow[] SlidingWindows() => ScanWindows.Sliding(Scan.Low, Scan.High, Scan.Resolution, Scan.SidebandBins, Scan.SrBins, Scan.Step);

    /// <summary>
    /// The CATHODE configuration of one window: this scan's CATHODE sections (shared, read only) with the window's bands
    /// and the window's seed.
    /// </summary>
    public CathodeConfig ForWindow(ScanWindow w)
    {
        var c = Cathode;
        return new CathodeConfig
        {
            Seed = Kernels.Random.SeedTree.Of(Seed)["scan"]["window"][WindowKey(w)].Seed,
            Channel = c.Channel, Columns = c.Columns, Flows = c.Flows, Bdt = c.Bdt, Statistics = c.Statistics, Baselines = c.Baselines,
            Regions = new CathodeConfig.RegionsSection { SblLow = w.SblLow, SrLow = w.SrLow, SrHigh = w.SrHigh, SbhHigh = w.SbhHigh },
        };
    }

    /// <summary>The window's name in the seed tree: its SR edges (round-trip), so renumbering windows moves no stream.</summary>
    internal static string WindowKey(ScanWindow w) =>
        $"{w.SrLow.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}-{w.SrHigh.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
}
