using System.Globalization;
using FastAD.Analyses.Reports;
using MathNet.Numerics.Distributions;

namespace FastAD.Analyses.Cathode;

/// <summary>A tail fraction of the null distribution beside the asymptotic ½δ(0) + ½χ²₁ law.</summary>
public sealed record TailRow(string Quantity, double Fraction, double Error, double Asymptotic, double Pull);

/// <summary>A quantile of the null distribution beside the asymptotic law and the published value.</summary>
public sealed record QuantileRow(double Level, double Value, double Error, double Asymptotic, double? Published);

/// <summary>The merged null distribution of one significance (the reweighted Z, or cut-and-count at one FPR).</summary>
public sealed record NullSummary(string Name, int Count, TailRow[] Tails, QuantileRow[] Quantiles);

/// <summary>
/// The spread of a significance over bootstrap pseudoexperiments: its statistical uncertainty (mean, standard deviation,
/// 16/50/84% quantiles).
/// </summary>
public sealed record SpreadRow(string Name, int Count, double Mean, double Sd, double Q16, double Median, double Q84);

/// <summary>The merged bootstrap distribution (bootstrap-distribution.json).</summary>
public sealed record BootstrapDistribution(PseudoHeader Header, int Results, int[] Missing, SpreadRow[] Spread);

/// <summary>The merged null distribution (null-distribution.json): independent of how the study was sharded.</summary>
public sealed record NullDistribution(PseudoHeader Header, int Results, int[] Missing, NullSummary Reweighted, NullSummary MaxOverScan, NullSummary[] PerFpr);

/// <summary>What <c>fastad merge</c> found and wrote.</summary>
/// <remarks>
/// Null pseudoexperiments are compared with the asymptotic law (<see cref="Reweighted"/>, <see cref="MaxOverScan"/>,
/// <see cref="PerFpr"/>); bootstrap pseudoexperiments measure the spread of the observed significances (<see cref="Spread"/>).
/// </remarks>
public sealed record MergeReport(PseudoHeader Header, int Files, int Results, int[] Missing, NullSummary Reweighted, NullSummary MaxOverScan,
    NullSummary[] PerFpr, SpreadRow[] Spread, IReadOnlyList<string> Written)
{
    /// <summary>Whether these are bootstrap pseudoexperiments (a spread, not a null distribution).</summary>
    public bool IsBootstrap => Header.Mode == "bootstrap";
}

/// <summary>
/// Combines shard files of pseudoexperiments (checking that they share a configuration, with no duplicates, reporting gaps)
/// and compares the null distribution of Z with the asymptotic ½δ(0) + ½χ²₁ law for q0. The merged table is sorted by
/// index, so whatever the shard count the merged outputs are the same bytes.
/// </summary>
public static class PseudoMerge
{
    /// <summary>The published null quantiles of the reweighted Z over 1000 pseudoexperiments (SPEC 1.6).</summary>
    public static readonly (double Level, double Z)[] Published = [(0.5, 0.14), (0.84, 1.39), (0.975, 2.67)];

