using System.Globalization;
using FastAD.Data;

namespace FastAD.Analyses.Scan;

/// <summary>
/// One window of a mass scan (SPEC 5.1): SBL [<see cref="SblLow"/>, <see cref="SrLow"/>), SR [<see cref="SrLow"/>,
/// <see cref="SrHigh"/>), SBH [<see cref="SrHigh"/>, <see cref="SbhHigh"/>].
/// </summary>
/// <param name="Index">Position in the scan (0 = lowest SR).</param>
/// <param name="SblLow">Lower edge of the low sideband (GeV).</param>
/// <param name="SrLow">Lower edge of the signal region.</param>
/// <param name="SrHigh">Upper edge of the signal region.</param>
/// <param name="SbhHigh">Upper edge of the high sideband.</param>
public sealed record ScanWindow(int Index, double SblLow, double SrLow, double SrHigh, double SbhHigh)
{
    /// <summary>Centre of the signal region (the scan figure's x).</summary>
    public double Centre => 0.5 * (SrLow + SrHigh);

    /// <summary>"window 3 (SBL [2.32, 2.56), SR [2.56, 2.83), SBH [2.83, 3.12])": how errors and notes name the window.</summary>
    public string Name => $"window {Index} (SBL [{G(SblLow)}, {G(SrLow)}), SR [{G(SrLow)}, {G(SrHigh)}), SBH [{G(SrHigh)}, {G(SbhHigh)}])";

    /// <summary>Folder name of the window's saved result and models (<c>w003</c>).</summary>
    public string Folder => $"w{Index:D3}";

