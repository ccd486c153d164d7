using System.Globalization;
using System.Text;
using FastAD.Analyses.Reports;
using FastAD.Stats;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Writes a run's outputs: results.json (every number), config.yaml (the configuration used), CSV tables, SVG
/// figures in the manner of the paper's Figures 1–4, and report.md linking them. Every file is written atomically.
/// </summary>
public static class CathodeReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes everything; returns the files written (relative to <paramref name="outDir"/>).</summary>
    public static IReadOnlyList<string> Write(string outDir, CathodeResults r, CathodeAnalysis.ChannelState primary, CathodeAnalysis.ChannelState? control)
    {
        using var run = new ReportWriter(outDir);
        run.WriteJson("results.json", r);
        run.WriteText("config.yaml", CathodeConfig.ToYaml(r.Config));
        var channels = new List<(ChannelResult Result, CathodeAnalysis.ChannelState State)> { (r.Primary, primary) };
        if (r.Control is not null && control is not null) channels.Add((r.Control, control));
        foreach (var (res, st) in channels)
        {
            string ch = res.Channel.Text().ToLowerInvariant();
            run.WriteCsv($"scan-{ch}.csv", ScanCsv(res));
            run.WriteCsv($"cut-scan-{ch}.csv", CutScanCsv(res.TwoFeatureScan));
            run.WriteCsv($"variations-{ch}.csv", VariationsCsv(res));
            run.WriteCsv($"scores-{ch}.csv", ScoresCsv(st));
            run.WriteFigure($"spectra-{ch}.svg", SpectraFigure(r.Config, res, st));
            run.WriteFigure($"significance-{ch}.svg", SignificanceFigure(res));
            run.WriteFigure($"features-{ch}.svg", FeaturesFigure(r.Config, res, st));
            run.WriteFigure($"variations-{ch}.svg", VariationsFigure(res));
            if (res.TwoFeatureScan.PtCuts.Length > 0) run.WriteFigure($"cut-scan-{ch}.svg", CutScanFigure(res.TwoFeatureScan));
            if (res.Methods is { Length: > 0 } methods)
            {
                run.WriteCsv($"methods-{ch}.csv", MethodsReport.Csv(methods));
                run.WriteFigure($"methods-{ch}.svg", MethodsReport.Figure(res.Channel.Text(), methods));
            }
        }
        if (r.Control is not null) run.WriteFigure("control.svg", ControlFigure(r));
        run.WriteText("report.md", Markdown(r, run.Written.Append("report.md").ToArray()));
        run.Commit();
        return run.Written;
    }

    // ------------------------------------------------------------------ tables

    private static CsvTable ScanCsv(ChannelResult res)
    {
        var t = new CsvTable("curve", "target_fpr", "fpr", "cut", "selected", "n_sr", "s", "b", "q0", "z", "p", "truth_signal_efficiency", "sample_efficiency");
        foreach (var c in new[] { res.Cathode }.Concat(res.Baselines).Concat(res.CrossApplied is null ? [] : new[] { res.CrossApplied }))
            foreach (var p in c.Points)
                t.AddRow(c.Name, p.TargetFpr, p.Fpr, p.Cut, p.Selected, p.NSr, p.S, p.B, p.Q0, p.Z, p.P, p.TruthSignalEfficiency, p.SampleEfficiency);
        return t;
    }

    private static CsvTable CutScanCsv(CutScan s)
    {
        var t = new CsvTable($"{s.PtFeature}_above", $"{string.Join("_and_", s.IpFeatures)}_below", "z");
        for (int i = 0; i < s.PtCuts.Length; i++)
            for (int j = 0; j < s.IpCuts.Length; j++) t.AddRow(s.PtCuts[i], s.IpCuts[j], s.Z[i][j]);
        return t;
    }

    private static CsvTable VariationsCsv(ChannelResult res)
    {
        var t = new CsvTable("degree", "bins_sr", "fpr", "z", "reweighted_z");
        foreach (var v in res.Variations)
            for (int i = 0; i < v.Fpr.Length; i++) t.AddRow(v.Degree, v.BinsSr, v.Fpr[i], v.Z[i], v.ReweightedZ);
        return t;
    }

    private static CsvTable ScoresCsv(CathodeAnalysis.ChannelState st)
    {
        var d = st.Data;
        var t = new CsvTable(new[] { "dimu_mass" }.Concat(d.FeatureNames).Concat(["band", "fold", "score"]).Concat(d.Truth is null ? [] : new[] { "truth" }).ToArray());
        for (int i = 0; i < d.Rows; i++)
        {
            var row = new List<object?> { d.Mass[i] };
            for (int j = 0; j < d.D; j++) row.Add(d.Features[i * d.D + j]);
            row.Add(st.Band[i].Label());
            row.Add(st.Fold[i]);
            row.Add(st.Scores[i]);
            if (d.Truth is not null) row.Add(d.Truth[i]);
            t.AddRow(row.ToArray());
        }
        return t;
    }

    // ------------------------------------------------------------------ figures

    private static string FprText(double f) => f.ToString("G3", Inv);

    /// <summary>Figure 1: mass spectra after cuts at the histogram FPRs, with the sideband fit and the SR shaded.</summary>
    private static Figure SpectraFigure(CathodeConfig c, ChannelResult res, CathodeAnalysis.ChannelState st)
    {
        var fprs = c.Statistics.HistogramFprs.Take(6).ToArray();
        int cols = Math.Min(3, fprs.Length), rows = (fprs.Length + cols - 1) / cols;
        var fig = new Figure(rows, cols, 360 * cols, 300 * rows) { Title = $"{res.Channel}: dimuon mass after CATHODE cuts" };
        var binning = new BumpHuntBinning(c.Regions.SblLow, c.Regions.SrLow, c.Regions.SrHigh, c.Regions.SbhHigh, c.Statistics.BinsSr);
        var edges = binning.SblEdges.Concat(binning.SrEdges.Skip(1)).Concat(binning.SbhEdges.Skip(1)).ToArray();
        var centres = edges.Zip(edges.Skip(1), (a, b) => (a + b) / 2).ToArray();
        var xs = Enumerable.Range(0, 221).Select(i => c.Regions.SblLow + (c.Regions.SbhHigh - c.Regions.SblLow) * i / 220.0).ToArray();
        for (int k = 0; k < fprs.Length; k++)
        {
            var p = fig[k / cols, k % cols];
            var point = res.Cathode.Points.MinBy(q => Math.Abs(q.TargetFpr - fprs[k]))!;
            var masses = Enumerable.Range(0, st.Data.Rows).Where(i => st.Band[i] != MassBand.Outside && st.Scores[i] >= point.Cut).Select(i => st.Data.Mass[i]).ToArray();
            var counts = Panel.Count(masses, edges);
            p.VerticalSpan(c.Regions.SrLow, c.Regions.SrHigh, k == 0 ? "signal region" : null);
            p.ErrorBars(centres, counts, counts.Select(Math.Sqrt).ToArray(), label: k == 0 ? "data" : null, markerSize: 3.5);
            if (point.ThetaHat.Length > 0)
            {
                p.Line(xs, xs.Select(m => BackgroundModel.Evaluate(point.ThetaHat, m)).ToArray(), k == 0 ? $"sideband fit (degree {c.Statistics.Degree})" : null, Palette.Vermillion);
            }
            double top = counts.Select((n, i) => n + Math.Sqrt(n)).DefaultIfEmpty(0).Max();
            // Only a spectrum that could be fitted is drawn: the SR events of a features-only file alone would look like a peak.
            if (Math.Abs(point.TargetFpr - 1) < 1e-12 && st.PreIsolation?.Masses is { } preMasses && res.PreIsolation is { ThetaHat: not null } pre)
            {
                // The paper's dashed curves: the same channel before the anti-isolation cut, with its own sideband fit.
                var preCounts = Panel.Count(preMasses, edges);
                p.Step(edges, preCounts, $"no anti-isolation ({pre.Events:N0}, Z = {pre.Z!.Value.ToString("F1", Inv)}σ)", Palette.Black, style: LineStyle.Dashed, width: 1.4);
                p.Line(xs, xs.Select(m => BackgroundModel.Evaluate(pre.ThetaHat, m)).ToArray(), "its fit", Palette.Grey, LineStyle.Dashed);
                // Room above the peak for the longer legend.
                top = Math.Max(top, preCounts.DefaultIfEmpty(0).Max()) * 1.3;
            }
            p.X.Label = "m_{μμ} [GeV]";
            p.Y.Label = k % cols == 0 ? $"events / {binning.Width.ToString("0.###", Inv)} GeV" : null;
            p.Y.Min = 0;
            // Head room for the legend and the numbers above the tallest point.
            p.Y.Max = Math.Max(1, top) * 1.45;
            p.Title = $"FPR {FprText(point.TargetFpr)}";
            p.Text(0.97, 0.88, $"Z = {point.Z.ToString("F2", Inv)}σ\nN_{{SR}} = {point.NSr.ToString("F0", Inv)}, B = {point.B.ToString("F1", Inv)}", anchor: TextAnchor.End, fontSize: 12);
            p.Legend = LegendPosition.UpperLeft;
        }
        return fig;
    }

    /// <summary>Figure 2: significance against FPR for CATHODE, the single-feature cuts and random; the reweighted Z as a line.</summary>
    private static Figure SignificanceFigure(ChannelResult res)
    {
        var fig = new Figure(820, 440) { Title = $"{res.Channel}: bump-hunt significance against the sideband FPR" };
        var p = fig.Main;
        Curve(p, res.Cathode, Palette.Black, LineStyle.Solid, Marker.Circle);
        var styles = new[] { (Palette.Blue, LineStyle.Dashed), (Palette.Vermillion, LineStyle.Dashed), (Palette.Green, LineStyle.Dashed), (Palette.Grey, LineStyle.Dotted) };
        for (int i = 0; i < res.Baselines.Length; i++)
            Curve(p, res.Baselines[i], styles[Math.Min(i, styles.Length - 1)].Item1, styles[Math.Min(i, styles.Length - 1)].Item2, Marker.None);
        if (res.Reweighted is { } rw) p.HorizontalLine(rw.Z, $"reweighted {rw.Z.ToString("F2", Inv)}σ", "likelihood reweighting", Palette.Purple, LineStyle.DashDot, 1.6);
        SignificanceAxes(p);
        return fig;
    }

    private static void Curve(Panel p, ScanCurve c, string color, LineStyle style, Marker marker) =>
        p.Line(c.Points.Select(q => q.Fpr).ToArray(), c.Points.Select(q => q.Z).ToArray(), c.Name, color, style, 1.8, marker, 4.5);

    private static void SignificanceAxes(Panel p)
    {
        p.X.Scale = AxisScale.Log;
        p.X.Label = "false-positive rate on sideband data";
        p.Y.Label = "significance Z [σ]";
        p.Y.Min = 0;
        p.PValueAxis();
        p.Legend = LegendPosition.OutsideRight;
    }

    /// <summary>Figure 3: SR feature distributions after cuts (normalised), with the background model's samples.</summary>
    private static Figure FeaturesFigure(CathodeConfig c, ChannelResult res, CathodeAnalysis.ChannelState st)
    {
        var d = st.Data;
        var fig = new Figure(1, d.D, 340 * d.D, 320) { Title = $"{res.Channel}: signal-region features after cuts" };
        var cuts = new[] { 1.0, 0.1, 0.01 }.Select(f => res.Cathode.Points.MinBy(q => Math.Abs(q.TargetFpr - f))!).ToArray();
        var colors = new[] { Palette.Black, Palette.Blue, Palette.Vermillion };
        for (int j = 0; j < d.D; j++)
        {
            var p = fig[0, j];
            var values = Enumerable.Range(0, d.Rows).Where(i => st.Band[i] == MassBand.Sr).Select(i => d.Features[i * d.D + j]).ToArray();
            bool positive = values.All(v => v > 0);
            double lo = Quantile(values, 0.005), hi = Quantile(values, 0.995);
            bool log = positive && hi / lo > 50;
            var edges = Enumerable.Range(0, 31).Select(i => log ? lo * Math.Pow(hi / lo, i / 30.0) : lo + (hi - lo) * i / 30.0).ToArray();
            var samples = Enumerable.Range(0, st.RocSamples.Length / d.D).Select(i => st.RocSamples[i * d.D + j]).ToArray();
            // Fractions per bin (not densities): on a log axis a density per unit x would hide the shape.
            p.Step(edges, Fractions(samples, edges), j == 0 ? "flow samples (SR)" : null, Palette.Grey, fill: Palette.Grey, fillOpacity: 0.25, width: 0);
            for (int k = 0; k < cuts.Length; k++)
            {
                var sel = Enumerable.Range(0, d.Rows).Where(i => st.Band[i] == MassBand.Sr && st.Scores[i] >= cuts[k].Cut).Select(i => d.Features[i * d.D + j]).ToArray();
                p.Step(edges, Fractions(sel, edges), j == 0 ? $"SR data, FPR {FprText(cuts[k].TargetFpr)}" : null, colors[k]);
            }
            if (st.PreIsolation?.SrFeatures is { } pre)
            {
                // The paper's dashed curve: the SR events before the anti-isolation cut.
                int n = pre.Length / d.D;
                var values0 = Enumerable.Range(0, n).Select(i => pre[i * d.D + j]).ToArray();
                p.Step(edges, Fractions(values0, edges), j == 0 ? $"SR before the anti-isolation cut ({n:N0})" : null, Palette.Black, style: LineStyle.Dashed, width: 1.4);
            }
            p.X.Label = d.FeatureNames[j] + (d.FeatureNames[j].Contains("ip3d") ? " [cm]" : d.FeatureNames[j].Contains("pt") ? " [GeV]" : "");
            if (log) p.X.Scale = AxisScale.Log;
            p.Y.Label = j == 0 ? "fraction of events per bin" : null;
            p.Y.Min = 0;
            p.Legend = LegendPosition.UpperRight;
        }
        return fig;
    }

    private static double[] Fractions(double[] values, double[] edges)
    {
        var c = Panel.Count(values, edges);
        double sum = c.Sum();
        return sum > 0 ? c.Select(v => v / sum).ToArray() : c;
    }

    private static double Quantile(double[] v, double q)
    {
        if (v.Length == 0) return 0;
        var s = v.Order().ToArray();
        return s[Math.Clamp((int)(q * (s.Length - 1)), 0, s.Length - 1)];
    }

    /// <summary>Figure 4: the degree × binning variations of the CATHODE scan.</summary>
    private static Figure VariationsFigure(ChannelResult res)
    {
        var fig = new Figure(900, 440) { Title = $"{res.Channel}: systematic variations (degree × SR boundaries)" };
        var p = fig.Main;
        var degrees = res.Variations.Select(v => v.Degree).Distinct().Order().ToArray();
        var bins = res.Variations.Select(v => v.BinsSr).Distinct().Order().ToArray();
        var styles = new[] { LineStyle.Dotted, LineStyle.Solid, LineStyle.Dashed, LineStyle.DashDot };
        foreach (var v in res.Variations)
        {
            string color = Palette.Cycle[(Array.IndexOf(degrees, v.Degree) + 1) % Palette.Cycle.Count];
            var style = styles[Array.IndexOf(bins, v.BinsSr) % styles.Length];
            p.Line(v.Fpr, v.Z, $"degree {v.Degree}, {v.BinsSr} boundaries (reweighted {v.ReweightedZ.ToString("F2", Inv)}σ)", color, style, 1.5);
        }
        SignificanceAxes(p);
        p.Legend = LegendPosition.OutsideRight;
        return fig;
    }

    private static Figure CutScanFigure(CutScan s)
    {
        var fig = new Figure(600, 480) { Title = "Two-feature cut scan (Z of each cut pair)" };
        int n = s.PtCuts.Length, m = s.IpCuts.Length;
        var values = new double[m, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) values[j, i] = s.Z[i][j];
        // Cells are the scan steps (quantile levels); the tick labels give the cut values.
        var p = fig.Main;
        p.Heatmap(Enumerable.Range(0, n + 1).Select(i => (double)i).ToArray(), Enumerable.Range(0, m + 1).Select(j => (double)j).ToArray(), values, "Z [σ]", 0, null, "F1");
        p.X.Ticks(Enumerable.Range(0, n).Select(i => i + 0.5).ToArray(), s.PtCuts.Select(v => double.IsInfinity(v) ? "none" : v.ToString("G3", Inv)).ToArray());
        p.Y.Ticks(Enumerable.Range(0, m).Select(j => j + 0.5).ToArray(), s.IpCuts.Select(v => double.IsInfinity(v) ? "none" : v.ToString("G2", Inv)).ToArray());
        p.X.Label = $"{s.PtFeature} > a [GeV]";
        p.Y.Label = $"{string.Join(" and ", s.IpFeatures)} < b";
        p.Legend = LegendPosition.None;
        return fig;
    }

    private static Figure ControlFigure(CathodeResults r)
    {
        var fig = new Figure(820, 440) { Title = "Validation: control channel and cross-applied ensembles" };
        var p = fig.Main;
        var c = r.Control!;
        Curve(p, c.Cathode with { Name = $"{c.Channel} CATHODE" }, Palette.Black, LineStyle.Solid, Marker.Circle);
        if (c.CrossApplied is { } onControl) Curve(p, onControl, Palette.Blue, LineStyle.Dashed, Marker.Square);
        if (r.Primary.CrossApplied is { } onPrimary) Curve(p, onPrimary, Palette.Vermillion, LineStyle.Dashed, Marker.Triangle);
        if (c.Reweighted is { } rw) p.HorizontalLine(rw.Z, null, $"{c.Channel} reweighted ({rw.Z.ToString("F2", Inv)}σ)", Palette.Purple, LineStyle.DashDot, 1.6);
        SignificanceAxes(p);
        return fig;
    }

    // ------------------------------------------------------------------ report.md

    private static string Markdown(CathodeResults r, IReadOnlyList<string> files)
    {
        var h = r.Headline;
        var p = r.Primary;
        var sb = new StringBuilder();
        string Z(double? z) => z is { } v && !double.IsNaN(v) ? v.ToString("F2", Inv) + "σ" : "–";
        void Line(string text = "") => sb.AppendLine(text);
        void Figure(string file, string caption)
        {
            if (!files.Contains(file)) return;
            Line($"![{caption}]({file})");
            Line();
            Line($"*{caption}*");
            Line();
        }
        Line("# CATHODE bump hunt");
        Line();
        Line($"Input: {r.Input}. Preset: {r.Preset}. Device: {r.Device}. FastAD {r.Version}. Every number is in [results.json](results.json); the configuration used is [config.yaml](config.yaml).");
        Line();
        Line("| headline | value |");
        Line("|---|---|");
        Line($"| initial Z ({p.Channel}, no cut) | {Z(h.InitialZ)} (N_SR = {p.Sr:N0}, S = {p.InitialS.ToString("F1", Inv)}, B = {p.InitialB.ToString("F1", Inv)}) |");
        Line($"| best CATHODE Z (cut and count) | {Z(h.BestCathodeZ)} at FPR {FprText(h.BestCathodeFpr)} |");
        Line($"| likelihood-reweighted Z | {Z(h.ReweightedZ)} |");
        Line($"| best single-feature cut Z | {Z(h.BestSingleCutZ)} ({h.BestSingleCutName}) |");
        Line($"| best two-feature cut Z (10 × 10 scan, maximum over the grid) | {Z(h.BestTwoFeatureCutZ)} |");
        if (r.Control is { } c)
        {
            Line($"| {c.Channel} max Z over the FPR scan (control) | {Z(h.ControlMaxZ)} |");
            Line($"| {c.Channel} reweighted Z | {Z(h.ControlReweightedZ)} |");
        }
        Line();
        foreach (var res in new[] { r.Primary }.Concat(r.Control is null ? [] : new[] { r.Control }))
        {
            string ch = res.Channel.Text().ToLowerInvariant();
            Line($"## {res.Channel} channel");
            Line();
            Line($"{res.Events:N0} events: {res.Sbl:N0} in SBL, {res.Sr:N0} in the SR, {res.Sbh:N0} in SBH" +
                 (res.TruthSignalInSr > 0 ? $" ({res.TruthSignalInSr:N0} true signal events in the SR)" : "") + ". " +
                 $"The sideband polynomial predicts {res.PredictedSrCount.ToString("F1", Inv)} SR events; each sample set holds {res.SamplesPerSet:N0} flow samples. " +
                 $"{res.BdtModels:N0} BDTs ({res.MeanTreesPerModel.ToString("F1", Inv)} trees each on average); out-of-fold AUC of SR data against the ROC samples " +
                 $"{res.SrVsSamplesAuc.ToString("F3", Inv)}" + (double.IsNaN(res.TruthAuc) ? "." : $", of true signal against background in the SR {res.TruthAuc.ToString("F3", Inv)}."));
            Line();
            if (res.Methods is { Length: > 0 } compared)
            {
                Line($"**Methods on the same events** (SPEC 6; the same bands, fold scheme and statistics, only the score differs; table in [methods-{ch}.csv](methods-{ch}.csv)). " +
                     "Maximum SIC over working points that keep at least 100 SR background events; supervised uses the data's own truth labels. " +
                     "Sculpting: χ²/ndf of the sideband mass spectrum after the cut against the uncut one scaled to the same total (about 1 when the cut keeps the shape; " +
                     "a method whose score learns the mass shows it).");
                Line();
                foreach (var row in MethodsReport.Table(compared)) Line(row);
                Line();
                Figure($"methods-{ch}.svg", $"{res.Channel}: significance against the sideband FPR and SIC against the signal efficiency, for every method on the same events.");
            }
            if (res.SidebandClosure is { } closure)
            {
                Line($"**Sideband closure of the background model.** A {closure.Folds}-fold classifier (one BDT per fold, the run's BDT settings) of " +
                     $"{closure.Events:N0} sideband events against flow samples drawn at their masses: {CathodeAnalysis.ClosureText(closure)} " +
                     $"(the same classifier on two independent sets of flow samples gives {closure.ReferenceAuc.ToString("F3", Inv)} ± {closure.ReferenceSpread.ToString("F3", Inv)}; " +
                     "the band is its mean ± 3 standard errors of a difference of two fold means)." +
                     (closure.Outside ? " **Warning: the flows do not model the sidebands; the SR samples are not a trustworthy background.**" : ""));
                Line();
                Line("| feature | KS distance (data vs samples) | p-value |");
                Line("|---|---:|---:|");
                foreach (var f in closure.Features) Line($"| {f.Feature} | {f.Ks.ToString("F4", Inv)} | {f.PValue.ToString("G3", Inv)} |");
                Line();
            }
            Figure($"significance-{ch}.svg", $"{res.Channel}: significance against the sideband FPR for CATHODE, the single-feature cuts and random scores; the dash-dotted line is the likelihood-reweighted Z.");
            Figure($"spectra-{ch}.svg", $"{res.Channel}: mass spectra after the CATHODE cut at each FPR, with the degree-{r.Config.Statistics.Degree} sideband fit; the SR is shaded" +
                                        (res.PreIsolation is { Z: not null } && r.Config.Statistics.HistogramFprs.Take(6).Any(f => Math.Abs(f - 1) < 1e-12) ? "; dashed in the FPR 1 panel, the spectrum before the anti-isolation cut with its own sideband fit." : "."));
            Figure($"features-{ch}.svg", $"{res.Channel}: SR features after cuts, with the flows' SR samples (the background model)" +
                                         (res.PreIsolation is { SrFeatureEvents: > 0 } ? "; dashed, the SR events before the anti-isolation cut." : "."));
            if (res.PreIsolation is { } pre)
            {
                Line($"**Before the anti-isolation cut** (dashed in the figures, as in the paper's Figs. 2 and 3): " +
                     (pre.SrFeatureEvents > 0 ? $"{pre.SrFeatureEvents:N0} SR events with features from {pre.FeatureSource}" : "no SR features given") + "; " +
                     (pre.MassSource is null ? "no masses given." : $"{pre.Events:N0} masses in the bands from {pre.MassSource} ({pre.Sbl:N0} SBL, {pre.Sr:N0} SR, {pre.Sbh:N0} SBH)") +
                     (pre.Z is { } pz ? $", whose sideband fit gives Z = {pz.ToString("F2", Inv)}σ (S = {pre.S!.Value.ToString("F1", Inv)}, B = {pre.B!.Value.ToString("F1", Inv)}) against {res.InitialZ.ToString("F2", Inv)}σ after the cut." :
                         pre.Note is { } note ? $"; {note}." : "."));
                Line();
            }
            Figure($"variations-{ch}.svg", $"{res.Channel}: the scan with polynomial degree × SR binning varied.");
            Figure($"cut-scan-{ch}.svg", $"{res.Channel}: the two-feature cut scan.");
            Line("| target FPR | FPR | N_SR | B | S | Z | p |" + (res.TruthSignalInSr > 0 ? " signal efficiency |" : "") + " samples passing |");
            Line("|---:|---:|---:|---:|---:|---:|---:|" + (res.TruthSignalInSr > 0 ? "---:|" : "") + "---:|");
            foreach (var q in res.Cathode.Points.Where(q => r.Config.Statistics.HistogramFprs.Any(f => Math.Abs(f - q.TargetFpr) < 1e-12)))
                Line($"| {FprText(q.TargetFpr)} | {FprText(q.Fpr)} | {q.NSr:F0} | {q.B.ToString("F1", Inv)} | {q.S.ToString("F1", Inv)} | {q.Z.ToString("F2", Inv)} | {q.P.ToString("E2", Inv)} |" +
                     (res.TruthSignalInSr > 0 ? $" {q.TruthSignalEfficiency.ToString("F3", Inv)} |" : "") + $" {q.SampleEfficiency.ToString("F4", Inv)} |");
            Line();
            Line("Flows (best epoch, validation NLL in standardised units): " +
                 string.Join("; ", res.Flows.Select(f => f.Reused ? $"#{f.Member} reused ({f.BestValidationLoss.ToString("F4", Inv)})" : $"#{f.Member} epoch {f.BestEpoch + 1}/{f.EpochsRun} ({f.BestValidationLoss.ToString("F4", Inv)})")) + ".");
            if (res.ClampedToPreprocessingRange is { Count: > 0 } clamped)
                Line($"Outside the preprocessing range fitted on OS (min to 1.2 × max), clamped to its edge before the flows: " +
                     string.Join(", ", clamped.Select(kv => $"{kv.Value:N0} events in {kv.Key}")) + ".");
            Line();
            if (res.CrossApplied is { } x) Line($"Cross-application: {x.Name} reaches at most {Z(x.Best.Z)} (FPR {FprText(x.Best.Fpr)}).");
            Line();
            Line($"Tables: [scan-{ch}.csv](scan-{ch}.csv) (every curve and working point), [cut-scan-{ch}.csv](cut-scan-{ch}.csv), [variations-{ch}.csv](variations-{ch}.csv), [scores-{ch}.csv](scores-{ch}.csv) (every event with its band, fold and out-of-fold score).");
            Line();
        }
        if (r.Control is not null)
        {
            Line("## Validation");
            Line();
            Figure("control.svg", "The control channel's own CATHODE scan and each channel's ensemble applied to the other channel.");
        }
        Line("## Time per stage");
        Line();
        Line("| stage | seconds |");
        Line("|---|---:|");
        foreach (var (stage, sec) in r.StageSeconds) Line($"| {stage} | {sec.ToString("F2", Inv)} |");
        Line();
        Line("Trained models are in [models/](models/); `fastad cathode ... --reuse` redoes the statistics without retraining.");
        return sb.ToString();
    }
}