    /// <summary>Every shard file under the inputs (folders are searched for pseudo/*.jsonl and *.jsonl).</summary>
    public static string[] Files(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (File.Exists(input)) files.Add(input);
            else if (Directory.Exists(input))
            {
                var found = Directory.GetFiles(input, "*.jsonl").Concat(Directory.Exists(Path.Combine(input, "pseudo")) ? Directory.GetFiles(Path.Combine(input, "pseudo"), "*.jsonl") : []).ToArray();
                if (found.Length == 0) throw new FileNotFoundException($"{input} holds no pseudoexperiment results (*.jsonl or pseudo/*.jsonl).");
                files.AddRange(found);
            }
            else throw new FileNotFoundException($"{input} does not exist.", input);
        }
        return files.Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Reads, checks and merges; writes the merged table, the summary and the figure to <paramref name="outDir"/>.</summary>
    public static MergeReport Merge(IEnumerable<string> inputs, string outDir)
    {
        var files = Files(inputs);
        if (files.Length == 0) throw new ArgumentException("merge: name at least one folder or results file.");
        var (h, results) = ShardLog.ReadAll<PseudoHeader, PseudoResult>(files);
        var missing = Enumerable.Range(0, h.Count).Where(j => !results.ContainsKey(j)).ToArray();
        var all = results.Values.ToArray();
        if (all.Length == 0) throw new InvalidDataException("The shard files hold no finished pseudoexperiments yet.");
        var rw = Summarise("reweighted Z", all.Select(r => r.ReweightedZ).ToArray(), withPublished: true);
        var max = Summarise("max cut-and-count Z over the FPR scan", all.Select(r => r.Z.Max()).ToArray(), withPublished: false);
        var perFpr = h.Fprs.Select((f, i) => Summarise($"cut-and-count Z at FPR {f.ToString("G3", CultureInfo.InvariantCulture)}", all.Select(r => r.Z[i]).ToArray(), false)).ToArray();

        // The folder may hold the main run's outputs too: the merge keeps its own manifest.
        using var writer = new ReportWriter(outDir, "merge-manifest.json");
        var table = new CsvTable(new[] { "index", "events", "initial_z", "mu", "reweighted_z" }.Concat(h.Fprs.Select(f => $"z_fpr_{f.ToString("G3", CultureInfo.InvariantCulture)}")).ToArray());
        foreach (var r in all) table.AddRow(new object?[] { r.Index, r.Events, r.InitialZ, r.Mu, r.ReweightedZ }.Concat(r.Z.Cast<object?>()).ToArray());
        writer.WriteCsv("pseudo-merged.csv", table);
        var spread = new[]
        {
            Spread("initial Z (no cut)", all.Select(r => r.InitialZ).ToArray()),
            Spread("reweighted Z", all.Select(r => r.ReweightedZ).ToArray()),
            Spread("max cut-and-count Z over the FPR scan", all.Select(r => r.Z.Max()).ToArray()),
        };
        var report = new MergeReport(h with { ShardIndex = 0, ShardCount = 1 }, files.Length, all.Length, missing, rw, max, perFpr, spread, writer.Written);
        if (report.IsBootstrap)
        {
            writer.WriteJson("bootstrap-distribution.json", new BootstrapDistribution(report.Header, report.Results, missing, spread));
            writer.WriteFigure("bootstrap-distribution", BootstrapFigure(all));
        }
        else
        {
            writer.WriteJson("null-distribution.json", new NullDistribution(report.Header, report.Results, missing, rw, max, perFpr));
            writer.WriteFigure("null-distribution", Figure(rw, all.Select(r => r.ReweightedZ).ToArray(), h));
        }
        writer.Commit();
        return report with { Written = writer.Written };
    }

    /// <summary>Mean, standard deviation and 16/50/84% quantiles of one significance over the pseudoexperiments.</summary>
    public static SpreadRow Spread(string name, double[] z)
    {
        var sorted = z.Order().ToArray();
        double mean = z.Average();
        double sd = z.Length > 1 ? Math.Sqrt(z.Sum(v => (v - mean) * (v - mean)) / (z.Length - 1)) : double.NaN;
        return new SpreadRow(name, z.Length, mean, sd, Quantile(sorted, 0.16), Quantile(sorted, 0.5), Quantile(sorted, 0.84));
    }

    private static Figure BootstrapFigure(PseudoResult[] all)
    {
        var fig = new Figure(640, 440) { Title = $"Significances over {all.Length} bootstrap pseudoexperiments" };
        var p = fig.Main;
        var series = new (string Name, double[] Z, string Colour)[]
        {
            ("initial Z (no cut)", all.Select(r => r.InitialZ).ToArray(), Palette.Blue),
            ("reweighted Z", all.Select(r => r.ReweightedZ).ToArray(), Palette.Vermillion),
            ("max cut-and-count Z", all.Select(r => r.Z.Max()).ToArray(), Palette.Green),
        };
        double top = Math.Max(1, Math.Ceiling(series.Max(x => x.Z.Max()) + 0.5));
        int bins = 30;
        var edges = Enumerable.Range(0, bins + 1).Select(i => top * i / bins).ToArray();
        var centres = edges.Zip(edges.Skip(1), (a, b) => (a + b) / 2).ToArray();
        foreach (var (name, z, colour) in series)
        {
            var counts = Panel.Count(z, edges);
            p.Line(centres, counts.Select(c => (double)c).ToArray(), name, colour);
        }
        p.X.Label = "Z [σ]";
        p.Y.Label = $"pseudoexperiments per {(top / bins).ToString("G2", CultureInfo.InvariantCulture)} σ";
        p.Legend = LegendPosition.UpperRight;
        return fig;
    }

