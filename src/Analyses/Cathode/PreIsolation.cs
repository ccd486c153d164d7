using System.Globalization;
using FastAD.Analyses.BumpHunt;
using FastAD.Data;
using FastAD.Data.Synthetic;
using FastAD.Kernels;
using FastAD.Stats;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Events of the searched channel before the anti-isolation cut of SPEC 1.1 (both iso04 ≥ 0.55), drawn beside the
/// analysed events as the paper does (dashed in its Figs. 2 and 3): their SR feature distributions, and their mass
/// spectrum with its own sideband fit and significance. Real CMS events for them are in data/cms-dimuon-2016h/
/// (sr_os_features_no_isolation.csv: the 6542 OS SR events with all features; cut_masses.csv, selection=os_no_isolation:
/// the 28,126 OS masses over the whole range).
/// </summary>
/// <param name="FeatureSource">The file the SR features come from, or null.</param>
/// <param name="SrFeatures">The SR events' features, row-major in the analysis's feature order (rows × D), or null.</param>
/// <param name="MassSource">The file (and selection) the masses come from, or null.</param>
/// <param name="Masses">The masses of the spectrum, or null.</param>
public sealed record PreIsolationSample(string? FeatureSource, double[]? SrFeatures, string? MassSource, double[]? Masses)
{
    /// <summary>SR events with features.</summary>
    public int SrFeatureRows(int d) => SrFeatures is null ? 0 : SrFeatures.Length / d;

    /// <summary>The refusal of a selection without the file it selects from.</summary>
    public const string WhereWithoutMasses = "--pre-isolation-where selects rows of --pre-isolation-masses FILE; give that file (or drop --pre-isolation-where).";

    /// <summary>
    /// Loads <paramref name="eventsFile"/> (mass and every feature column of the configuration; its SR events give the
    /// features) and/or <paramref name="massesFile"/> (a mass column, rows selected by <paramref name="where"/>; without it
    /// the masses of <paramref name="eventsFile"/> give the spectrum). Missing columns and non-finite values are errors.
    /// </summary>
    public static PreIsolationSample Load(string? eventsFile, string? massesFile, IReadOnlyDictionary<string, string>? where, CathodeConfig c)
    {
        if (eventsFile is null && massesFile is null) throw new ArgumentException("A pre-isolation sample needs --pre-isolation FILE or --pre-isolation-masses FILE.");
        if (where is { Count: > 0 } && massesFile is null)
            throw new ArgumentException(WhereWithoutMasses);
        double[]? sr = null, masses = null;
        string? massSource = null;
        if (eventsFile is not null)
        {
            // The same column checks as the analysed events (missing columns named, non-finite values located).
            var events = CathodeInput.FromTable(EventTableIO.Read(eventsFile), c.Channel, $"{eventsFile} (--pre-isolation)", c);
            var rows = Enumerable.Range(0, events.Rows).Where(i => c.Regions.BandOf(events.Mass[i]) == MassBand.Sr).ToArray();
            if (rows.Length == 0)
                throw new InvalidDataException($"{eventsFile} (--pre-isolation): none of its {events.Rows:N0} events is in the signal region " +
                                               $"[{c.Regions.SrLow.ToString(CultureInfo.InvariantCulture)}, {c.Regions.SrHigh.ToString(CultureInfo.InvariantCulture)}) of '{c.Columns.Mass}'; " +
                                               "it should hold the searched channel's events before the anti-isolation cut.");
            int d = events.D;
            sr = new double[rows.Length * d];
            for (int r = 0; r < rows.Length; r++) Array.Copy(events.Features, rows[r] * d, sr, r * d, d);
            if (massesFile is null) { masses = events.Mass; massSource = eventsFile; }
        }
        if (massesFile is not null)
        {
            (masses, _) = BumpHuntJob.Load(new BumpHuntRequest(massesFile, c.Columns.Mass, where));
            massSource = where is { Count: > 0 } ? $"{massesFile} [{BumpHuntJob.Describe(where)}]" : massesFile;
        }
        return new PreIsolationSample(eventsFile, sr, massSource, masses);
    }
}

/// <summary>What the pre-isolation events give: their counts per band and, where both sidebands hold events, the fit of their spectrum.</summary>
/// <param name="FeatureSource">The file the SR features came from, or null.</param>
/// <param name="SrFeatureEvents">SR events with features.</param>
/// <param name="MassSource">The file (and selection) of the masses, or null.</param>
/// <param name="Events">Masses inside the bands.</param>
/// <param name="Sbl">Masses in the lower sideband.</param>
/// <param name="Sr">Masses in the signal region.</param>
/// <param name="Sbh">Masses in the upper sideband.</param>
/// <param name="Z">Significance of the spectrum's SPEC 1.6 fit (the run's degree and binning), or null.</param>
/// <param name="S">Fitted signal of that fit, or null.</param>
/// <param name="B">Fitted SR background of that fit, or null.</param>
/// <param name="ThetaHat">The background-only sideband polynomial of that fit, or null.</param>
/// <param name="Note">Why no fit is quoted, or null.</param>
public sealed record PreIsolationResult(string? FeatureSource, int SrFeatureEvents, string? MassSource, int Events, int Sbl, int Sr, int Sbh,
    double? Z, double? S, double? B, double[]? ThetaHat, string? Note)
{
    /// <summary>Counts and the SPEC 1.6 fit (the run's degree and SR binning) of the sample's spectrum.</summary>
    public static PreIsolationResult Of(PreIsolationSample s, CathodeConfig c, int d, ComputeDevice device)
    {
        var bands = (s.Masses ?? []).Select(c.Regions.BandOf).ToArray();
        int sbl = bands.Count(b => b == MassBand.Sbl), sr = bands.Count(b => b == MassBand.Sr), sbh = bands.Count(b => b == MassBand.Sbh);
        double? z = null, sig = null, bkg = null;
        double[]? theta = null;
        string? note = null;
        if (s.Masses is null) note = "no masses were given";
        else
        {
            var model = new BackgroundModel(CathodeAnalysis.Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
            var spectra = Spectra.FromEvents(model.Binning, s.Masses, default, out _);
            try
            {
                spectra.CheckFittable(model);
                var fit = ProfileLikelihoodFitter.For(device).Fit(model, spectra);
                (z, sig, bkg, theta) = (fit.Z[0], fit.S[0], fit.B[0], fit.ThetaHatOf(0).ToArray());
            }
            catch (ArgumentException e)
            {
                // A features-only file (SR events alone) has no sidebands: the figure still shows its features.
                note = $"its spectrum cannot be fitted: {e.Message}";
            }
        }
        return new PreIsolationResult(s.FeatureSource, s.SrFeatureRows(d), s.MassSource, sbl + sr + sbh, sbl, sr, sbh, z, sig, bkg, theta, note);
    }
}
