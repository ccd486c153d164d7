using System.Globalization;
using FastAD.Analyses.Cathode;
using FastAD.Analyses.Reports;
using FastAD.Stats;

namespace FastAD.Analyses.Scan;

/// <summary>The global significance at one FPR of the set (its own local-Z curves), from the null pseudo-scans.</summary>
/// <param name="Fpr">The FPR.</param>
/// <param name="Observed">The observed maximum over windows at this FPR (null without an observed scan).</param>
/// <param name="PGlobal">P(max_w Z_null ≥ observed).</param>
/// <param name="PGlobalError">Its binomial error.</param>
/// <param name="MeanUpcrossings">E[N(u0)] over the pseudo-scans' curves.</param>
/// <param name="UpcrossingsError">Its standard error.</param>
/// <param name="UpcrossingCounts">Pseudo-scans with N(u0) = 0, 1, 2, … upcrossings.</param>
/// <param name="PGrossVitells">Gross–Vitells at the observed maximum.</param>
/// <param name="PDiscrete">The discrete-window Gross–Vitells estimate at the observed maximum (<see cref="LookElsewhere.DiscreteGrossVitells"/>).</param>
/// <param name="Comparisons">Pseudo-scans against both Gross–Vitells estimates at Z = 1 … 4.</param>
/// <param name="Windows">Finite windows per pseudo-scan on this curve (the mean, rounded), along which the upcrossings are counted.</param>
public sealed record FprGlobal(double Fpr, double? Observed, double? PGlobal, double? PGlobalError, double MeanUpcrossings, double UpcrossingsError,
    int[] UpcrossingCounts, double? PGrossVitells, double? PDiscrete, GlobalComparison[] Comparisons, int Windows);

/// <summary>
/// Each pseudo-scan's global p relative to the others, p_j = #{i ≠ j : t_i ≥ t_j} / (n − 1): uniform on [0, 1] when the
/// pseudo-scans are independent draws of one null (mean ½, standard deviation 1/√12 ≈ 0.289).
/// </summary>
/// <param name="Count">Pseudo-scans.</param>
/// <param name="P">p_j in index order.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="Sd">Their standard deviation.</param>
/// <param name="Ks">Kolmogorov distance of their distribution from the uniform one.</param>
public sealed record LeaveOneOut(int Count, double[] P, double Mean, double Sd, double Ks);

/// <summary>What <c>fastad merge</c> of null pseudo-scans gives (scan-global.json).</summary>
/// <param name="Header">The shards' common header (shard 0/1).</param>
/// <param name="Results">Pseudo-scans merged.</param>
/// <param name="Missing">Indices not (yet) in any file.</param>
/// <param name="Statistic">What t is: the maximum local Z over the windows and the FPR set (printed with every result).</param>
/// <param name="Observed">The observed scan's t (null when the study had no observed scan).</param>
/// <param name="PGlobal">P(t_null ≥ t_obs).</param>
/// <param name="PGlobalError">Its binomial error.</param>
/// <param name="ZGlobal">Φ⁻¹(1 − p).</param>
/// <param name="PGrossVitells">Gross–Vitells for t over the whole set: the sum over the FPRs of each curve's estimate (a union bound).</param>
/// <param name="PDiscrete">The discrete-window Gross–Vitells estimates summed over the FPRs likewise.</param>
/// <param name="Comparisons">P(t_null ≥ Z) against those bounds at Z = 1 … 4.</param>
/// <param name="PerFpr">Per FPR of the set.</param>
/// <param name="Uniformity">Each pseudo-scan's p relative to the others.</param>
public sealed record ScanGlobal(ScanPseudoHeader Header, int Results, int[] Missing, string Statistic, double? Observed, double? PGlobal,
    double? PGlobalError, double? ZGlobal, double? PGrossVitells, double? PDiscrete, GlobalComparison[] Comparisons, FprGlobal[] PerFpr, LeaveOneOut Uniformity);

