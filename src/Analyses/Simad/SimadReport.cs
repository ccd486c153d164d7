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
            w.WriteFigure($"scan-{s.Loss}-{Slug(s)}", ScanFigure(r.Nulls.First(n => n.Loss == s.Loss), s, r.Config.Injection.DedicatedSearchFb, Classifier(r.Config)));
        }
        if (r.Scans.Length > 0) w.WriteCsv("crossings.csv", CrossingTable(r));
        if (r.Scans.Length > 0 && r.Config.Evaluation.PValue != SimadPValueKind.Bootstrap) w.WriteCsv("p-values.csv", PValueTable(r));
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
        var t = new CsvTable("loss", "signal", "statistic", "signal_events_at_2sigma", "cross_section_fb_at_2sigma", "beyond_at_lowest", "dedicated_search_fb");
        foreach (var s in r.Scans)
            foreach (var c in s.Crossings) t.AddRow(s.Loss, s.Pool, c.Statistic, c.Signal, c.CrossSectionFb, c.BeyondAtLowest, r.Config.Injection.DedicatedSearchFb);
        return t;
    }

    /// <summary>One row per scan point and statistic: the mean, its bootstrap and asymptotic p-values and where they disagree.</summary>
    public static CsvTable PValueTable(SimadResults r)
    {
        var t = new CsvTable("loss", "signal", "signal_events", "cross_section_fb", "statistic", "mean", "bootstrap_p_value", "asymptotic_p_value", "disagreement");
        foreach (var s in r.Scans)
            foreach (var p in s.Points)
                for (int k = 0; k < 4; k++)
                    t.AddRow(s.Loss, s.Pool, p.Signal, p.CrossSectionFb, StatisticSet.Names[k], p.Mean[k], p.PValue[k], p.AsymptoticPValue?[k] ?? double.NaN,
                        p.AsymptoticPValue is { } a ? SimadAnalysis.Disagreement(p.PValue[k], a[k], r.Config.Bootstrap.Samples) ?? "" : "");
        return t;
    }

    private static CsvTable ObservedTable(SimadResults r)
    {
        var t = new CsvTable("loss", "statistic", "value", "bootstrap_p_value", "asymptotic_p_value");
        foreach (var o in r.Observed)
            for (int k = 0; k < 4; k++) t.AddRow(o.Loss, StatisticSet.Names[k], o.Statistics[k], o.PValue[k], o.AsymptoticPValue?[k] ?? double.NaN);
        return t;
    }

    /// <summary>
    /// The paper's Fig. 1 layout for one loss and signal pool: each statistic (a row) against the injected cross section in fb over
    /// the ±1σ/±2σ null bands, the whole scan on the left and zoomed on the lowest injections on the right, with the dedicated
    /// search's limit (<paramref name="dedicatedFb"/>) and the 2σ crossing (in fb) drawn.
    /// </summary>
    public static Figure ScanFigure(NullResult nul, ScanResult s, double dedicatedFb = 0.04, string classifier = "")
    {
        var fig = new Figure(4, 2, 980, 1180) { Title = $"{classifier}{s.Loss.ToUpperInvariant()} statistics, signal {s.Pool}, against the injected cross section" };
        var x = s.Points.Select(p => p.CrossSectionFb).ToArray();
        double lo = Math.Min(0, x.Min()), hi = x.Max() > lo ? x.Max() : lo + 1;
        // The zoom: up to the third scan point (the lowest two non-zero injections), at least past the dedicated search's limit.
        double zoom = Math.Max(x.Length > 2 ? x.Order().ElementAt(2) : hi, 1.5 * dedicatedFb);
        zoom = Math.Min(Math.Max(zoom, 1.5 * dedicatedFb), Math.Max(hi, 1.5 * dedicatedFb));
        for (int k = 0; k < 4; k++)
        {
            var b = nul.Bands[k];
            for (int col = 0; col < 2; col++)
            {
                double right = col == 0 ? Math.Max(hi, 1.5 * dedicatedFb) : zoom;
                var span = new[] { lo, right };
                var p = fig[k, col];
                p.X.Label = "injected cross section (fb)";
                p.Y.Label = StatisticSet.Labels[k];
                p.Title = col == 0 ? null : "zoom";
                // One legend (the mean loss panel, whose points fall) keeps the other panels' crossing labels readable.
                p.Legend = k == 0 && col == 0 ? LegendPosition.LowerLeft : LegendPosition.None;
                p.Band(span, [b.Lower2, b.Lower2], [b.Upper2, b.Upper2], "null ±2σ", Palette.Yellow, 0.6);
                p.Band(span, [b.Lower1, b.Lower1], [b.Upper1, b.Upper1], "null ±1σ", Palette.Green, 0.45);
                p.HorizontalLine(b.BackgroundOnly, label: "background only");
                var shown = s.Points.Where(q => q.CrossSectionFb <= right * (1 + 1e-9)).ToArray();
                var xs = shown.SelectMany(q => q.Injections.Select(_ => q.CrossSectionFb)).ToArray();
                var ys = shown.SelectMany(q => q.Injections.Select(v => v[k])).ToArray();
                p.Scatter(xs, ys, "injections", Palette.SkyBlue, Marker.Circle, 4);
                p.ErrorBars(shown.Select(q => q.CrossSectionFb).ToArray(), shown.Select(q => q.Mean[k]).ToArray(), shown.Select(q => q.Std[k]).ToArray(), label: "mean ± sd");
                p.VerticalLine(dedicatedFb, col == 1 ? $"dedicated {dedicatedFb.ToString("G3", Inv)} fb" : null, label: "dedicated search", color: Palette.Purple, style: LineStyle.Dotted);
                if (s.Crossings[k].CrossSectionFb is { } at && at <= right)
                    p.VerticalLine(at, $"2σ at {at.ToString("G3", Inv)} fb", color: Palette.Vermillion);
                // A little room either side, so the points at zero and at the range's end are drawn whole.
                p.X.Min = lo - 0.03 * (right - lo);
                p.X.Max = right + 0.03 * (right - lo);
                if (col == 1)
                {
                    // The zoom's own y range: the bands and the points it shows.
                    var v = ys.Concat(shown.Select(q => q.Mean[k] - q.Std[k])).Concat(shown.Select(q => q.Mean[k] + q.Std[k])).Concat([b.Lower2, b.Upper2, b.BackgroundOnly])
                        .Where(double.IsFinite).ToArray();
                    if (v.Length > 0 && v.Max() > v.Min())
                    {
                        p.Y.Min = v.Min();
                        p.Y.Max = v.Max();
                    }
                }
            }
        }
        return fig;
    }

    private static string Classifier(SimadConfig c) => c.Classifier.Kind == SimadClassifierKind.Bdt ? "BDT, " : "";

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

    private static string PLabel(SimadConfig c) => c.Evaluation.PValue switch
    {
        SimadPValueKind.Bootstrap => "bootstrap p",
        SimadPValueKind.Asymptotic => "asymptotic p",
        _ => "bootstrap p / asymptotic p",
    };

    private static string Ps(SimadConfig c, double bootstrap, double? asymptotic) => c.Evaluation.PValue switch
    {
        SimadPValueKind.Bootstrap => G(bootstrap),
        SimadPValueKind.Asymptotic => G(asymptotic ?? double.NaN),
        _ => $"{G(bootstrap)} / {G(asymptotic ?? double.NaN)}" +
             (asymptotic is { } a && SimadAnalysis.Disagreement(bootstrap, a, c.Bootstrap.Samples) is { } why ? $", disagree: {why}" : ""),
    };

    private static MarkdownReport Markdown(SimadResults r)
    {
        var c = r.Config;
        var md = new MarkdownReport().Heading("Simulation-based anomaly detection for multileptons");
        bool bdt = c.Classifier.Kind == SimadClassifierKind.Bdt;
        string models = bdt ? "BDTs" : "networks";
        md.Paragraph($"Input: {r.Input}. Preset: {r.Preset}. Device: {r.Device} ({models} {r.NetworkPath}). " +
                     $"{r.NetworksTrained:N0} {models} trained in {r.Seconds.Values.Sum():F1} s.");
        var b = c.Classifier.Bdt;
        md.Bullets([
            bdt
                ? $"classifier: data (label 1, weighted to the simulation's total) against simulation (label 0), average of {c.Classifier.Ensemble} boosted decision trees " +
                  $"(depth-wise, depth {b.MaxDepth}, at most {b.MaxRounds} rounds of learning rate {b.LearningRate.ToString("G", Inv)}, row subsample {b.Subsample.ToString("G", Inv)}, " +
                  $"early stopping after {b.Patience} rounds on {c.Classifier.BdtValidationFraction.ToString("G", Inv)} of the training events). The statistics of the BDT: " +
                  "f(x) = the log-odds of the members' mean probability, an estimate of ln(p_data/p_sim); \"bce\" = the BCE loss of the probability sigmoid(f) and scores sigmoid(f); " +
                  "\"mlc\" = the MLC loss −f (data), e^f − 1 (simulation) evaluated with that f and scores f. The trees are trained on the logistic loss for both."
                : $"classifier: data (label 1) against simulation (label 0), average of {c.Classifier.Ensemble} MLPs ({string.Join(" × ", c.Classifier.Hidden)} ReLU), " +
                  $"{c.Classifier.Epochs} epochs of Adam (learning rate {c.Classifier.LearningRate.ToString("G", Inv)}, batch {c.Classifier.BatchSize}), standardised inputs; losses {string.Join(", ", c.Classifier.Losses.Select(l => l.Text()))}",
            $"held out: {c.Evaluation.TestFraction.ToString("G", Inv)} of the background \"data\" and of the simulation (train {r.Split.BackgroundTrain:N0} + {r.Split.SimulationTrain:N0}, " +
            $"test {r.Split.BackgroundTest:N0} + {r.Split.SimulationTest:N0} events); injected signal is split the same way",
            "statistics on the test events: mean loss over test data and simulation; mean, maximum and standard deviation of the scores of the test data " +
            "(score: sigmoid output for BCE, f = ln(p_data/p_sim) for MLC)",
            $"null: {c.Bootstrap.Samples} bootstrap \"data\" sets (training and test background resampled separately), one classifier each; bands are the 2.3/15.9/84.1/97.7 % quantiles",
            $"injections: {c.Injection.Repeats} independent signal draws per point; σ = injected events / (L × ε) with L = {r.LuminosityFb.ToString("G4", Inv)} fb⁻¹ " +
            $"(the luminosity the background stands for) and selection efficiency ε = {c.Injection.SelectionEfficiency.ToString("G", Inv)}; the dedicated search's limit, " +
            $"{c.Injection.DedicatedSearchFb.ToString("G3", Inv)} fb (SPEC 3), is drawn for comparison",
            $"p-values: {c.Evaluation.PValue.Text()}" + (c.Evaluation.PValue == SimadPValueKind.Bootstrap ? " (the fraction of bootstrap classifiers at least as extreme, floor 1/(N + 1))"
                : " (asymptotic: the statistic taken as Gaussian with the bootstrap mean and sd, p = 1 − Φ(z), the one-sided χ²₁ tail; " +
                  "it reaches below the bootstrap's floor but assumes a Gaussian null, which the max score and the MLC losses are not)"),
            .. r.Notes,
        ]);
        md.Heading("Null bands", 2);
        md.Table(["loss", "statistic", "background only", "bootstrap mean", "sd", "−2σ", "−1σ", "+1σ", "+2σ"],
            r.Nulls.SelectMany(n => n.Bands.Select(b => (IReadOnlyList<string>)[n.Loss, b.Statistic, G(b.BackgroundOnly), G(b.Mean), G(b.Std), G(b.Lower2), G(b.Lower1), G(b.Upper1), G(b.Upper2)])));
        if (r.Observed.Length > 0)
        {
            md.Heading("Observed data", 2);
            md.Table(["loss", "statistic", "value", $"p-value ({PLabel(c)})"],
                r.Observed.SelectMany(o => Enumerable.Range(0, 4).Select(k => (IReadOnlyList<string>)[o.Loss, StatisticSet.Names[k], G(o.Statistics[k]), Ps(c, o.PValue[k], o.AsymptoticPValue?[k])])));
        }
        if (r.Scans.Length > 0)
        {
            md.Heading("Injected signal at the 2σ band", 2);
            md.Paragraph($"Cross section in fb (injected events) at which the mean statistic over injections leaves the 2σ null band on its signal side; – where it never does in the scanned range; \"beyond at the lowest point\" where the lowest scanned amount is already outside (the null then does not describe the background-only classifiers). The dedicated search reaches {c.Injection.DedicatedSearchFb.ToString("G3", Inv)} fb; the paper's classifiers about 0.4 fb (m_A = 250 GeV) and 0.8–1.2 fb (125, 150 GeV).");
            md.Table(["loss", "signal", .. StatisticSet.Names],
                r.Scans.Select(s => (IReadOnlyList<string>)[s.Loss, s.Pool, .. s.Crossings.Select(x => x.Signal is { } n ? $"{x.CrossSectionFb!.Value.ToString("G3", Inv)} fb ({n:F1})" : x.BeyondAtLowest ? "beyond at the lowest point" : "–")]));
            if (c.Evaluation.PValue == SimadPValueKind.Both)
            {
                var disagree = r.Scans.SelectMany(s => s.Points.SelectMany(p => Enumerable.Range(0, 4)
                    .Select(k => (s, p, k, why: SimadAnalysis.Disagreement(p.PValue[k], p.AsymptoticPValue![k], c.Bootstrap.Samples)))))
                    .Where(t => t.why is not null).ToArray();
                md.Paragraph(disagree.Length == 0
                    ? "Bootstrap and asymptotic p-values agree on which side of 2σ every scan point's mean lies."
                    : $"Bootstrap and asymptotic p-values disagree on the side of 2σ at {disagree.Length} of {r.Scans.Sum(s => s.Points.Length) * 4} scan-point statistics: " +
                      string.Join("; ", disagree.Select(t => $"{t.s.Loss} {t.s.Pool} {StatisticSet.Names[t.k]} at {G(t.p.CrossSectionFb)} fb ({t.why})")) + " (p-values.csv has every one).");
            }
            md.Heading("Scans", 2);
            foreach (var s in r.Scans)
            {
                md.Heading($"{s.Loss.ToUpperInvariant()}, signal {s.Pool}", 3);
                md.Table(["signal events", "fb", .. StatisticSet.Names.Select(n => $"{n} ({PLabel(c)})")],
                    s.Points.Select(p => (IReadOnlyList<string>)[p.Signal.ToString(Inv), G(p.CrossSectionFb), .. Enumerable.Range(0, 4).Select(k => $"{G(p.Mean[k])} ({Ps(c, p.PValue[k], p.AsymptoticPValue?[k])})")]));
                md.Image($"scan-{s.Loss}-{Slug(s)}.svg", $"{s.Loss} {s.Pool}", $"{s.Loss.ToUpperInvariant()}, signal {s.Pool}: statistics against the injected cross section (fb) with the null bands, whole scan and zoom, the dedicated search's limit dotted.");
            }
        }
        md.Image("null.svg", "null distributions", "Bootstrap distributions of the statistics.");
        md.Heading("Stage times", 2);
        md.Table(["stage", "seconds"], r.Seconds.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("F1", Inv)]));
        return md;
    }
}
