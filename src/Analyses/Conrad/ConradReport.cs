using System.Globalization;
using FastAD.Analyses.Reports;

namespace FastAD.Analyses.Conrad;

/// <summary>
/// Writes a CONRAD run's outputs: results.json (every number), config.yaml, CSV tables (closure and S/√B per injection,
/// SIC curves), SVG figures in the manner of the paper's Figures 3–5 (SIC curves; closure ratio against FPR with and
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
        if (r.Sic.Length > 0) w.WriteCsv("sic.csv", SicTable(r));
        var figures = new List<(string File, string Alt, string Caption)>();
        if (r.Sic.Length > 0)
            figures.Add((w.WriteFigure("sic.svg", SicFigure(r)), "SIC curves",
                "SIC = ε_S/√ε_B against 1/ε_B on signal-region events (truth labels): supervised, idealised in x and in z, and the realistic CONRAD pipeline (cf. the paper's Figure 3)."));
        figures.Add((w.WriteFigure("closure.svg", ClosureFigure(r)), "ABCD closure",
            "Closure ratio r = N_A,pred / N_A,true against the FPR of the score cut (set on the control region), with the ±1σ and ±2σ Poisson bands expected under closure, without and with signal (cf. Figure 4)."));
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
        var t = new CsvTable("injected", "target_fpr", "cut", "fpr", "n_a", "n_b", "n_c", "n_d", "n_a_pred", "n_a_pred_error", "ratio", "ratio_error",
            "signal_a", "background_a", "s_over_sqrt_b", "observed_z");
        foreach (var level in r.Injections)
            foreach (var p in level.Points)
                t.AddRow(level.Injected, p.TargetFpr, p.Cut, p.Fpr, p.NA, p.NB, p.NC, p.ND, p.Predicted, p.PredictedError, p.Ratio, p.RatioError,
                    p.SignalA, p.BackgroundA, p.SOverSqrtB, p.ObservedZ);
        return t;
    }

    private static CsvTable SicTable(ConradResults r)
    {
        var t = new CsvTable("classifier", "background_efficiency", "signal_efficiency", "sic");
        foreach (var s in r.Sic)
            for (int i = 0; i < s.Sic.Length; i++) t.AddRow(s.Name, s.BackgroundEfficiency[i], s.SignalEfficiency[i], s.Sic[i]);
        return t;
    }

    // ------------------------------------------------------------------ figures

    private static Figure SicFigure(ConradResults r)
    {
        var fig = new Figure(620, 440) { Title = "Significance improvement (signal region, truth labels)" };
        var p = fig.Main;
        foreach (var s in r.Sic)
        {
            var (color, style, label) = Styles[s.Name];
            p.Line(s.BackgroundEfficiency.Select(e => 1 / e).ToArray(), s.Sic, $"{label}: max {s.MaxSic.ToString("F2", Inv)}", color, style, 1.8);
        }
        var grid = r.Sic[0].BackgroundEfficiency;
        p.Line(grid.Select(e => 1 / e).ToArray(), grid.Select(Math.Sqrt).ToArray(), "random", Palette.Grey, LineStyle.Dotted);
        p.X.Scale = AxisScale.Log;
        p.X.Label = "1 / ε_B";
        p.Y.Label = "SIC = ε_S / √ε_B";
        p.Y.Min = 0;
        p.Legend = LegendPosition.UpperLeft;
        return fig;
    }

    private static Figure ClosureFigure(ConradResults r)
    {
        var levels = new List<ConradInjection>();
        if (r.Injections.FirstOrDefault(i => i.Injected == 0) is { } zero) levels.Add(zero);
        if (!levels.Contains(r.Injections[^1])) levels.Add(r.Injections[^1]);
        var fig = new Figure(1, levels.Count, 440 * levels.Count, 380) { Title = "ABCD closure: N_A,pred / N_A,true" };
        for (int k = 0; k < levels.Count; k++)
        {
            var level = levels[k];
            var p = fig[0, k];
            var pts = level.Points.Where(q => q.Fpr > 0 && double.IsFinite(q.RatioError)).ToArray();
            var f = pts.Select(q => q.Fpr).ToArray();
            var s = pts.Select(q => q.RatioError).ToArray();
            p.Band(f, s.Select(e => 1 - 2 * e).ToArray(), s.Select(e => 1 + 2 * e).ToArray(), "±2σ (Poisson)", Palette.Yellow, 0.5);
            p.Band(f, s.Select(e => 1 - e).ToArray(), s.Select(e => 1 + e).ToArray(), "±1σ (Poisson)", Palette.Green, 0.45);
            p.HorizontalLine(1);
            var ok = pts.Where(q => double.IsFinite(q.Ratio)).ToArray();
            p.ErrorBars(ok.Select(q => q.Fpr).ToArray(), ok.Select(q => q.Ratio).ToArray(), ok.Select(q => q.RatioError * q.Ratio).ToArray(), label: "closure r");
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
        foreach (var (name, sic) in r.Headline.MaxSic)
            rows.Add([$"max SIC, {Styles[name].Label} (where ≥ {ConradAnalysis.MinSicBackground} SR background events pass)", G(sic, "F2")]);
        rows.Add(["worst closure pull |r − 1|/σ without signal", G(r.Headline.WorstClosurePull, "F2")]);
        rows.Add(["S/√B before the cut (full data)", G(r.Headline.SOverSqrtB[0], "F2")]);
        for (int k = 0; k < c.Statistics.WorkingPoints.Count; k++)
        {
            string f = c.Statistics.WorkingPoints[k].ToString("G3", Inv);
            rows.Add([$"S/√B at FPR {f}", G(r.Headline.SOverSqrtB[k + 1], "F2")]);
            rows.Add([$"observed excess (N_A − N_A,pred)/σ at FPR {f}", G(r.Headline.ObservedZ[k + 1], "F2")]);
        }
        md.Table(["quantity", "value"], rows);
        foreach (var (file, alt, caption) in figures) md.Image(file, alt, caption);
        md.Heading("Working points", 2);
        md.Table(["injected", "FPR", "N_A", "N_A,pred", "r", "σ_r", "S_A", "B_A", "S/√B", "excess σ"],
            r.Injections.SelectMany(l => ConradAnalysis.WorkingPoints(c, l).Select(p => (IReadOnlyList<string>)
                [l.Injected < 0 ? "–" : l.Injected.ToString(Inv), G(p.Fpr), p.NA.ToString(Inv), G(p.Predicted, "F1"), G(p.Ratio, "F3"), G(p.RatioError, "F3"),
                 G(p.SignalA), G(p.BackgroundA), G(p.SOverSqrtB, "F2"), G(p.ObservedZ, "F2")])));
        md.Heading("Models", 2);
        md.Table(["flow", "best epoch", "validation loss"], r.Flows.Select(f => (IReadOnlyList<string>)[f.Member.ToString(Inv), (f.BestEpoch + 1).ToString(Inv), G(f.ValidationLoss, "F4")]));
        md.Paragraph($"Data latents: mean {string.Join(", ", r.LatentMean.Select(v => G(v, "F3")))}; standard deviation {string.Join(", ", r.LatentStd.Select(v => G(v, "F3")))}.");
        md.Table(["classifier", "separates", "models", "mean iterations", "rows per model"],
            r.Classifiers.Select(s => (IReadOnlyList<string>)[s.Name, s.Description, s.Models.ToString(Inv), G(s.MeanTrees, "F1"), G(s.TrainingRows, "N0")]));
        md.Heading("Wall time", 2);
        md.Table(["stage", "seconds"], r.Seconds.Select(kv => (IReadOnlyList<string>)[kv.Key, G(kv.Value, "F1")]));
        md.Paragraph("Files: results.json (every number), config.yaml (the configuration used), closure.csv, sic.csv, models/ (flows and classifiers, saved as soon as trained).");
        return md;
    }
}
