using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastAD.Analyses.Reports;
using FastAD.Kernels.IO;
using FastAD.Stats;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Writes a run's outputs: results.json (every number), config.yaml (the configuration used), CSV tables, SVG
/// figures in the manner of the paper's Figures 1–4, and report.md linking them. Every file is written atomically.
/// </summary>
public static class CathodeReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>JSON options of results.json: camelCase, indented, NaN and ±∞ written as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes everything; returns the files written (relative to <paramref name="outDir"/>).</summary>
    public static IReadOnlyList<string> Write(string outDir, CathodeResults r, CathodeAnalysis.ChannelState primary, CathodeAnalysis.ChannelState? control)
    {
        var files = new List<string>();
        void Text(string name, string text)
        {
            AtomicFile.WriteAllText(Path.Combine(outDir, name), text);
            files.Add(name);
        }
        void Svg(string name, Figure f)
        {
            f.Save(Path.Combine(outDir, name));
            files.Add(name);
        }
        Text("results.json", JsonSerializer.Serialize(r, Json));
        Text("config.yaml", CathodeConfig.ToYaml(r.Config));
        var channels = new List<(ChannelResult Result, CathodeAnalysis.ChannelState State)> { (r.Primary, primary) };
        if (r.Control is not null && control is not null) channels.Add((r.Control, control));
        foreach (var (res, st) in channels)
        {
            string ch = res.Channel.ToLowerInvariant();
            Text($"scan-{ch}.csv", ScanCsv(res));
            Text($"cut-scan-{ch}.csv", CutScanCsv(res.TwoFeatureScan));
            Text($"variations-{ch}.csv", VariationsCsv(res));
            Text($"scores-{ch}.csv", ScoresCsv(st));
            Svg($"spectra-{ch}.svg", SpectraFigure(r.Config, res, st));
            Svg($"significance-{ch}.svg", SignificanceFigure(res));
            Svg($"features-{ch}.svg", FeaturesFigure(r.Config, res, st));
            Svg($"variations-{ch}.svg", VariationsFigure(res));
            if (res.TwoFeatureScan.PtCuts.Length > 0) Svg($"cut-scan-{ch}.svg", CutScanFigure(res.TwoFeatureScan));
        }
        if (r.Control is not null) Svg("control.svg", ControlFigure(r));
        files.Add("report.md");
        Text("report.md", Markdown(r, files));
        return files;
    }

    private static string G(double v, string format = "G6") => double.IsNaN(v) ? "NaN" : v.ToString(format, Inv);

    // ------------------------------------------------------------------ tables

    private static string Csv(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', header));
        foreach (var row in rows) sb.AppendLine(string.Join(',', row));
        return sb.ToString();
    }

    private static string ScanCsv(ChannelResult res)
    {
        var curves = new[] { res.Cathode }.Concat(res.Baselines).Concat(res.CrossApplied is null ? [] : new[] { res.CrossApplied });
        return Csv(["curve", "target_fpr", "fpr", "cut", "selected", "n_sr", "s", "b", "q0", "z", "p", "truth_signal_efficiency", "sample_efficiency"],
            curves.SelectMany(c => c.Points.Select(p => new[]
            {
                $"\"{c.Name}\"", G(p.TargetFpr), G(p.Fpr), G(p.Cut), p.Selected.ToString(Inv), G(p.NSr), G(p.S), G(p.B), G(p.Q0), G(p.Z), G(p.P),
                G(p.TruthSignalEfficiency), G(p.SampleEfficiency),
            })));
    }

    private static string CutScanCsv(CutScan s) =>
        Csv([$"{s.PtFeature}_above", $"{string.Join("_and_", s.IpFeatures)}_below", "z"],
            Enumerable.Range(0, s.PtCuts.Length).SelectMany(i => Enumerable.Range(0, s.IpCuts.Length).Select(j => new[] { G(s.PtCuts[i]), G(s.IpCuts[j]), G(s.Z[i][j]) })));

    private static string VariationsCsv(ChannelResult res) =>
        Csv(["degree", "bins_sr", "fpr", "z", "reweighted_z"],
            res.Variations.SelectMany(v => v.Fpr.Select((f, i) => new[] { v.Degree.ToString(Inv), v.BinsSr.ToString(Inv), G(f), G(v.Z[i]), G(v.ReweightedZ) })));

    private static string ScoresCsv(CathodeAnalysis.ChannelState st)
    {
        var d = st.Data;
        var header = new[] { "dimu_mass" }.Concat(d.FeatureNames).Concat(["band", "fold", "score"]).Concat(d.Truth is null ? [] : new[] { "truth" });
        string Band(int b) => b switch { -1 => "SBL", 0 => "SR", 1 => "SBH", _ => "outside" };
        return Csv(header, Enumerable.Range(0, d.Rows).Select(i =>
            new[] { G(d.Mass[i], "R") }.Concat(Enumerable.Range(0, d.D).Select(j => G(d.Features[i * d.D + j], "R")))
                .Concat([Band(st.Band[i]), st.Fold[i].ToString(Inv), G(st.Scores[i], "R")])
                .Concat(d.Truth is null ? [] : new[] { G(d.Truth[i]) })));
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
        for (int k = 0; k < fprs.Length; k++)
        {
            var p = fig[k / cols, k % cols];
            var point = res.Cathode.Points.MinBy(q => Math.Abs(q.TargetFpr - fprs[k]))!;
            var masses = Enumerable.Range(0, st.Data.Rows).Where(i => st.Band[i] != 2 && st.Scores[i] >= point.Cut).Select(i => st.Data.Mass[i]).ToArray();
            var counts = Panel.Count(masses, edges);
            p.VerticalSpan(c.Regions.SrLow, c.Regions.SrHigh, k == 0 ? "signal region" : null);
            p.ErrorBars(centres, counts, counts.Select(Math.Sqrt).ToArray(), label: k == 0 ? "data" : null, markerSize: 3.5);
            if (point.ThetaHat.Length > 0)
            {
                var xs = Enumerable.Range(0, 221).Select(i => c.Regions.SblLow + (c.Regions.SbhHigh - c.Regions.SblLow) * i / 220.0).ToArray();
                p.Line(xs, xs.Select(m => BackgroundModel.Evaluate(point.ThetaHat, m)).ToArray(), k == 0 ? $"sideband fit (degree {c.Statistics.Degree})" : null, Palette.Vermillion);
            }
            p.X.Label = "m_μμ [GeV]";
            p.Y.Label = k % cols == 0 ? $"events / {binning.Width.ToString("0.###", Inv)} GeV" : null;
            p.Y.Min = 0;
            // Head room for the legend and the numbers above the tallest point.
            p.Y.Max = Math.Max(1, counts.Select((n, i) => n + Math.Sqrt(n)).Max()) * 1.45;
            p.Title = $"FPR {FprText(point.TargetFpr)}";
            p.Text(0.97, 0.95, $"Z = {point.Z.ToString("F2", Inv)}σ\nN_SR = {point.NSr:F0}, B = {point.B:F1}", anchor: TextAnchor.End, fontSize: 12);
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
            var values = Enumerable.Range(0, d.Rows).Where(i => st.Band[i] == 0).Select(i => d.Features[i * d.D + j]).ToArray();
            bool positive = values.All(v => v > 0);
            double lo = Quantile(values, 0.005), hi = Quantile(values, 0.995);
            bool log = positive && hi / lo > 50;
            var edges = Enumerable.Range(0, 31).Select(i => log ? lo * Math.Pow(hi / lo, i / 30.0) : lo + (hi - lo) * i / 30.0).ToArray();
            var samples = Enumerable.Range(0, st.RocSamples.Length / d.D).Select(i => st.RocSamples[i * d.D + j]).ToArray();
            // Fractions per bin (not densities): on a log axis a density per unit x would hide the shape.
            p.Step(edges, Fractions(samples, edges), j == 0 ? "flow samples (SR)" : null, Palette.Grey, fill: Palette.Grey, fillOpacity: 0.25, width: 0);
            for (int k = 0; k < cuts.Length; k++)
            {
                var sel = Enumerable.Range(0, d.Rows).Where(i => st.Band[i] == 0 && st.Scores[i] >= cuts[k].Cut).Select(i => d.Features[i * d.D + j]).ToArray();
                p.Step(edges, Fractions(sel, edges), j == 0 ? $"SR data, FPR {FprText(cuts[k].TargetFpr)}" : null, colors[k]);
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
        var fig = new Figure(620, 440) { Title = $"{res.Channel}: systematic variations (degree × SR boundaries)" };
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
        var fig = new Figure(620, 440) { Title = "Validation: control channel and cross-applied ensembles" };
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
            string ch = res.Channel.ToLowerInvariant();
            Line($"## {res.Channel} channel");
            Line();
            Line($"{res.Events:N0} events: {res.Sbl:N0} in SBL, {res.Sr:N0} in the SR, {res.Sbh:N0} in SBH" +
                 (res.TruthSignalInSr > 0 ? $" ({res.TruthSignalInSr:N0} true signal events in the SR)" : "") + ". " +
                 $"The sideband polynomial predicts {res.PredictedSrCount.ToString("F1", Inv)} SR events; each sample set holds {res.SamplesPerSet:N0} flow samples. " +
                 $"{res.BdtModels:N0} BDTs ({res.MeanTreesPerModel.ToString("F1", Inv)} trees each on average); out-of-fold AUC of SR data against the ROC samples " +
                 $"{res.SrVsSamplesAuc.ToString("F3", Inv)}" + (double.IsNaN(res.TruthAuc) ? "." : $", of true signal against background in the SR {res.TruthAuc.ToString("F3", Inv)}."));
            Line();
            Figure($"significance-{ch}.svg", $"{res.Channel}: significance against the sideband FPR for CATHODE, the single-feature cuts and random scores; the dash-dotted line is the likelihood-reweighted Z.");
            Figure($"spectra-{ch}.svg", $"{res.Channel}: mass spectra after the CATHODE cut at each FPR, with the degree-{r.Config.Statistics.Degree} sideband fit; the SR is shaded.");
            Figure($"features-{ch}.svg", $"{res.Channel}: SR features after cuts, with the flows' SR samples (the background model).");
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