/// <summary>
/// Merges shards of null pseudo-scans (same header, no duplicate indices, gaps listed; outputs in index order, so any
/// sharding gives the same bytes) into the global significance of SPEC 5.3: global p = P(t_null ≥ t_obs) with its
/// binomial error, Z_global, the Gross–Vitells estimate from the mean upcrossings of u0 and the upcrossing counts.
/// </summary>
public static class ScanPseudoMerge
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Whether <paramref name="files"/> (from <see cref="PseudoMerge.Files"/>) are pseudo-scan shards (by their first file's format).</summary>
    public static bool AreScanShards(IReadOnlyList<string> files) => files.Count > 0 && ShardLog.Format(files[0]) == ScanPseudoHeader.FormatName;

    /// <summary>
    /// Reads, checks and merges; writes scan-pseudo-merged.csv, scan-global.json and scan-global.svg to <paramref name="outDir"/>
    /// (the same bytes whatever the sharding).
    /// </summary>
    public static (ScanGlobal Global, IReadOnlyList<string> Written) Merge(IReadOnlyList<string> files, string outDir)
    {
        if (files.Count == 0) throw new ArgumentException("merge: name at least one folder or results file.");
        var (h, results) = ShardLog.ReadAll<ScanPseudoHeader, ScanPseudoResult>(files);
        var all = results.Values.ToArray();
        if (all.Length == 0) throw new InvalidDataException("The shard files hold no finished pseudo-scans yet.");
        var missing = Enumerable.Range(0, h.Count).Where(j => !results.ContainsKey(j)).ToArray();
        var global = Summarise(h with { ShardIndex = 0, ShardCount = 1 }, all, missing);
        using var writer = new ReportWriter(outDir, "scan-merge-manifest.json");
        var table = new CsvTable(new[] { "index", "events", "t", "window", "fpr" }
            .Concat(h.Fprs.Select(f => $"max_z_fpr_{F(f)}")).Concat(h.Fprs.Select(f => $"upcrossings_fpr_{F(f)}")).Append("p_vs_others").ToArray());
        for (int k = 0; k < all.Length; k++)
        {
            var r = all[k];
            table.AddRow(new object?[] { r.Index, r.Events, r.T, r.Window, r.Fpr }
                .Concat(r.Z.Select(z => (object?)MaxFinite(z))).Concat(r.Z.Select(z => (object?)Upcrossings(z, h.UpcrossingLevel))).Append(global.Uniformity.P[k]).ToArray());
        }
        writer.WriteCsv("scan-pseudo-merged.csv", table);
        writer.WriteJson("scan-global.json", global);
        writer.WriteFigure("scan-global", Figure(global, all));
        writer.Commit();
        return (global, writer.Written);
    }

    /// <summary>The statistic's description: "max local Z over 41 windows and the FPR set {1, 0.1, 0.01}".</summary>
    public static string Statistic(ScanPseudoHeader h) => $"max local Z over {h.Windows} windows and the FPR set {{{string.Join(", ", h.Fprs.Select(F))}}}";

    /// <summary>The global significance of the merged pseudo-scans.</summary>
    public static ScanGlobal Summarise(ScanPseudoHeader h, ScanPseudoResult[] all, int[] missing)
    {
        double u0 = h.UpcrossingLevel;
        var t = all.Select(r => double.IsFinite(r.T) ? r.T : double.NegativeInfinity).ToArray();
        var perFpr = h.Fprs.Select((f, i) =>
        {
            var max = all.Select(r => MaxFinite(r.Z[i])).ToArray();
            var ups = all.Select(r => Upcrossings(r.Z[i], u0)).ToArray();
            double mean = ups.Average(), err = ups.Length > 1 ? Math.Sqrt(ups.Sum(u => (u - mean) * (u - mean)) / (ups.Length - 1) / ups.Length) : double.NaN;
            var counts = new int[ups.Max() + 1];
            foreach (int u in ups) counts[u]++;
            double? observed = h.ObservedPerFpr?.FirstOrDefault(m => m.Fpr == f)?.Z;
            // The upcrossings are counted along the finite windows only (a window the chain cannot handle is NaN).
            int finite = Math.Max(2, (int)Math.Round(all.Average(r => r.Z[i].Count(double.IsFinite))));
            (double P, double E)? p = observed is { } o ? LookElsewhere.GlobalP(max, o) : null;
            return new FprGlobal(f, observed, p?.P, p?.E, mean, err, counts, observed is { } ob ? LookElsewhere.GrossVitells(ob, u0, mean) : null,
                observed is { } ob2 ? LookElsewhere.DiscreteGrossVitells(ob2, u0, mean, finite).P : null,
                new double[] { 1, 2, 3, 4 }.Select(z => GlobalComparison.Of(max, z, u0, finite, [(mean, err)])).ToArray(), finite);
        }).ToArray();
        var curves = perFpr.Select(f => (f.MeanUpcrossings, f.UpcrossingsError)).ToArray();
        int windows = perFpr.Length > 0 ? perFpr.Max(f => f.Windows) : h.Windows;
        (double P, double E)? pg = h.Observed is { } obs ? LookElsewhere.GlobalP(t, obs.Z) : null;
        // Each pseudo-scan against the others: uniform when they are exchangeable draws of the null.
        var loo = t.Select((tj, j) => t.Length < 2 ? double.NaN : (double)t.Where((ti, i) => i != j && ti >= tj).Count() / (t.Length - 1)).ToArray();
        double lm = loo.Average(), lsd = loo.Length > 1 ? Math.Sqrt(loo.Sum(v => (v - lm) * (v - lm)) / (loo.Length - 1)) : double.NaN;
        var sorted = loo.Order().ToArray();
        double ks = sorted.Select((v, k) => Math.Max(Math.Abs((k + 1.0) / sorted.Length - v), Math.Abs((double)k / sorted.Length - v))).DefaultIfEmpty(double.NaN).Max();
        return new ScanGlobal(h, all.Length, missing, Statistic(h), h.Observed?.Z, pg?.P, pg?.E, pg is { } q ? LookElsewhere.ZOf(q.P) : null,
            h.Observed is { } o2 ? perFpr.Sum(f => LookElsewhere.GrossVitells(o2.Z, u0, f.MeanUpcrossings)) : null,
            h.Observed is { } o3 ? perFpr.Sum(f => LookElsewhere.DiscreteGrossVitells(o3.Z, u0, f.MeanUpcrossings, f.Windows).P) : null,
            new double[] { 1, 2, 3, 4 }.Select(z => GlobalComparison.Of(t, z, u0, windows, curves)).ToArray(), perFpr, new LeaveOneOut(loo.Length, loo, lm, lsd, ks));
    }

    /// <summary>The largest finite value (−∞ when none).</summary>
    public static double MaxFinite(double[] z) => z.Where(double.IsFinite).DefaultIfEmpty(double.NegativeInfinity).Max();

    /// <summary>Upcrossings of u along a local-Z curve, over its finite windows in order.</summary>
    public static int Upcrossings(double[] z, double u) => LookElsewhere.Upcrossings(z.Where(double.IsFinite).ToArray(), u);

    private static Figure Figure(ScanGlobal g, ScanPseudoResult[] all)
    {
        var fig = new Figure(640, 440) { Title = $"Null pseudo-scans: P(t ≥ Z) over {all.Length} pseudo-scans" };
        var p = fig.Main;
        var t = all.Select(r => r.T).Where(double.IsFinite).Order().ToArray();
        double top = Math.Max(4, Math.Ceiling((t.Length > 0 ? t[^1] : 0) + 0.5));
        var zs = Enumerable.Range(0, 161).Select(i => top * i / 160).ToArray();
        var surv = zs.Select(z => LookElsewhere.GlobalP(t, z)).ToArray();
        p.Band(zs, surv.Select(s => Math.Max(1e-6, s.P - s.Error)).ToArray(), surv.Select(s => Math.Min(1, s.P + s.Error)).ToArray(), "±1σ (binomial)", Palette.Blue);
        p.Line(zs, surv.Select(s => Math.Max(1e-6, s.P)).ToArray(), $"pseudo-scans: {g.Statistic}", Palette.Blue);
        if (g.PerFpr.FirstOrDefault(f => f.Fpr == 1) is { } bump)
        {
            var b = all.Select(r => MaxFinite(r.Z[Array.IndexOf(g.Header.Fprs, 1.0)])).ToArray();
            p.Line(zs, zs.Select(z => Math.Max(1e-6, LookElsewhere.GlobalP(b, z).P)).ToArray(), "pseudo-scans: max Z at FPR 1 (bump hunt)", Palette.Green, LineStyle.Dashed);
            p.Line(zs, zs.Select(z => Math.Min(1, LookElsewhere.GrossVitells(z, g.Header.UpcrossingLevel, bump.MeanUpcrossings))).ToArray(),
                $"Gross–Vitells, FPR 1 (E[N({F(g.Header.UpcrossingLevel)})] = {bump.MeanUpcrossings.ToString("F2", Inv)})", Palette.Green, LineStyle.Dotted);
            p.Line(zs, zs.Select(z => Math.Max(1e-6, LookElsewhere.DiscreteGrossVitells(z, g.Header.UpcrossingLevel, bump.MeanUpcrossings, bump.Windows).P)).ToArray(),
                "discrete-window Gross–Vitells, FPR 1", Palette.Purple, LineStyle.DashDot);
        }
        if (g.PerFpr.Length > 1)
            p.Line(zs, zs.Select(z => Math.Min(1, g.PerFpr.Sum(f => LookElsewhere.GrossVitells(z, g.Header.UpcrossingLevel, f.MeanUpcrossings)))).ToArray(),
                "Gross–Vitells, summed over the FPR set", Palette.Vermillion, LineStyle.Dotted);
        if (g.Observed is { } o)
            p.VerticalLine(o, $"observed t = {o.ToString("F2", Inv)}σ, p = {g.PGlobal?.ToString("G3", Inv)}", null, Palette.Black, LineStyle.Dashed, 1.2);
        p.Y.Scale = AxisScale.Log;
        p.X.Label = "Z [σ]";
        p.Y.Label = "P(t_null ≥ Z)";
        p.Legend = LegendPosition.UpperRight;
        return fig;
    }

    private static string F(double v) => v.ToString("G3", Inv);
}
