using System.Diagnostics;
using FastAD.Analyses.Cathode;
using FastAD.Kernels.Random;
using FastAD.Stats;

namespace FastAD.Analyses.Scan;

/// <summary>The toys' global p of one threshold beside the Gross–Vitells estimates.</summary>
/// <param name="Z">Threshold on t (local Z).</param>
/// <param name="PToys">Fraction of pseudo-spectra whose maximum reaches it.</param>
/// <param name="PToysError">Its binomial error.</param>
/// <param name="PGrossVitells">The Gross–Vitells estimate (continuous process) from the mean upcrossings of u0.</param>
/// <param name="PGrossVitellsError">Its error from the upcrossings' spread.</param>
/// <param name="PDiscrete">The discrete-window Gross–Vitells estimate (<see cref="LookElsewhere.DiscreteGrossVitells"/>) from the same upcrossings.</param>
/// <param name="PDiscreteError">Its error from the upcrossings' spread.</param>
public sealed record GlobalComparison(double Z, double PToys, double PToysError, double PGrossVitells, double PGrossVitellsError, double PDiscrete, double PDiscreteError)
{
    /// <summary>
    /// P(max ≥ <paramref name="z"/>) among the null <paramref name="maxima"/> beside both estimates from each curve's mean
    /// upcrossings of <paramref name="u0"/> (one curve per FPR; for several, the estimates are summed: a union bound).
    /// </summary>
    public static GlobalComparison Of(double[] maxima, double z, double u0, int windows, IReadOnlyList<(double Mean, double Error)> curves)
    {
        var (p, e) = LookElsewhere.GlobalP(maxima, z);
        double factor = Math.Exp(-(z * z - u0 * u0) / 2);
        double Discrete(double mean) => LookElsewhere.DiscreteGrossVitells(z, u0, Math.Max(0, mean), windows).P;
        double dErr = Math.Sqrt(curves.Sum(c => Math.Pow((Discrete(c.Mean + c.Error) - Discrete(c.Mean - c.Error)) / 2, 2)));
        return new GlobalComparison(z, p, e, curves.Sum(c => LookElsewhere.GrossVitells(z, u0, c.Mean)), Math.Sqrt(curves.Sum(c => c.Error * c.Error)) * factor,
            curves.Sum(c => Discrete(c.Mean)), dErr);
    }
}

/// <summary>
/// The fit-only (FPR = 1) statistic's global significance (SPEC 5.3) from Poisson pseudo-spectra of the smooth
/// background-only description, every window fitted.
/// </summary>
/// <param name="Toys">Pseudo-spectra.</param>
/// <param name="Observed">The observed t of the plain bump hunt (max over windows of Z at FPR 1).</param>
/// <param name="PGlobal">P(t_null ≥ observed).</param>
/// <param name="PGlobalError">Its binomial error.</param>
/// <param name="ZGlobal">Φ⁻¹(1 − p).</param>
/// <param name="PGrossVitells">The Gross–Vitells estimate at the observed t.</param>
/// <param name="PDiscrete">The discrete-window Gross–Vitells estimate at the observed t.</param>
/// <param name="NeighbourCorrelation">The neighbouring windows' correlation that estimate fits to E[N(u0)].</param>
/// <param name="Level">u0.</param>
/// <param name="MeanUpcrossings">E[N(u0)] over the pseudo-spectra.</param>
/// <param name="UpcrossingsError">Its standard error.</param>
/// <param name="Comparisons">Toys against both Gross–Vitells estimates at Z = 1 … 4.</param>
/// <param name="Smooth">The smooth description: "exp(degree-6 polynomial in ln m) fitted to the N events in [lo, hi]".</param>
/// <param name="Seconds">Wall time (pseudo-spectra and fits).</param>
public sealed record FitOnlyGlobal(int Toys, double Observed, double PGlobal, double PGlobalError, double ZGlobal, double PGrossVitells, double PDiscrete,
    double NeighbourCorrelation, double Level,
    double MeanUpcrossings, double UpcrossingsError, GlobalComparison[] Comparisons, string Smooth, double Seconds);

