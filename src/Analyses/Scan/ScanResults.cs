using System.Text.Json.Serialization;
using FastAD.Analyses.Cathode;

namespace FastAD.Analyses.Scan;

/// <summary>One FPR of a window: the working point reached on its sideband data and the bump hunt after the cut.</summary>
public sealed record WindowPoint(double TargetFpr, double Fpr, double NSr, double S, double B, double Z, double P, double[] ThetaHat);

/// <summary>
/// One method's outcome in a window (SPEC 6 on the window's bands): its local Z per FPR of the set, the reweighted Z,
/// where truth is known the maximum SIC (working points keeping ≥ 100 SR background events), and per FPR the sculpting
/// χ²/ndf of the sideband spectrum after the cut against the uncut one (about 1 when the cut keeps its shape).
/// </summary>
/// <param name="Method">The method's name (cathode, cwola, anode, lacathode, idealized, supervised; "bump hunt" for the fit-only scan).</param>
/// <param name="Points">Per FPR of the set (highest first).</param>
/// <param name="ReweightedZ">Likelihood-reweighted Z (SPEC 1.6); NaN for the plain bump hunt.</param>
/// <param name="MaxSic">Maximum SIC in the SR where the events carry truth (NaN otherwise).</param>
/// <param name="Sculpting">Per FPR of the set, the sculpting χ²/ndf (NaN at FPR 1).</param>
/// <param name="Failed">Why this method could not run in the window (e.g. supervised with too few true signal events); its points are then NaN.</param>
public sealed record WindowMethod(string Method, WindowPoint[] Points, double ReweightedZ, double MaxSic, double[] Sculpting, string? Failed = null);

/// <summary>
/// One finished window (saved as <c>windows/wNNN/window.json</c> as soon as it is done): its bands and counts, local Z
/// and p per FPR, the reweighted Z, the flows' sideband closure AUC and the binned spectra per FPR for the figures.
/// </summary>
/// <param name="Window">The window.</param>
/// <param name="Identity">Digest of everything the window's numbers depend on (its data, bands, configuration and seed): a saved window is resumed only under the same identity.</param>
/// <param name="Sbl">Events in the low sideband.</param>
/// <param name="Sr">Events in the SR band.</param>
/// <param name="Sbh">Events in the high sideband.</param>
/// <param name="Methods">Per method of the scan, in the configured order; the first is the scan's (<see cref="Points"/>).</param>
/// <param name="ClosureAuc">AUC between sideband data and flow samples drawn at the same masses (0.5: the flows close in the sidebands), by the
/// window's CATHODE classifier, or without cathode among the methods by the SPEC 6 k-fold closure classifier; NaN when no method uses the flows.</param>
/// <param name="SrVsSamplesAuc">AUC of SR data against the flow's SR samples (CATHODE's classifier; NaN without cathode).</param>
/// <param name="Edges">Bump-hunt bin edges across the window (SBL, SR, SBH).</param>
/// <param name="Counts">Per FPR, the events passing the first method's cut in each bin of <paramref name="Edges"/>.</param>
/// <param name="Seconds">Wall time of the window's chain.</param>
/// <param name="SidebandFit">The plain (FPR 1) sideband fit's Poisson deviance per degree of freedom and its χ² p-value: a small p says the
/// polynomial cannot follow the window's sidebands (a resonance in a sideband), and the window's Z is not to be trusted (null without FPR 1 in the set).</param>
/// <param name="Failed">Why the chain could not finish in this window (e.g. a resonance in a sideband leaves the sideband polynomial
/// predicting almost no SR events to sample); null when it finished. A failed window has NaN in its points and takes no part in the maxima.</param>
public sealed record WindowResult(ScanWindow Window, string Identity, int Sbl, int Sr, int Sbh, WindowMethod[] Methods, double ClosureAuc,
    double SrVsSamplesAuc, double[] Edges, double[][] Counts, double Seconds, string? Failed = null, SidebandFitQuality? SidebandFit = null)
{
    /// <summary>Below this sideband-fit p-value a window is flagged: its sidebands are not described by the polynomial.</summary>
    public const double PoorFitP = 1e-3;

    /// <summary>Whether the sideband fit is poor (p &lt; <see cref="PoorFitP"/>).</summary>
    [JsonIgnore] public bool PoorSidebandFit => SidebandFit is { } f && f.P < PoorFitP;

    /// <summary>The scan's method's points (the first method's; written to results.json as before the methods, read back from <see cref="Methods"/>).</summary>
    public WindowPoint[] Points => Methods[0].Points;

    /// <summary>The scan's method's reweighted Z (likewise).</summary>
    public double ReweightedZ => Methods[0].ReweightedZ;
}

/// <summary>The plain sideband fit's quality in a window: Poisson deviance, its degrees of freedom and the χ² p-value.</summary>
public sealed record SidebandFitQuality(double Deviance, int Ndf, double P);

/// <summary>The scan statistic t = max over windows and the FPR set of the local Z (SPEC 5.2).</summary>
/// <param name="Z">t.</param>
/// <param name="Window">Index of the window reaching it.</param>
/// <param name="Fpr">FPR reaching it.</param>
/// <param name="Centre">SR centre of that window.</param>
public sealed record ScanMaximum(double Z, int Window, double Fpr, double Centre);

/// <summary>A whole scan.</summary>
/// <param name="Version">FastAD's version.</param>
/// <param name="Device">The device the run used.</param>
/// <param name="Input">Where the events came from.</param>
/// <param name="Preset">The preset the configuration started from.</param>
/// <param name="Config">The configuration.</param>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="Fprs">The a-priori FPR set the statistic maximises over (printed with every result).</param>
/// <param name="Windows">Every window, in SR order.</param>
/// <param name="Maximum">t over every FPR of the set.</param>
/// <param name="MaximumPerFpr">The largest local Z at each FPR.</param>
/// <param name="Resumed">Windows taken from an earlier, interrupted run of the same inputs.</param>
/// <param name="Methods">The methods run in every window; the first is the statistic's.</param>
/// <param name="MaximumPerMethod">Per method (same order), its largest local Z over windows and the FPR set; each its own look-elsewhere.</param>
/// <param name="FitOnly">The fit-only (FPR = 1) global p-value from Poisson pseudo-spectra with the Gross–Vitells estimate (null when skipped).</param>
public sealed record ScanResults(string Version, string Device, string Input, string Preset, ScanConfig Config, double[] Fprs, WindowResult[] Windows,
    ScanMaximum Maximum, ScanMaximum[] MaximumPerFpr, string[] Methods, ScanMaximum?[] MaximumPerMethod, int Resumed, FitOnlyGlobal? FitOnly, double Seconds);