    /// <summary>Tail fractions at Z ≥ 0⁺, 1, 2, 3 and quantiles at 50, 84, 97.5% against the asymptotic law.</summary>
    public static NullSummary Summarise(string name, double[] z, bool withPublished)
    {
        int n = z.Length;
        var tails = new List<TailRow>();
        void Tail(string q, Func<double, bool> pass, double asymptotic)
        {
            double f = z.Count(pass) / (double)n;
            double err = Math.Sqrt(asymptotic * (1 - asymptotic) / n);
            tails.Add(new TailRow(q, f, Math.Sqrt(Math.Max(f * (1 - f), 1.0 / n) / n), asymptotic, err > 0 ? (f - asymptotic) / err : 0));
        }
        Tail("Z > 0", v => v > 0, 0.5);
        foreach (int k in new[] { 1, 2, 3 }) Tail($"Z ≥ {k}", v => v >= k, 1 - Normal.CDF(0, 1, k));
        var sorted = z.Order().ToArray();
        var quantiles = new[] { 0.5, 0.84, 0.975 }.Select(level =>
        {
            double value = Quantile(sorted, level);
            // Order-statistic error: the spread of the quantile from the binomial spread of the level, through the empirical CDF.
            double dl = Math.Sqrt(level * (1 - level) / n);
            double err = (Quantile(sorted, Math.Min(1, level + dl)) - Quantile(sorted, Math.Max(0, level - dl))) / 2;
            // ½δ(0) + ½χ²₁ for q0 means P(Z ≥ z) = 1 − Φ(z) for z > 0, and Z = 0 with probability ½.
            double asymptotic = level <= 0.5 ? 0 : Normal.InvCDF(0, 1, level);
            double? published = withPublished ? Published.FirstOrDefault(p => p.Level == level).Z : null;
            return new QuantileRow(level, value, err, asymptotic, published);
        }).ToArray();
        return new NullSummary(name, n, tails.ToArray(), quantiles);
    }

    private static double Quantile(double[] sorted, double level)
    {
        if (sorted.Length == 0) return double.NaN;
        double pos = level * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static Figure Figure(NullSummary s, double[] z, PseudoHeader h)
    {
        var fig = new Figure(640, 440) { Title = $"Null distribution of the {s.Name} ({z.Length} {h.Mode} pseudoexperiments)" };
        var p = fig.Main;
        double top = Math.Max(4, Math.Ceiling(z.Max()));
        int bins = 20;
        var edges = Enumerable.Range(0, bins + 1).Select(i => top * i / bins).ToArray();
        // Z > 0 only: the Z = 0 spike (the δ(0) half) is reported as a fraction in the text.
        var positive = z.Where(v => v > 0).ToArray();
        var counts = Panel.Count(positive, edges);
        double width = top / bins;
        var density = counts.Select(cnt => cnt / (z.Length * width)).ToArray();
        var errors = counts.Select(cnt => Math.Sqrt(cnt) / (z.Length * width)).ToArray();
        var centres = edges.Zip(edges.Skip(1), (a, b) => (a + b) / 2).ToArray();
        p.ErrorBars(centres, density, errors, centres.Select(_ => width / 2).ToArray(), "pseudoexperiments (Z > 0)");
        var xs = Enumerable.Range(1, 200).Select(i => top * i / 200).ToArray();
        p.Line(xs, xs.Select(x => Normal.PDF(0, 1, x)).ToArray(), "asymptotic ½χ²₁ (density of Z > 0)", Palette.Vermillion);
        p.Y.Scale = AxisScale.Log;
        p.X.Label = "Z [σ]";
        p.Y.Label = "probability density";
        double zero = 1 - s.Tails[0].Fraction;
        p.Text(0.03, 0.06, $"Z = 0: {zero.ToString("F3", CultureInfo.InvariantCulture)} (asymptotic 0.5)", anchor: TextAnchor.Start, fontSize: 12);
        p.Legend = LegendPosition.UpperRight;
        return fig;
    }
}
