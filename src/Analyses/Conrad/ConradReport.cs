using System.Globalization;
using FastAD.Analyses.Reports;

namespace FastAD.Analyses.Conrad;

/// <summary>
/// Writes a CONRAD run's outputs: results.json (every number), config.yaml, CSV tables (closure and S/√B per injection,
/// SIC curves), SVG figures in the manner of the paper's Figures 2–6 (the features of background, signal and template; the
/// Z(νν) and γ+jets templates; SIC curves on the independent test set and on the data; closure ratio against FPR with and
/// without signal; significance against injected signal), the latent distributions and the flow losses, and report.md.
/// </summary>
public static class ConradReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly Dictionary<string, (string Color, LineStyle Style, string Label)> Styles = new()
    {
        ["supervised"] = (Palette.Black, LineStyle.Solid, "supervised (truth labels)"),
        ["idealised-x"] = (Palette.Blue, LineStyle.Dashed, "idealised, x space"),
        ["idealised-z"] = (Palette.Green, LineStyle.DashDot, "idealised, latent space"),
        [ConradAnalysis.Realistic] = (Palette.Vermillion, LineStyle.Solid, "CONRAD (realistic)"),
    };

    /// <summary>Writes everything; returns the files written (relative to <paramref name="outDir"/>).</summary>
    public static IReadOnlyList<string> Write(string outDir, ConradResults r, ConradAnalysis.State state)
    {
        using var w = new ReportWriter(outDir);
        w.WriteJson("results.json", r);
        w.WriteText("config.yaml", ConradConfig.ToYaml(r.Config));
        w.WriteCsv("closure.csv", ClosureTable(r));
        if (r.Sic.Length > 0 || r.TestSic.Length > 0) w.WriteCsv("sic.csv", SicTable(r));
        var figures = new List<(string File, string Alt, string Caption)>();
        figures.Add((w.WriteFigure("features.svg", FeatureFigure(r, state)), "feature distributions",
            state.Data.Truth is null
                ? "The auxiliary features in the signal region: data and the background template (the data have no truth column, so background and signal are not shown apart; cf. the paper's Figures 2 and 6)."
                : $"The auxiliary features in the signal region: the data's background and signal (truth) and the background template ({r.Config.Template.Text()}), each normalised (cf. the paper's Figures 2 and 6)."));
        if (TemplatePair(r, state) is { } pair)
            figures.Add((w.WriteFigure("template.svg", TemplateFigure(r, pair)), "Z(νν) against γ+jets",
                $"MET and the auxiliary features above the trigger: {pair.ALabel} against {pair.BLabel}, each normalised; the flow learns the latter."));
        if (r.Sic.Length > 0 || r.TestSic.Length > 0)
            figures.Add((w.WriteFigure("sic.svg", SicFigure(r)), "SIC curves",
                "SIC = ε_S/√ε_B against 1/ε_B on signal-region events (truth labels): supervised, idealised in x and in z, and the realistic CONRAD pipeline (cf. the paper's Figure 3). " +
                (r.TestSic.Length > 0 ? "Left: the independent test set (" + r.TestSet + "); right: the data's own signal-region events." : "On the data's own signal-region events; independent test set: " + r.TestSet + ".")));
        bool eq9 = r.Injections.Any(l => l.Points.Any(q => double.IsFinite(q.Ratio)));
        figures.Add((w.WriteFigure("closure.svg", ClosureFigure(r)), "ABCD closure",
            eq9
                ? "The paper's closure ratio (Eq. 9) r = N_A,pred / N_A,bg, the prediction against the true background in A, against the FPR of the score cut (set on the control region): error bars the Poisson uncertainty of the prediction, bands ±1σ and ±2σ the Poisson uncertainty of N_A,bg around r = 1; open squares N_A,pred / N_A over all events in A, signal included (cf. Figure 4)."
                : "Closure ratio N_A,pred / N_A over all events in A (the data have no truth column, so the paper's N_A,pred / N_A,bg cannot be formed; with signal in A this ratio falls below 1) against the FPR of the score cut, with the ±1σ and ±2σ Poisson bands expected under closure (cf. Figure 4)."));
        if (r.Injections.Length > 1 || r.Injections[0].Injected >= 0)
            figures.Add((w.WriteFigure("significance.svg", SignificanceFigure(r)), "significance against injected signal",
                "S/√B (truth) before the cut and after cuts at the working points, and the data-driven excess (N_A − N_A,pred)/σ, against injected signal (cf. Figure 5)."));
        figures.Add((w.WriteFigure("latent.svg", LatentFigure(r, state)), "data latents",
            "The data mapped to the latent space of the template flow, against a standard normal, in the control and signal regions."));
        figures.Add((w.WriteFigure("flow-loss.svg", LossFigure(r)), "flow losses", "Training and validation loss of each flow of the ensemble."));
        var md = Markdown(r, figures);
        w.WriteMarkdown("report.md", md);
        w.Commit();
        return w.Written;
    }

    private static string G(double v, string format = "G4") => double.IsNaN(v) ? "–" : v.ToString(format, Inv);

    // ------------------------------------------------------------------ tables

    private static CsvTable ClosureTable(ConradResults r)
    {
        var t = new CsvTable("injected", "target_fpr", "cut", "fpr", "n_a", "n_b", "n_c", "n_d", "n_a_pred", "n_a_pred_error",
            "ratio_true_background", "ratio_true_background_prediction_error", "ratio_true_background_count_error", "ratio_all_events", "ratio_all_events_error",
            "signal_a", "background_a", "s_over_sqrt_b", "observed_z");
        foreach (var level in r.Injections)
            foreach (var p in level.Points)
                t.AddRow(level.Injected, p.TargetFpr, p.Cut, p.Fpr, p.NA, p.NB, p.NC, p.ND, p.Predicted, p.PredictedError,
                    p.Ratio, p.RatioPredictionError, p.RatioBackgroundError, p.RatioAllEvents, p.RatioAllEventsError,
                    p.SignalA, p.BackgroundA, p.SOverSqrtB, p.ObservedZ);
        return t;
    }

    private static CsvTable SicTable(ConradResults r)
    {
        var t = new CsvTable("sample", "classifier", "background_efficiency", "signal_efficiency", "sic");
        foreach (var (sample, curves) in new[] { ("test", r.TestSic), ("data", r.Sic) })
            foreach (var s in curves)
                for (int i = 0; i < s.Sic.Length; i++) t.AddRow(sample, s.Name, s.BackgroundEfficiency[i], s.SignalEfficiency[i], s.Sic[i]);
        return t;
    }

    // ------------------------------------------------------------------ figures

    private static Figure SicFigure(ConradResults r)
    {
        var sets = new[] { (r.TestSic, "independent test set"), (r.Sic, "the data's own signal-region events") }.Where(x => x.Item1.Length > 0).ToArray();
        var fig = new Figure(1, sets.Length, 620 * sets.Length, 440) { Title = "Significance improvement (signal region, truth labels)" };
        for (int k = 0; k < sets.Length; k++)
        {
            var (curves, title) = sets[k];
            var p = fig[0, k];
            foreach (var s in curves)
            {
                var (color, style, label) = Styles[s.Name];
                p.Line(s.BackgroundEfficiency.Select(e => 1 / e).ToArray(), s.Sic, $"{label}: max {s.MaxSic.ToString("F2", Inv)}", color, style, 1.8);
            }
            var grid = curves[0].BackgroundEfficiency;
            p.Line(grid.Select(e => 1 / e).ToArray(), grid.Select(Math.Sqrt).ToArray(), "random", Palette.Grey, LineStyle.Dotted);
            p.X.Scale = AxisScale.Log;
            p.X.Label = "1 / ε_B";
            p.Y.Label = k == 0 ? "SIC = ε_S / √ε_B" : null;
            p.Y.Min = 0;
            p.Title = title;
            p.Legend = LegendPosition.UpperLeft;
        }
        return fig;
    }

    private static Figure ClosureFigure(ConradResults r)
    {
        var levels = new List<ConradInjection>();
        if (r.Injections.FirstOrDefault(i => i.Injected == 0) is { } zero) levels.Add(zero);
        if (!levels.Contains(r.Injections[^1])) levels.Add(r.Injections[^1]);
        bool eq9 = levels.Any(l => l.Points.Any(q => double.IsFinite(q.Ratio)));
        var fig = new Figure(1, levels.Count, 440 * levels.Count, 380)
            { Title = eq9 ? "ABCD closure (Eq. 9): N_A,pred / N_A,bg" : "ABCD closure: N_A,pred / N_A (all events in A; no truth)" };
        for (int k = 0; k < levels.Count; k++)
        {
            var level = levels[k];
            var p = fig[0, k];
            if (eq9)
            {
                // The paper's Figure 4: the band is the Poisson uncertainty of the true background in A around 1, the
                // error bar the prediction's; the all-events ratio beside it for comparison.
                var pts = level.Points.Where(q => q.Fpr > 0 && double.IsFinite(q.Ratio) && double.IsFinite(q.RatioBackgroundError)).ToArray();
                var f = pts.Select(q => q.Fpr).ToArray();
                var s = pts.Select(q => q.RatioBackgroundError).ToArray();
                p.Band(f, s.Select(e => 1 - 2 * e).ToArray(), s.Select(e => 1 + 2 * e).ToArray(), "±2σ (Poisson, N_A,bg)", Palette.Yellow, 0.5);
                p.Band(f, s.Select(e => 1 - e).ToArray(), s.Select(e => 1 + e).ToArray(), "±1σ (Poisson, N_A,bg)", Palette.Green, 0.45);
                p.HorizontalLine(1);
                p.ErrorBars(f, pts.Select(q => q.Ratio).ToArray(), pts.Select(q => q.RatioPredictionError).ToArray(), label: "N_A,pred / N_A,bg (Eq. 9)");
                var all = level.Points.Where(q => q.Fpr > 0 && double.IsFinite(q.RatioAllEvents)).ToArray();
                if (level.SrSignal > 0)
                    p.Scatter(all.Select(q => q.Fpr).ToArray(), all.Select(q => q.RatioAllEvents).ToArray(), "N_A,pred / N_A (all events in A)", Palette.Vermillion, Marker.Square);
            }
            else
            {
                var pts = level.Points.Where(q => q.Fpr > 0 && double.IsFinite(q.RatioAllEventsError)).ToArray();
                var f = pts.Select(q => q.Fpr).ToArray();
                var s = pts.Select(q => q.RatioAllEventsError).ToArray();
                p.Band(f, s.Select(e => 1 - 2 * e).ToArray(), s.Select(e => 1 + 2 * e).ToArray(), "±2σ (Poisson)", Palette.Yellow, 0.5);
                p.Band(f, s.Select(e => 1 - e).ToArray(), s.Select(e => 1 + e).ToArray(), "±1σ (Poisson)", Palette.Green, 0.45);
                p.HorizontalLine(1);
                var ok = pts.Where(q => double.IsFinite(q.RatioAllEvents)).ToArray();
                p.ErrorBars(ok.Select(q => q.Fpr).ToArray(), ok.Select(q => q.RatioAllEvents).ToArray(), ok.Select(q => q.RatioAllEventsError * q.RatioAllEvents).ToArray(),
                    label: "N_A,pred / N_A (all events in A)");
            }
            p.X.Scale = AxisScale.Log;
            p.X.Label = "FPR (control region)";
            p.Y.Label = k == 0 ? "r" : null;
            p.Title = level.Injected switch { 0 => "no signal", < 0 => "data", _ => $"{level.Injected} signal events injected" };
            p.Legend = LegendPosition.UpperLeft;
        }
        return fig;
    }

    private static Figure SignificanceFigure(ConradResults r)
    {
        var fig = new Figure(1, 2, 900, 380) { Title = "Significance against injected signal" };
        var levels = r.Injections.Where(l => l.Injected >= 0).ToArray();
        var x = levels.Select(l => (double)l.Injected).ToArray();
        var colors = new[] { Palette.Blue, Palette.Vermillion, Palette.Green, Palette.Purple };
        var left = fig[0, 0];
        left.Line(x, levels.Select(l => l.SOverSqrtBNoCut).ToArray(), "no cut (signal region)", Palette.Black, marker: Marker.Circle);
        var right = fig[0, 1];
        for (int k = 0; k < r.Config.Statistics.WorkingPoints.Count; k++)
        {
            var wps = levels.Select(l => ConradAnalysis.WorkingPoints(r.Config, l)[k]).ToArray();
            string name = $"FPR {r.Config.Statistics.WorkingPoints[k].ToString("G3", Inv)}";
            left.Line(x, wps.Select(q => q.SOverSqrtB).ToArray(), name, colors[k % colors.Length], marker: Marker.Square);
            right.Line(x, wps.Select(q => q.ObservedZ).ToArray(), name, colors[k % colors.Length], marker: Marker.Square);
        }
        left.X.Label = right.X.Label = "injected signal events";
        left.Y.Label = "S / √B (truth)";
        right.Y.Label = "(N_A − N_A,pred) / σ";
        right.HorizontalLine(0);
        left.Legend = right.Legend = LegendPosition.UpperLeft;
        return fig;
    }

    /// <summary>
    /// Histogram edges for feature <paramref name="j"/>: [0, 1] for bounded features, otherwise 0 to the largest of the
    /// value sets' 99.5% quantiles (each set its own, so that a small signal sample is not cut off by a large background).
    /// </summary>
    private static double[] FeatureEdges(ConradResults r, int j, IEnumerable<double[]> values, int bins = 40)
    {
        double hi = 1;
        if (!r.Config.Columns.Bounded.Contains(r.Config.Columns.Features[j]))
        {
            hi = values.Where(v => v.Length > 0).Select(v =>
            {
                var sorted = v.Order().ToArray();
                return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(0.995 * sorted.Length))];
            }).DefaultIfEmpty(1).Max();
            if (!(hi > 0)) hi = 1;
        }
        return Enumerable.Range(0, bins + 1).Select(i => hi * i / bins).ToArray();
    }

    private static double[] Column(ConradSample x, int j, Func<int, bool> keep) =>
        Enumerable.Range(0, x.Rows).Where(keep).Select(i => x.Features[i * x.D + j]).ToArray();

    /// <summary>The paper's Figures 2 and 6: each feature in the signal region for the data's background and signal (truth) and the template.</summary>
    private static Figure FeatureFigure(ConradResults r, ConradAnalysis.State st)
    {
        var data = st.Data;
        var template = st.Input.Template;
        double sr = r.Config.Regions.SignalRegion;
        int d = data.D;
        var fig = new Figure(1, d, 320 * d, 320) { Title = $"Features in the signal region (MET ≥ {sr.ToString("G4", Inv)} GeV)" };
        var lines = data.Truth is { } truth
            ? new[]
            {
                (Sample: data, Keep: (Func<int, bool>)(i => data.Met[i] >= sr && truth[i] != 1), Label: "background (data, truth)", Color: Palette.Blue, Style: LineStyle.Solid),
                (Sample: data, Keep: (Func<int, bool>)(i => data.Met[i] >= sr && truth[i] == 1), Label: $"signal ({r.Config.Signal.Text()}, truth)", Color: Palette.Vermillion, Style: LineStyle.Solid),
            }
            : [(Sample: data, Keep: (Func<int, bool>)(i => data.Met[i] >= sr), Label: "data", Color: Palette.Blue, Style: LineStyle.Solid)];
        lines = [.. lines, (template, i => template.Met[i] >= sr, $"template ({r.Config.Template.Text()})", Palette.Black, LineStyle.Dashed)];
        for (int j = 0; j < d; j++)
        {
            var p = fig[0, j];
            var values = lines.Select(l => Column(l.Sample, j, l.Keep)).ToArray();
            var edges = FeatureEdges(r, j, values);
            for (int k = 0; k < lines.Length; k++)
            {
                var (_, _, label, color, style) = lines[k];
                if (values[k].Length > 0) p.Histogram(values[k], edges, j == 0 ? $"{label}, {values[k].Length:N0}" : null, color, normalize: true, style: style);
            }
            p.X.Label = r.Config.Columns.Features[j];
            p.Y.Label = j == 0 ? "density" : null;
            p.Y.Min = 0;
            p.Legend = LegendPosition.Best;
        }
        return fig;
    }

    /// <summary>
    /// The two background processes to overlay: Z(νν)+jets (the generated perfect background, or the data's truth
    /// background) against the γ+jets template; with a Z(νν) template, the data's background against it. Null when
    /// there is nothing to compare (real data without truth and a generated template).
    /// </summary>
    private static (ConradSample A, string ALabel, ConradSample B, string BLabel)? TemplatePair(ConradResults r, ConradAnalysis.State st)
    {
        var input = st.Input;
        var data = st.Data;
        ConradSample? background = input.PerfectBackground
            ?? (data.Truth is { } t ? data.Take(Enumerable.Range(0, data.Rows).Where(i => t[i] != 1).ToArray()) : null);
        string bLabel = r.Config.Template == ConradTemplate.Gamma ? "γ+jets (template)" : "generated Z(νν)+jets (template)";
        if (background is null)
            return r.Config.Template == ConradTemplate.Gamma ? (data, "data (signal included: no truth column)", input.Template, bLabel) : null;
        return (background, input.PerfectBackground is null ? "Z(νν)+jets (the data's truth background)" : "Z(νν)+jets (generated)", input.Template, bLabel);
    }

    /// <summary>The Z(νν) and γ+jets backgrounds overlaid: MET and every feature above the trigger.</summary>
    private static Figure TemplateFigure(ConradResults r, (ConradSample A, string ALabel, ConradSample B, string BLabel) pair)
    {
        int d = pair.A.D;
        double trigger = r.Config.Regions.Trigger;
        var fig = new Figure(1, d + 1, 320 * (d + 1), 320) { Title = $"{pair.ALabel} against {pair.BLabel}" };
        var met = fig[0, 0];
        var metEdges = Enumerable.Range(0, 41).Select(i => trigger + (3 * trigger - trigger) * i / 40.0).ToArray();
        met.Histogram(pair.A.Met, metEdges, pair.ALabel, Palette.Blue, normalize: true);
        met.Histogram(pair.B.Met, metEdges, pair.BLabel, Palette.Black, normalize: true, style: LineStyle.Dashed);
        met.X.Label = $"{r.Config.Columns.Met} (GeV)";
        met.Y.Label = "density";
        met.Legend = LegendPosition.UpperRight;
        for (int j = 0; j < d; j++)
        {
            var p = fig[0, j + 1];
            var a = Column(pair.A, j, _ => true);
            var b = Column(pair.B, j, _ => true);
            var edges = FeatureEdges(r, j, [a, b]);
            p.Histogram(a, edges, null, Palette.Blue, normalize: true);
            p.Histogram(b, edges, null, Palette.Black, normalize: true, style: LineStyle.Dashed);
            p.X.Label = r.Config.Columns.Features[j];
            p.Y.Min = 0;
        }
        return fig;
    }

    private static Figure LatentFigure(ConradResults r, ConradAnalysis.State st)
    {
        var data = st.Data;
        int d = data.D;
        var fig = new Figure(1, d, 320 * d, 320) { Title = "Data latents against N(0, 1)" };
        var edges = Enumerable.Range(0, 41).Select(i => -4 + 0.2 * i).ToArray();
        var centres = edges.Take(40).Select(e => e + 0.1).ToArray();
        for (int j = 0; j < d; j++)
        {
            var p = fig[0, j];
            foreach (var (sr, label, color) in new[] { (false, "control region", Palette.Blue), (true, "signal region", Palette.Vermillion) })
            {
                var z = Enumerable.Range(0, data.Rows).Where(i => (data.Met[i] >= r.Config.Regions.SignalRegion) == sr).Select(i => st.Latent[i * d + j]).ToArray();
                p.Histogram(z, edges, j == 0 ? label : null, color, normalize: true);
            }
            p.Line(centres, centres.Select(v => Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI)).ToArray(), j == 0 ? "N(0, 1)" : null, Palette.Black, LineStyle.Dashed);
            p.X.Label = $"z{j + 1} ({r.Config.Columns.Features[j]})";
            p.Y.Label = j == 0 ? "density" : null;
            p.Y.Min = 0;
            p.Legend = LegendPosition.UpperLeft;
        }
        return fig;
    }

    private static Figure LossFigure(ConradResults r)
    {
        var fig = new Figure(560, 380) { Title = "Flow training (template)" };
        var p = fig.Main;
        foreach (var f in r.Flows)
        {
            var epochs = Enumerable.Range(1, f.TrainLoss.Length).Select(e => (double)e).ToArray();
            string color = Palette.Cycle[f.Member % Palette.Cycle.Count];
            p.Line(epochs, f.TrainLoss, f.Member == 0 ? "training" : null, color);
            p.Line(epochs, f.ValidationLosses, f.Member == 0 ? "validation" : null, color, LineStyle.Dashed);
        }
        p.X.Label = "epoch";
        p.Y.Label = "−log p (standardised)";
        return fig;
    }

    // ------------------------------------------------------------------ markdown

    private static MarkdownReport Markdown(ConradResults r, List<(string File, string Alt, string Caption)> figures)
    {
        var c = r.Config;
        var md = new MarkdownReport().Heading("CONRAD: non-resonant anomaly detection in the MET tail");
        md.Paragraph($"Input: {r.Input}. Preset {r.Preset}, device {r.Device}. {r.DataEvents:N0} data events above the trigger " +
                     $"(MET ≥ {G(c.Regions.Trigger)}), {r.DataSr:N0} in the signal region (MET ≥ {G(c.Regions.SignalRegion)}); {r.TemplateEvents:N0} template events ({c.Template.Text()}).");
        md.Heading("Headline", 2);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, sic) in r.Headline.MaxSicTest)
            rows.Add([$"max SIC, {Styles[name].Label}, independent test set (where ≥ {ConradAnalysis.MinSicBackground} SR background events pass)", G(sic, "F2")]);
        foreach (var (name, sic) in r.Headline.MaxSic)
            rows.Add([$"max SIC, {Styles[name].Label}, the data's SR events (where ≥ {ConradAnalysis.MinSicBackground} SR background events pass)", G(sic, "F2")]);
        rows.Add(["worst closure pull |r − 1|/σ without signal", G(r.Headline.WorstClosurePull, "F2")]);
        rows.Add(["S/√B before the cut (full data)", G(r.Headline.SOverSqrtB[0], "F2")]);
        for (int k = 0; k < c.Statistics.WorkingPoints.Count; k++)
        {
            string f = c.Statistics.WorkingPoints[k].ToString("G3", Inv);
            rows.Add([$"S/√B at FPR {f}", G(r.Headline.SOverSqrtB[k + 1], "F2")]);
            rows.Add([$"observed excess (N_A − N_A,pred)/σ at FPR {f}", G(r.Headline.ObservedZ[k + 1], "F2")]);
        }
        md.Table(["quantity", "value"], rows);
        md.Paragraph($"Classifiers trained by {ConradAnalysis.FoldsText(c.Classifier.Folds)} (classifier.folds = {c.Classifier.Folds}): each fold's events are scored by the " +
                     $"{c.Classifier.Models} models trained on the other folds. Independent test set: {r.TestSet}.");
        bool eq9 = r.Injections.Any(l => l.Points.Any(q => double.IsFinite(q.Ratio)));
        md.Paragraph(eq9
            ? "Closure ratios: r = N_A,pred / N_A,bg is the paper's Eq. 9, the prediction against the true background in A (σ_pred: the prediction's Poisson error on r; " +
              "σ_bg = 1/√N_A,bg: the band around 1); N_A,pred / N_A divides by all events in A, signal included, the only ratio real data allow. Without signal the two agree."
            : "Closure ratio shown: N_A,pred / N_A over all events in A, signal included: the data have no truth column, so the paper's Eq. 9 ratio N_A,pred / N_A,bg cannot be formed.");
        foreach (var (file, alt, caption) in figures) md.Image(file, alt, caption);
        md.Heading("Working points", 2);
        md.Table(["injected", "FPR", "N_A", "N_A,pred", "r = N_A,pred/N_A,bg", "σ_pred", "σ_bg", "N_A,pred/N_A (all)", "σ", "S_A", "B_A", "S/√B", "excess σ"],
            r.Injections.SelectMany(l => ConradAnalysis.WorkingPoints(c, l).Select(p => (IReadOnlyList<string>)
                [l.Injected < 0 ? "–" : l.Injected.ToString(Inv), G(p.Fpr), p.NA.ToString(Inv), G(p.Predicted, "F1"), G(p.Ratio, "F3"), G(p.RatioPredictionError, "F3"),
                 G(p.RatioBackgroundError, "F3"), G(p.RatioAllEvents, "F3"), G(p.RatioAllEventsError, "F3"),
                 G(p.SignalA), G(p.BackgroundA), G(p.SOverSqrtB, "F2"), G(p.ObservedZ, "F2")])));
        md.Heading("Models", 2);
        md.Table(["flow", "best epoch", "validation loss"], r.Flows.Select(f => (IReadOnlyList<string>)[f.Member.ToString(Inv), (f.BestEpoch + 1).ToString(Inv), G(f.ValidationLoss, "F4")]));
        md.Paragraph($"Data latents: mean {string.Join(", ", r.LatentMean.Select(v => G(v, "F3")))}; standard deviation {string.Join(", ", r.LatentStd.Select(v => G(v, "F3")))}.");
        md.Table(["classifier", "separates", "models", "mean iterations", "rows per model"],
            r.Classifiers.Select(s => (IReadOnlyList<string>)[s.Name, s.Description, s.Models.ToString(Inv), G(s.MeanTrees, "F1"), G(s.TrainingRows, "N0")]));
        md.Heading("Wall time", 2);
        md.Table(["stage", "seconds"], r.Seconds.Select(kv => (IReadOnlyList<string>)[kv.Key, G(kv.Value, "F1")]));
        md.Paragraph("Files: results.json (every number), config.yaml (the configuration used), closure.csv (both closure ratios per working point), " +
                     "sic.csv (the test set's and the data's curves), models/ (flows and classifiers, saved as soon as trained).");
        return md;
    }
}