    private static string G(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>The sliding-window layout of SPEC 5.1, and windows given explicitly in a table.</summary>
public static class ScanWindows
{
    /// <summary>
    /// The SPEC 5.1 windows of [<paramref name="low"/>, <paramref name="high"/>]: bin edges b_0 = low, b_(k+1) = b_k (1 + r);
    /// window i has SBL = [b_(s i), b_(s i + L)), SR = [b_(s i + L), b_(s i + L + R)), SBH = [b_(s i + L + R), b_(s i + 2L + R)],
    /// kept while its SBH upper edge is at most <paramref name="high"/>. Throws, naming the range and what a window needs,
    /// when not even one window fits.
    /// </summary>
    /// <param name="low">Lower end of the scanned range (GeV).</param>
    /// <param name="high">Upper end of the scanned range (GeV).</param>
    /// <param name="resolution">Relative bin growth r (the detector resolution, 0.01 for the dimuon 1 %).</param>
    /// <param name="sidebandBins">L: bins in each sideband.</param>
    /// <param name="srBins">R: bins in the signal region.</param>
    /// <param name="step">s: bins from one window to the next.</param>
    public static ScanWindow[] Sliding(double low, double high, double resolution, int sidebandBins = 10, int srBins = 10, int step = 5)
    {
        if (!(double.IsFinite(low) && double.IsFinite(high) && low > 0 && high > low))
            throw new ArgumentException($"--range {G(low)}:{G(high)}: expected 0 < low < high (GeV).");
        if (!(resolution > 0 && resolution < 1))
            throw new ArgumentException($"--resolution {G(resolution)}: expected a relative bin width in (0, 1), e.g. 0.01 for 1 %.");
        if (sidebandBins < 1 || srBins < 1 || step < 1)
            throw new ArgumentException($"scan: sideband_bins ({sidebandBins}), sr_bins ({srBins}) and step ({step}) must each be at least 1.");
        int span = 2 * sidebandBins + srBins;
        // Edges by repeated multiplication (b_(k+1) = b_k (1 + r)), as the reference builds them; a tolerance of 1e-12
        // relative keeps a window whose upper edge lands on `high` up to rounding.
        var edges = new List<double> { low };
        while (edges[^1] * (1 + resolution) <= high * (1 + 1e-12)) edges.Add(edges[^1] * (1 + resolution));
        var windows = new List<ScanWindow>();
        for (int i = 0; step * i + span < edges.Count; i++)
        {
            int s = step * i;
            windows.Add(new ScanWindow(i, edges[s], edges[s + sidebandBins], edges[s + sidebandBins + srBins], Math.Min(edges[s + span], high)));
        }
        if (windows.Count == 0)
            throw new ArgumentException($"--range {G(low)}:{G(high)} has no room for one window: a window spans {span} bins of {G(resolution * 100)} % " +
                                        $"({sidebandBins} + {srBins} + {sidebandBins}), i.e. from m to {G(Math.Pow(1 + resolution, span))} m, " +
                                        $"so the range needs high ≥ {G(low * Math.Pow(1 + resolution, span))} GeV for low = {G(low)}.");
        return windows.ToArray();
    }

    /// <summary>
    /// Windows given explicitly, one per row (columns sbl_low, sr_low, sr_high, sbh_high), checked by <see cref="Check"/> and
    /// numbered in order of their SR. Errors name the file and the row.
    /// </summary>
    public static ScanWindow[] Read(string path)
    {
        var table = EventTableIO.Read(path);
        string[] needed = ["sbl_low", "sr_low", "sr_high", "sbh_high"];
        var missing = needed.Where(n => !table.Has(n)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{path}: missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; " +
                                           $"a window file has the columns {string.Join(", ", needed)} (the file has {string.Join(", ", table.ColumnNames)}).");
        if (table.RowCount == 0) throw new InvalidDataException($"{path}: no windows (the table has no rows).");
        var cols = needed.Select(table.GetDouble).ToArray();
        var rows = Enumerable.Range(0, table.RowCount).Select(r => (Row: table.Locate(r), W: new ScanWindow(r, cols[0][r], cols[1][r], cols[2][r], cols[3][r]))).ToArray();
        return Check(rows.Select(x => x.W).ToArray(), path, rows.Select(x => x.Row).ToArray());
    }

    /// <summary>
    /// Checks explicit windows: finite edges with sbl_low &lt; sr_low &lt; sr_high &lt; sbh_high (bands that overlap, or are
    /// empty, are refused naming the window) and no two windows with the same signal region; returns them in order of
    /// their SR, renumbered.
    /// </summary>
    /// <param name="windows">The windows as given.</param>
    /// <param name="source">Where they came from (file), for the messages.</param>
    /// <param name="rows">How each window is located in its source ("line 3"); null: "window k".</param>
    public static ScanWindow[] Check(ScanWindow[] windows, string source, string[]? rows = null)
    {
        string Where(int k) => rows is null ? $"window {k}" : rows[k];
        for (int k = 0; k < windows.Length; k++)
        {
            var w = windows[k];
            double[] e = [w.SblLow, w.SrLow, w.SrHigh, w.SbhHigh];
            if (e.Any(v => !double.IsFinite(v) || v < 0))
                throw new InvalidDataException($"{source}, {Where(k)}: the window's edges ({string.Join(", ", e.Select(G))}) must be finite, non-negative masses.");
            if (!(w.SblLow < w.SrLow && w.SrLow < w.SrHigh && w.SrHigh < w.SbhHigh))
                throw new InvalidDataException($"{source}, {Where(k)}: the bands of SBL [{G(w.SblLow)}, {G(w.SrLow)}), SR [{G(w.SrLow)}, {G(w.SrHigh)}), " +
                                               $"SBH [{G(w.SrHigh)}, {G(w.SbhHigh)}] overlap or are empty; expected sbl_low < sr_low < sr_high < sbh_high.");
        }
        var order = Enumerable.Range(0, windows.Length).OrderBy(k => windows[k].SrLow).ThenBy(k => windows[k].SrHigh).ToArray();
        for (int i = 1; i < order.Length; i++)
        {
            var (a, b) = (windows[order[i - 1]], windows[order[i]]);
            if (a.SrLow == b.SrLow && a.SrHigh == b.SrHigh)
                throw new InvalidDataException($"{source}: {Where(order[i - 1])} and {Where(order[i])} have the same signal region [{G(a.SrLow)}, {G(a.SrHigh)}); " +
                                               "each window must search its own SR.");
        }
        return order.Select((k, i) => windows[k] with { Index = i }).ToArray();
    }

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
