using System.Globalization;
using FastAD.Analyses.Reports;

namespace FastAD.Analyses.Simad;

/// <summary>
/// Writes a run's outputs: results.json, config.yaml, the null and scan tables (CSV), one figure per loss and signal
/// pool in the manner of the paper's Figures 2–5 (each statistic against the injected signal over the ±1σ/±2σ null
/// bands), a figure of the null distributions, and report.md. Every file is written atomically.
/// </summary>
public static class SimadReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes everything; returns the files written (relative to <paramref name="outDir"/>).</summary>
    public static IReadOnlyList<string> Write(string outDir, SimadResults r)
    {
        using var w = new ReportWriter(outDir);
        w.WriteJson("results.json", r);
        w.WriteText("config.yaml", SimadConfig.ToYaml(r.Config));
        foreach (var n in r.Nulls) w.WriteCsv($"null-{n.Loss}.csv", NullTable(n));
        foreach (var o in r.Observed.Length > 0 ? new[] { ObservedTable(r) } : []) w.WriteCsv("observed.csv", o);
        foreach (var s in r.Scans)
        {
            w.WriteCsv($"scan-{s.Loss}-{Slug(s)}.csv", ScanTable(s));
            w.WriteFigure($"scan-{s.Loss}-{Slug(s)}", ScanFigure(r.Nulls.First(n => n.Loss == s.Loss), s));
        }
        if (r.Scans.Length > 0) w.WriteCsv("crossings.csv", CrossingTable(r));
        w.WriteFigure("null", NullFigure(r));
        w.WriteMarkdown("report.md", Markdown(r));
        w.Commit();
        // The stage tables kept for an interrupted run are now part of the committed set.
        string partial = Path.Combine(outDir, SimadAnalysis.PartialFolder);
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        return w.Written;
    }

    /// <summary>File-name part of a signal pool ("m125" for m_A = 125 GeV, "file" for a file's own signal).</summary>
    public static string Slug(SignalPool pool) => Slug(pool.MassA);

    private static string Slug(ScanResult s) => Slug(s.MassA);

    private static string Slug(double massA) => double.IsNaN(massA) ? "file" : $"m{massA.ToString("G", Inv)}";

    /// <summary>One row per classifier of the null (background-only first).</summary>
    public static CsvTable NullTable(NullResult n)
    {
        var t = new CsvTable(["sample", .. StatisticSet.Names]);
        t.AddRow("background_only", n.BackgroundOnly.MeanLoss, n.BackgroundOnly.MeanScore, n.BackgroundOnly.MaxScore, n.BackgroundOnly.StdScore);
        for (int b = 0; b < n.Bootstraps.Length; b++)
        {
            var s = n.Bootstraps[b];
            t.AddRow($"bootstrap_{b + 1}", s.MeanLoss, s.MeanScore, s.MaxScore, s.StdScore);
        }
        return t;
    }

    /// <summary>One row per injection of a scan.</summary>
    public static CsvTable ScanTable(ScanResult s)
    {
        var t = new CsvTable(["signal_events", "cross_section_fb", "injection", .. StatisticSet.Names]);
        foreach (var p in s.Points)
            for (int i = 0; i < p.Injections.Length; i++)
            {
                var v = p.Injections[i];
                t.AddRow(p.Signal, p.CrossSectionFb, i + 1, v.MeanLoss, v.MeanScore, v.MaxScore, v.StdScore);
            }
        return t;
    }

    private static CsvTable CrossingTable(SimadResults r)
    {
        var t = new CsvTable("loss", "signal", "statistic", "signal_events_at_2sigma", "cross_section_fb_at_2sigma", "beyond_at_lowest");
        foreach (var s in r.Scans)
            foreach (var c in s.Crossings) t.AddRow(s.Loss, s.Pool, c.Statistic, c.Signal, c.CrossSectionFb, c.BeyondAtLowest);
        return t;
    }

    private static CsvTable ObservedTable(SimadResults r)
    {
        var t = new CsvTable("loss", "statistic", "value", "bootstrap_p_value");
        foreach (var o in r.Observed)
            for (int k = 0; k < 4; k++) t.AddRow(o.Loss, StatisticSet.Names[k], o.Statistics[k], o.PValue[k]);
        return t;
    }

    /// <summary>The four statistics of one loss and signal pool against the injected signal, over the null bands.</summary>
    public static Figure ScanFigure(NullResult nul, ScanResult s)
    {
        var fig = new Figure(2, 2, 900, 680) { Title = $"{s.Loss.ToUpperInvariant()} classifier, signal {s.Pool}: statistics against injected signal" };
        var x = s.Points.Select(p => (double)p.Signal).ToArray();
        double lo = x.Min(), hi = x.Max() > lo ? x.Max() : lo + 1;
        var span = new[] { lo, hi };
        for (int k = 0; k < 4; k++)
        {
            var b = nul.Bands[k];
            var p = fig[k / 2, k % 2];
            p.X.Label = "injected signal events";
            p.Y.Label = StatisticSet.Labels[k];
            // One legend (the mean loss panel, whose points fall) keeps the other panels' crossing labels readable.
            p.Legend = k == 0 ? LegendPosition.LowerLeft : LegendPosition.None;
            p.Band(span, [b.Lower2, b.Lower2], [b.Upper2, b.Upper2], "null ±2σ", Palette.Yellow, 0.6);
            p.Band(span, [b.Lower1, b.Lower1], [b.Upper1, b.Upper1], "null ±1σ", Palette.Green, 0.45);
            p.HorizontalLine(b.BackgroundOnly, label: "background only");
            var xs = s.Points.SelectMany(q => q.Injections.Select(_ => (double)q.Signal)).ToArray();
            var ys = s.Points.SelectMany(q => q.Injections.Select(v => v[k])).ToArray();
            p.Scatter(xs, ys, "injections", Palette.SkyBlue, Marker.Circle, 4);
            p.ErrorBars(x, s.Points.Select(q => q.Mean[k]).ToArray(), s.Points.Select(q => q.Std[k]).ToArray(), label: "mean ± sd");
            if (s.Crossings[k].Signal is { } at) p.VerticalLine(at, $"2σ at {at.ToString("G3", Inv)}", color: Palette.Vermillion);
        }
        return fig;
    }

    /// <summary>Histograms of each statistic over the bootstraps, per loss, with the background-only value.</summary>
    public static Figure NullFigure(SimadResults r)
    {
        var fig = new Figure(r.Nulls.Length, 4, 1200, 300 * r.Nulls.Length) { Title = "Bootstrap null distributions (background-only value dashed)" };
        for (int l = 0; l < r.Nulls.Length; l++)
        {
            var n = r.Nulls[l];
            for (int k = 0; k < 4; k++)
            {
                var p = fig[l, k];
                var v = n.Bootstraps.Select(b => b[k]).Append(n.BackgroundOnly[k]).ToArray();
                double min = v.Min(), max = v.Max();
                if (!(max > min)) max = min + 1e-9;
                int bins = Math.Clamp((int)Math.Sqrt(n.Bootstraps.Length) + 1, 3, 30);
                var edges = Enumerable.Range(0, bins + 1).Select(i => min + (max - min) * i / bins).ToArray();
                p.Histogram(n.Bootstraps.Select(b => b[k]).ToArray(), edges, "bootstraps", Palette.Blue, fill: Palette.Blue);
                p.VerticalLine(n.BackgroundOnly[k], label: "background only", color: Palette.Vermillion);
                p.X.Label = StatisticSet.Labels[k];
                p.Y.Label = "bootstraps";
                p.Title = n.Loss.ToUpperInvariant();
                p.Legend = LegendPosition.None;
            }
        }
        return fig;
    }

    private static string G(double v) => double.IsNaN(v) ? "–" : v.ToString("G4", Inv);

    private static MarkdownReport Markdown(SimadResults r)
    {
        var c = r.Config;
        var md = new MarkdownReport().Heading("Simulation-based anomaly detection for multileptons");
        md.Paragraph($"Input: {r.Input}. Preset: {r.Preset}. Device: {r.Device} (networks {r.NetworkPath}). " +
                     $"{r.NetworksTrained:N0} networks trained in {r.Seconds.Values.Sum():F1} s.");
        md.Bullets([
            $"classifier: data (label 1) against simulation (label 0), average of {c.Classifier.Ensemble} MLPs ({string.Join(" × ", c.Classifier.Hidden)} ReLU), " +
            $"{c.Classifier.Epochs} epochs of Adam (learning rate {c.Classifier.LearningRate.ToString("G", Inv)}, batch {c.Classifier.BatchSize}), standardised inputs; losses {string.Join(", ", c.Classifier.Losses.Select(l => l.Text()))}",
            $"held out: {c.Evaluation.TestFraction.ToString("G", Inv)} of the background \"data\" and of the simulation (train {r.Split.BackgroundTrain:N0} + {r.Split.SimulationTrain:N0}, " +
            $"test {r.Split.BackgroundTest:N0} + {r.Split.SimulationTest:N0} events); injected signal is split the same way",
            "statistics on the test events: mean loss over test data and simulation; mean, maximum and standard deviation of the scores of the test data " +
            "(score: sigmoid output for BCE, f = ln(p_data/p_sim) for MLC)",
            $"null: {c.Bootstrap.Samples} bootstrap \"data\" sets (training and test background resampled separately), one classifier each; bands are the 2.3/15.9/84.1/97.7 % quantiles",
            $"injections: {c.Injection.Repeats} independent signal draws per point; {c.Generate.LuminosityFb.ToString("G", Inv)} fb⁻¹ converts events to a cross section",
            .. r.Notes,
        ]);
        md.Heading("Null bands", 2);
        md.Table(["loss", "statistic", "background only", "bootstrap mean", "sd", "−2σ", "−1σ", "+1σ", "+2σ"],
            r.Nulls.SelectMany(n => n.Bands.Select(b => (IReadOnlyList<string>)[n.Loss, b.Statistic, G(b.BackgroundOnly), G(b.Mean), G(b.Std), G(b.Lower2), G(b.Lower1), G(b.Upper1), G(b.Upper2)])));
        if (r.Observed.Length > 0)
        {
            md.Heading("Observed data", 2);
            md.Table(["loss", "statistic", "value", "bootstrap p-value"],
                r.Observed.SelectMany(o => Enumerable.Range(0, 4).Select(k => (IReadOnlyList<string>)[o.Loss, StatisticSet.Names[k], G(o.Statistics[k]), G(o.PValue[k])])));
        }
        if (r.Scans.Length > 0)
        {
            md.Heading("Injected signal at the 2σ band", 2);
            md.Paragraph("Signal events (cross section in fb) at which the mean statistic over injections leaves the 2σ null band on its signal side; – where it never does in the scanned range; \"beyond at the lowest point\" where the lowest scanned amount is already outside (the null then does not describe the background-only classifiers).");
            md.Table(["loss", "signal", .. StatisticSet.Names],
                r.Scans.Select(s => (IReadOnlyList<string>)[s.Loss, s.Pool, .. s.Crossings.Select(x => x.Signal is { } n ? $"{n:F1} ({x.CrossSectionFb!.Value.ToString("G3", Inv)} fb)" : x.BeyondAtLowest ? "beyond at the lowest point" : "–")]));
            md.Heading("Scans", 2);
            foreach (var s in r.Scans)
            {
                md.Heading($"{s.Loss.ToUpperInvariant()}, signal {s.Pool}", 3);
                md.Table(["signal events", "fb", .. StatisticSet.Names.Select(n => $"{n} (p)")],
                    s.Points.Select(p => (IReadOnlyList<string>)[p.Signal.ToString(Inv), G(p.CrossSectionFb), .. Enumerable.Range(0, 4).Select(k => $"{G(p.Mean[k])} ({G(p.PValue[k])})")]));
                md.Image($"scan-{s.Loss}-{Slug(s)}.svg", $"{s.Loss} {s.Pool}", $"{s.Loss.ToUpperInvariant()}, signal {s.Pool}: statistics against injected signal with the null bands.");
            }
        }
        md.Image("null.svg", "null distributions", "Bootstrap distributions of the statistics.");
        md.Heading("Stage times", 2);
        md.Table(["stage", "seconds"], r.Seconds.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("F1", Inv)]));
        return md;
    }
}
