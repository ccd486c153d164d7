using System.Globalization;
using System.Text;
using FastAD.Analyses.Reports;
using FastAD.Stats;

namespace FastAD.Analyses.Scan;

/// <summary>
/// Writes a scan's outputs as one committed set (through <see cref="ReportWriter"/>): results.json, config.yaml,
/// scan.csv (one row per window and FPR), the scan figure (local Z against the SR centre, one curve per FPR, the most
/// significant window marked), the spectra of the best windows and report.md.
/// </summary>
public static class ScanReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Windows whose spectra are drawn.</summary>
    public const int BestWindows = 3;

    /// <summary>Writes everything; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string outDir, ScanResults r)
    {
        using var run = new ReportWriter(outDir);
        run.WriteJson("results.json", r);
        run.WriteText("config.yaml", ScanConfig.ToYaml(r.Config));
        run.WriteCsv("scan.csv", Table(r));
        run.WriteFigure("scan.svg", ScanFigure(r));
        run.WriteFigure("spectra-best.svg", SpectraFigure(r));
        if (r.Methods.Length > 1) run.WriteFigure("methods.svg", MethodsFigure(r));
        run.WriteText("report.md", Markdown(r, run.Written.Append("report.md").ToArray()));
        run.Commit();
        return run.Written;
    }

    /// <summary>
    /// scan.csv: per window, method and FPR the bands, N_SR, B, S, local Z and p, the method's reweighted Z, maximum SIC and
    /// the sculpting χ²/ndf of the cut, the flows' closure AUC; failed names why the window (or the method in it) did not run.
    /// </summary>
    public static CsvTable Table(ScanResults r)
    {
        var t = new CsvTable("window", "sbl_low", "sr_low", "sr_high", "sbh_high", "sr_centre", "n_sbl", "n_sr_band", "n_sbh", "method", "target_fpr", "fpr", "n_sr", "b", "s", "z", "p",
            "reweighted_z", "max_sic", "sculpting", "closure_auc", "sr_vs_samples_auc", "sideband_fit_p", "failed");
        foreach (var w in r.Windows)
            foreach (var m in w.Methods)
                for (int j = 0; j < m.Points.Length; j++)
                {
                    var p = m.Points[j];
                    t.AddRow(w.Window.Index, w.Window.SblLow, w.Window.SrLow, w.Window.SrHigh, w.Window.SbhHigh, w.Window.Centre, w.Sbl, w.Sr, w.Sbh, m.Method,
                        p.TargetFpr, p.Fpr, p.NSr, p.B, p.S, p.Z, p.P, m.ReweightedZ, m.MaxSic, m.Sculpting.Length > j ? m.Sculpting[j] : double.NaN,
                        w.ClosureAuc, w.SrVsSamplesAuc, w.SidebandFit?.P ?? double.NaN, w.Failed ?? m.Failed ?? "");
                }
        return t;
    }

    private static readonly (string Color, LineStyle Style)[] MethodStyles =
    [
        (Palette.Black, LineStyle.Solid), (Palette.Blue, LineStyle.Dashed), (Palette.Vermillion, LineStyle.DashDot), (Palette.Green, LineStyle.Dotted),
        (Palette.Purple, LineStyle.Dashed), (Palette.Grey, LineStyle.Dotted),
    ];

    /// <summary>
    /// methods.svg: per method its largest local Z over the FPR set against the SR centre (top), and the sculpting χ²/ndf of
    /// its cut at the smallest FPR of the set (bottom; about 1 when the cut keeps the sideband spectrum's shape).
    /// </summary>
    private static Figure MethodsFigure(ScanResults r)
    {
        var fig = new Figure(2, 1, 900, 700) { Title = $"the methods in every window (FPR set {FprList(r.Fprs)})" };
        var done = r.Windows.Where(w => w.Failed is null).ToArray();
        var x = done.Select(w => w.Window.Centre).ToArray();
        int last = r.Fprs.Length - 1;
        for (int k = 0; k < r.Methods.Length; k++)
        {
            var (color, style) = MethodStyles[k % MethodStyles.Length];
            var best = done.Select(w => w.Methods[k].Points.Select(p => p.Z).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max()).ToArray();
            fig[0, 0].Line(x, best, r.Methods[k], color, style, 1.6, Marker.Circle, 3);
            fig[1, 0].Line(x, done.Select(w => w.Methods[k].Sculpting.Length > last ? w.Methods[k].Sculpting[last] : double.NaN).ToArray(), r.Methods[k], color, style, 1.6, Marker.Circle, 3);
        }
        foreach (var p in new[] { fig[0, 0], fig[1, 0] })
        {
            p.X.Scale = AxisScale.Log;
            p.X.Label = "signal-region centre m_{μμ} [GeV]";
            p.Legend = LegendPosition.OutsideRight;
        }
        fig[0, 0].Y.Label = "max local Z over the FPR set [σ]";
        fig[0, 0].Y.Min = 0;
        fig[1, 0].Y.Label = $"sculpting χ²/ndf at FPR {FprText(r.Fprs[last])}";
        fig[1, 0].Y.Min = 0;
        fig[1, 0].HorizontalLine(1, null, null, Palette.Grey, LineStyle.Dotted, 1);
        return fig;
    }

    private static Figure ScanFigure(ScanResults r)
    {
        var fig = new Figure(900, 440) { Title = $"local significance of every window (FPR set {FprList(r.Fprs)})" };
        var p = fig.Main;
        var done = r.Windows.Where(w => w.Failed is null).ToArray();
        var x = done.Select(w => w.Window.Centre).ToArray();
        var styles = new[] { (Palette.Black, LineStyle.Solid), (Palette.Blue, LineStyle.Dashed), (Palette.Vermillion, LineStyle.Dashed), (Palette.Green, LineStyle.Dotted),
            (Palette.Grey, LineStyle.Dotted) };
        for (int j = 0; j < r.Fprs.Length; j++)
        {
            var (color, style) = styles[Math.Min(j, styles.Length - 1)];
            p.Line(x, done.Select(w => w.Points[j].Z).ToArray(), r.Fprs[j] >= 1 ? "FPR 1 (bump hunt)" : $"FPR {FprText(r.Fprs[j])}", color, style, 1.8, Marker.Circle, 3.5);
        }
        p.Line(x, done.Select(w => double.IsFinite(w.ReweightedZ) ? w.ReweightedZ : 0).ToArray(), "reweighted", Palette.Purple, LineStyle.DashDot, 1.4);
        p.VerticalLine(r.Maximum.Centre, $"max {r.Maximum.Z.ToString("F2", Inv)}σ", null, Palette.Vermillion, LineStyle.Dotted, 1.2);
        p.X.Scale = AxisScale.Log;
        p.X.Label = "signal-region centre m_{μμ} [GeV]";
        p.Y.Label = "local significance Z [σ]";
        p.Y.Min = 0;
        p.PValueAxis();
        p.Legend = LegendPosition.OutsideRight;
        return fig;
    }

    /// <summary>The best windows (largest local Z over the set), each at the FPR reaching it, with its sideband fit.</summary>
    private static Figure SpectraFigure(ScanResults r)
    {
        var best = Best(r);
        var fig = new Figure(1, best.Length, 360 * best.Length, 320) { Title = "dimuon mass in the most significant windows" };
        for (int k = 0; k < best.Length; k++)
        {
            var (w, j) = best[k];
            var p = fig[0, k];
            var point = w.Points[j];
            var centres = w.Edges.Zip(w.Edges.Skip(1), (a, b) => (a + b) / 2).ToArray();
            var counts = w.Counts[j];
            p.VerticalSpan(w.Window.SrLow, w.Window.SrHigh, k == 0 ? "signal region" : null);
            p.ErrorBars(centres, counts, counts.Select(Math.Sqrt).ToArray(), label: k == 0 ? "data" : null, markerSize: 3.5);
            if (point.ThetaHat.Length > 0)
            {
                var xs = Enumerable.Range(0, 221).Select(i => w.Window.SblLow + (w.Window.SbhHigh - w.Window.SblLow) * i / 220.0).ToArray();
                p.Line(xs, xs.Select(m => BackgroundModel.Evaluate(point.ThetaHat, m)).ToArray(), k == 0 ? "sideband fit" : null, Palette.Vermillion);
            }
            p.X.Label = "m_{μμ} [GeV]";
            p.Y.Label = k == 0 ? "events per bin" : null;
            p.Y.Min = 0;
            p.Y.Max = Math.Max(1, counts.Select(n => n + Math.Sqrt(n)).DefaultIfEmpty(1).Max()) * 1.45;
            p.Title = $"window {w.Window.Index}, FPR {FprText(point.TargetFpr)}";
            p.Text(0.97, 0.88, $"Z = {point.Z.ToString("F2", Inv)}σ\nN_{{SR}} = {point.NSr.ToString("F0", Inv)}, B = {point.B.ToString("F1", Inv)}", anchor: TextAnchor.End, fontSize: 12);
            p.Legend = LegendPosition.UpperLeft;
        }
        return fig;
    }

    /// <summary>The windows with the largest local Z over the FPR set (each with the FPR index reaching it), most significant first.</summary>
    public static (WindowResult Window, int Fpr)[] Best(ScanResults r) =>
        r.Windows.Where(w => w.Failed is null).Select(w => (w, Enumerable.Range(0, w.Points.Length).MaxBy(j => w.Points[j].Z))).OrderByDescending(x => x.w.Points[x.Item2].Z)
            .Take(BestWindows).ToArray();

    private static string Markdown(ScanResults r, string[] files)
    {
        var md = new MarkdownReport();
        md.Heading("FastAD mass scan (SPEC 5)");
        md.Paragraph($"Input: {r.Input}. Preset {r.Preset}, device {r.Device}, {r.Windows.Length} windows " +
                     $"({r.Resumed} resumed from an earlier run), {r.Seconds.ToString("F0", Inv)} s.");
        md.Paragraph($"Statistic: t = max over windows and the a-priori FPR set {{{FprList(r.Fprs)}}} of the local Z = " +
                     $"{r.Maximum.Z.ToString("F2", Inv)}σ, in window {r.Maximum.Window} (SR centre {r.Maximum.Centre.ToString("F3", Inv)} GeV) at FPR {FprText(r.Maximum.Fpr)}.");
        if (r.Methods.Length > 1) md.Paragraph($"Methods: {string.Join(", ", r.Methods)}; the statistic is the first's ({r.Methods[0]}).");
        md.Bullets(r.MaximumPerFpr.Select(m => $"FPR {FprText(m.Fpr)}: max local Z {m.Z.ToString("F2", Inv)}σ in window {m.Window} ({m.Centre.ToString("F3", Inv)} GeV)"));
        var poor = r.Windows.Where(w => w.Failed is null && w.PoorSidebandFit).ToArray();
        if (poor.Length > 0)
            md.Paragraph($"**Caution:** in {poor.Length} window{(poor.Length > 1 ? "s" : "")} the sideband polynomial does not describe the sidebands " +
                         $"(χ² p-value of the uncut fit below {WindowResult.PoorFitP.ToString("G2", Inv)}: a resonance or an edge inside them), so the SR expectation and the Z " +
                         $"there are not to be trusted; they are kept in the statistic as it was fixed in advance" +
                         (poor.Any(w => w.Window.Index == r.Maximum.Window) ? $", and the maximum t sits in one of them (window {r.Maximum.Window})" : "") + ":")
              .Bullets(poor.Select(w => $"{w.Window.Name}: {ScanAnalysis.SidebandFitText(w.SidebandFit!)}, max local Z {w.Points.Max(p => p.Z).ToString("F2", Inv)}σ"));
        md.Image("scan.svg", "local significance", "Local Z against the SR centre, one curve per FPR of the set; the dotted line marks the most significant window.");
        md.Image("spectra-best.svg", "best windows", "The most significant windows at the FPR reaching their maximum, with the sideband fit.");
        if (r.FitOnly is { } g)
        {
            md.Heading("Global significance of the plain bump hunt (FPR = 1)", 2);
            md.Paragraph($"{g.Toys:N0} Poisson pseudo-spectra of the smooth background-only description ({g.Smooth}), every window fitted: " +
                         $"observed t = {g.Observed.ToString("F2", Inv)}σ, global p = {P(g.PGlobal)} ± {P(g.PGlobalError)}, Z_global = {g.ZGlobal.ToString("F2", Inv)}; " +
                         $"Gross–Vitells {P(g.PGrossVitells)} with E[N(u0 = {g.Level.ToString("G3", Inv)})] = {g.MeanUpcrossings.ToString("F3", Inv)} ± {g.UpcrossingsError.ToString("F3", Inv)} upcrossings " +
                         $"(continuous process); for discrete windows {P(g.PDiscrete)} (the same upcrossings extrapolated through the neighbouring windows' bivariate normal law, " +
                         $"fitted correlation {g.NeighbourCorrelation.ToString("F2", Inv)}: the tail of a scan whose windows are a step apart, where the continuous form overstates it). " +
                         $"Statistic: max over windows of Z at FPR 1; FPR set {{{FprList(r.Fprs)}}}.");
            var t = new CsvTable("local Z", "global p (pseudo-spectra)", "± (pseudo-spectra)", "Gross–Vitells", "± (Gross–Vitells)", "discrete-window Gross–Vitells", "± (discrete)");
            foreach (var c in g.Comparisons) t.AddRow(c.Z, c.PToys, c.PToysError, c.PGrossVitells, c.PGrossVitellsError, c.PDiscrete, c.PDiscreteError);
            md.Table(t);
        }
        if (r.Methods.Length > 1)
        {
            md.Heading("Methods", 2);
            md.Paragraph("Each method on the same events in every window. Each maximum is over the windows and the FPR set, with its own look-elsewhere " +
                         "effect; only the first method's has a global p (its null pseudo-scans). Sculpting: χ²/ndf of the sideband mass spectrum after the cut " +
                         "against the uncut one, binomial variances (about 1 when the cut keeps the shape; CWoLa's grows where a feature depends on the mass).");
            var mt = new CsvTable("method", "max local Z", "window", "SR centre [GeV]", "at FPR", "largest sculpting χ²/ndf", "windows failed");
            for (int k = 0; k < r.Methods.Length; k++)
            {
                var m = r.MaximumPerMethod[k];
                var sculpt = r.Windows.Where(w => w.Failed is null).SelectMany(w => w.Methods[k].Sculpting).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
                int failedHere = r.Windows.Count(w => w.Failed is null && w.Methods[k].Failed is not null);
                mt.AddRow(r.Methods[k], m is null ? double.NaN : Math.Round(m.Z, 2), m?.Window.ToString(Inv) ?? "–", m is null ? "–" : m.Centre.ToString("F3", Inv),
                    m is null ? "–" : FprText(m.Fpr), Math.Round(sculpt, 2), failedHere);
            }
            md.Table(mt);
            md.Image("methods.svg", "methods", "Per method, the largest local Z over the FPR set in each window, and the sculpting of its cut at the smallest FPR.");
            var why = r.Windows.Where(w => w.Failed is null).SelectMany(w => w.Methods.Where(m => m.Failed is not null).Select(m => $"{w.Window.Name}, {m.Method}: {m.Failed}")).ToArray();
            if (why.Length > 0) md.Paragraph("Methods that could not run in a window (their points are left out):").Bullets(why.Take(20).Append(why.Length > 20 ? $"… and {why.Length - 20} more (scan.csv)" : null).OfType<string>());
        }
        md.Heading("Windows", 2);
        var table = new CsvTable(new[] { "window", "SR [GeV]", "N_SR", "B (FPR 1)", "max Z", "at FPR", "reweighted Z" }
            .Concat(r.Methods.Skip(1).Select(m => $"max Z {m}")).Append("closure AUC").Append("sideband fit p").ToArray());
        foreach (var w in r.Windows.Where(w => w.Failed is null))
        {
            int j = Enumerable.Range(0, w.Points.Length).MaxBy(k => w.Points[k].Z);
            var others = w.Methods.Skip(1).Select(m => (object)Math.Round(m.Points.Select(p => p.Z).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max(), 2));
            table.AddRow(new object[] { w.Window.Index, $"{w.Window.SrLow.ToString("F3", Inv)}–{w.Window.SrHigh.ToString("F3", Inv)}", w.Points[0].NSr,
                Math.Round(w.Points[0].B, 1), Math.Round(w.Points[j].Z, 2), w.Points[j].TargetFpr, Math.Round(w.ReweightedZ, 2) }.Concat(others).Append(Math.Round(w.ClosureAuc, 3)).Append(w.SidebandFit is { } sf ? sf.P.ToString("G2", Inv) : "–").ToArray());
        }
        md.Table(table);
        var failed = r.Windows.Where(w => w.Failed is not null).ToArray();
        if (failed.Length > 0)
            md.Paragraph($"{failed.Length} window{(failed.Length > 1 ? "s" : "")} could not be analysed and take no part in the maxima:").Bullets(failed.Select(w => $"{w.Window.Name}: {w.Failed}"));
        md.Paragraph("Files: " + string.Join(", ", files.Select(f => $"`{f}`")) + "; finished windows and their models in `windows/`.");
        return md.ToString();
    }

    private static string P(double p) => p.ToString("G3", Inv);
    private static string FprText(double f) => f.ToString("G3", Inv);
    private static string FprList(IEnumerable<double> f) => string.Join(", ", f.Select(FprText));
}