/// <summary>
/// The cheap exact check of SPEC 5.3: pseudo-spectra drawn as independent Poisson counts in the elementary intervals
/// between every edge of every window's bump-hunt binning (so each window's bins are exact sums of them, and the windows
/// of one pseudo-spectrum see the same events), and all pseudo-spectra of a window fitted in one batch through the
/// fitting seam (<see cref="ProfileLikelihoodFitter.For"/>).
/// </summary>
public static class FitOnlyStudy
{
    /// <summary>Runs the study for <paramref name="masses"/> over <paramref name="windows"/> and the observed t.</summary>
    public static FitOnlyGlobal Run(RunContext run, ScanConfig c, double[] masses, ScanWindow[] windows, double observed)
    {
        var s = c.Scan;
        double low = windows.Min(w => w.SblLow), high = windows.Max(w => w.SbhHigh);
        var smooth = SmoothSpectrum.Fit(masses, low, high, s.SmoothDegree);
        int inside = masses.Count(m => m >= low && m <= high);
        var zs = LocalZ(run, c, smooth, windows, s.FitOnlyToys, SeedTree.Of(c.Seed)["scan"]["fit-only"].Seed, out double seconds);
        int toys = s.FitOnlyToys;
        var tMax = new double[toys];
        var ups = new double[toys];
        var curve = new double[windows.Length];
        for (int t = 0; t < toys; t++)
        {
            for (int w = 0; w < windows.Length; w++) curve[w] = zs[w][t];
            tMax[t] = curve.Max();
            ups[t] = LookElsewhere.Upcrossings(curve, s.UpcrossingLevel);
        }
        double meanN = ups.Average(), errN = Math.Sqrt(ups.Select(u => (u - meanN) * (u - meanN)).Sum() / Math.Max(1, toys - 1) / toys);
        var (p, pErr) = LookElsewhere.GlobalP(tMax, observed);
        var (discrete, rho) = LookElsewhere.DiscreteGrossVitells(observed, s.UpcrossingLevel, meanN, windows.Length);
        GlobalComparison Compare(double z) => GlobalComparison.Of(tMax, z, s.UpcrossingLevel, windows.Length, [(meanN, errN)]);
        return new FitOnlyGlobal(toys, observed, p, pErr, LookElsewhere.ZOf(p), LookElsewhere.GrossVitells(observed, s.UpcrossingLevel, meanN), discrete, rho,
            s.UpcrossingLevel, meanN, errN, [Compare(1), Compare(2), Compare(3), Compare(4)],
            $"exp(degree-{s.SmoothDegree} polynomial in ln m) fitted to the {inside:N0} events in [{low:G4}, {high:G4}] GeV", seconds);
    }

    /// <summary>Local Z at FPR 1 of every window (outer index) in each of <paramref name="toys"/> pseudo-spectra of <paramref name="smooth"/>.</summary>
    public static double[][] LocalZ(RunContext run, ScanConfig c, SmoothSpectrum smooth, ScanWindow[] windows, int toys, ulong seed, out double seconds)
    {
        var sw = Stopwatch.StartNew();
        var models = windows.Select(w =>
        {
            var wc = c.ForWindow(w);
            return new BackgroundModel(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr), wc.Statistics.Degree);
        }).ToArray();
        // Every edge of every window's rows: a window's sideband bins and its SR are unions of the intervals between them.
        var edges = models.SelectMany(m => m.Binning.SblEdges.Concat(m.Binning.SbhEdges).Concat([m.Binning.SrLow, m.Binning.SrHigh])).Distinct().Order().ToArray();
        var mu = Enumerable.Range(0, edges.Length - 1).Select(e => smooth.Integral(edges[e], edges[e + 1])).ToArray();
        var samplers = mu.Select(m => new PhiloxPoisson.Sampler(m)).ToArray();
        int cells = mu.Length;
        var counts = new int[(long)toys * cells];
        Parallel.For(0, toys, t =>
        {
            for (int e = 0; e < cells; e++) counts[(long)t * cells + e] = samplers[e].Sample(seed, (ulong)t * (ulong)cells + (ulong)e);
        });
        run.Report("fit-only pseudo-spectra", 0, windows.Length, $"{toys:N0} pseudo-spectra × {windows.Length} windows");
        var fitter = ProfileLikelihoodFitter.For(run.Device);
        var result = new double[windows.Length][];
        for (int w = 0; w < windows.Length; w++)
        {
            run.ThrowIfCancelled();
            var model = models[w];
            var b = model.Binning;
            // Row r of the window = elementary cells [from[r], to[r]).
            var bounds = Enumerable.Range(0, b.SblBins).Select(k => (b.SblEdges[k], b.SblEdges[k + 1]))
                .Concat(Enumerable.Range(0, b.SbhEdges.Length - 1).Select(k => (b.SbhEdges[k], b.SbhEdges[k + 1])))
                .Append((b.SrLow, b.SrHigh)).ToArray();
            var from = bounds.Select(x => Array.BinarySearch(edges, x.Item1)).ToArray();
            var to = bounds.Select(x => Array.BinarySearch(edges, x.Item2)).ToArray();
            var spectra = new Spectra(toys, model.Rows);
            Array.Fill(spectra.K, 1.0);
            Parallel.For(0, toys, t =>
            {
                for (int r = 0; r < model.Rows; r++)
                {
                    long n = 0;
                    for (int e = from[r]; e < to[r]; e++) n += counts[(long)t * cells + e];
                    spectra.N[(long)t * model.Rows + r] = n;
                }
            });
            var fit = fitter.Fit(model, spectra);
            result[w] = Enumerable.Range(0, toys).Select(t => fit.Status[t].IsUsable() && double.IsFinite(fit.Z[t]) ? fit.Z[t] : 0).ToArray();
            run.Report("fit-only pseudo-spectra", w + 1, windows.Length);
        }
        seconds = sw.Elapsed.TotalSeconds;
        return result;
    }
}
