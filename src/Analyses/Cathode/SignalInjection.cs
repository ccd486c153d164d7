using System.Globalization;
using FastAD.Analyses.Reports;
using FastAD.Data.Synthetic;
using FastAD.Kernels.Random;

namespace FastAD.Analyses.Cathode;

/// <summary>One method at one injected signal count.</summary>
/// <param name="Method">The method (SPEC 6).</param>
/// <param name="MaxZ">The largest cut-and-count Z over the FPR scan.</param>
/// <param name="BestFpr">The target FPR of that Z.</param>
/// <param name="ReweightedZ">The likelihood-reweighted Z, or null where the fit has none.</param>
/// <param name="MaxSic">The maximum SIC (working points with at least 100 SR background events), NaN without signal.</param>
/// <param name="TruthAuc">AUC of true signal against background in the SR, NaN without signal.</param>
public sealed record InjectionMethodPoint(string Method, double MaxZ, double BestFpr, double? ReweightedZ, double MaxSic, double TruthAuc);

/// <summary>The analysis at one injected signal count.</summary>
/// <param name="Injected">Signal events mixed into the data (all bands).</param>
/// <param name="SignalInSr">Of them (and of the data's own true signal), those in the SR.</param>
/// <param name="BackgroundInSr">True background events in the SR.</param>
/// <param name="InitialZ">The bump hunt without a cut.</param>
/// <param name="Folder">The run's own output folder (its whole CATHODE report), relative to the study's.</param>
/// <param name="Methods">Every method's numbers.</param>
public sealed record InjectionPoint(int Injected, int SignalInSr, int BackgroundInSr, double InitialZ, string Folder, InjectionMethodPoint[] Methods)
{
    /// <summary>S/B in the SR.</summary>
    public double SOverB => BackgroundInSr > 0 ? (double)SignalInSr / BackgroundInSr : double.NaN;

    /// <summary>S/√B in the SR.</summary>
    public double SOverSqrtB => BackgroundInSr > 0 ? SignalInSr / Math.Sqrt(BackgroundInSr) : double.NaN;
}

/// <summary>A signal-injection study (the CATHODE paper's signal-injection figure): the same analysis at several injected counts.</summary>
/// <param name="Signal">Where the injected signal came from.</param>
/// <param name="Background">What it was mixed into.</param>
/// <param name="Seed">The seed of the mixing permutation of a signal file, or null for the generator's signal (its first rows).</param>
/// <param name="DataTruth">Whether the data had a truth column (without one, its events all count as background).</param>
/// <param name="Points">One per count, ascending.</param>
public sealed record InjectionStudy(string Signal, string Background, ulong? Seed, bool DataTruth, InjectionPoint[] Points);

/// <summary>
/// Signal injection (SPEC 6, issue 18 item 3): the data (with --generate a background-only sample of the generator) with
/// the first N events of a fixed-seed permutation of a signal sample mixed in, for each N of the list; the samples are
/// nested (a larger N contains the events of a smaller one), so the curves against S/B are not scattered by which
/// events were drawn. Every count runs the whole chain of <see cref="CathodeAnalysis"/> (flows, classifiers,
/// statistics: the flows see the injected signal that leaks into the sidebands) in its own folder.
/// </summary>
public static class SignalInjection
{
    /// <summary>The stream of the mixing permutation.</summary>
    private const ulong MixStream = 0x1_0000_0F11;

    /// <summary>Counts from the option's text: non-negative integers, comma-separated, at least one; returned ascending and distinct.</summary>
    public static int[] ParseCounts(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("--inject expects signal counts separated by commas, e.g. --inject 0,50,100,200,400.");
        var counts = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 0)
                throw new ArgumentException($"--inject expects non-negative whole numbers of signal events separated by commas, e.g. --inject 0,50,100 (got '{p}').");
            counts.Add(n);
        }
        return counts.Distinct().Order().ToArray();
    }

    /// <summary>
    /// With --generate: the searched channel's background alone (the channel's size less the default signal, so that the
    /// default count reproduces the default sample's composition) and a signal-only sample of <paramref name="maxSignal"/>
    /// events, each from its own stream.
    /// </summary>
    public static (CathodeChannelData Background, CathodeChannelData Signal) Generate(CathodeConfig c, int maxSignal)
    {
        bool os = c.Channel == DimuonChannel.OS;
        int background = os ? DimuonGenerator.OsEvents - DimuonGenerator.OsSignalEvents : DimuonGenerator.SsEvents;
        ulong bSeed = c.Seed + 4_000_037, sSeed = c.Seed + 5_000_011;
        var b = DimuonGenerator.Generate(new DimuonOptions(c.Channel, background, SignalFraction: 0, Seed: bSeed));
        var s = DimuonGenerator.GenerateSignal(c.Channel, Math.Max(1, maxSignal), sSeed);
        return (CathodeInput.FromTable(b, c.Channel, $"generated background-only {c.Channel} sample (seed {bSeed})", c),
                CathodeInput.FromTable(s, c.Channel, $"generated signal-only {c.Channel} sample (seed {sSeed})", c));
    }

    /// <summary>
    /// A --signal file as the injected sample: every row is injected as signal, so a truth column that marks some rows
    /// as background is refused (a mixed sample would inject background and count it as signal).
    /// </summary>
    public static CathodeChannelData SignalFile(CathodeChannelData signal)
    {
        if (signal.Truth is { } t && t.Count(v => v != 1) is int background and > 0)
            throw new ArgumentException($"{signal.Source}: {background:N0} of its {signal.Rows:N0} rows have truth ≠ 1; --signal must hold signal events only " +
                                        "(every row is injected as signal). Select the signal rows first (e.g. `fastad convert --where`).");
        return signal;
    }

    /// <summary>Refuses a signal sample with too few events for the largest count.</summary>
    public static void Check(CathodeChannelData data, CathodeChannelData signal, int[] counts)
    {
        if (counts[^1] > signal.Rows)
            throw new ArgumentException($"{signal.Source}: --inject asks for {counts[^1]:N0} signal events but the signal sample has {signal.Rows:N0}; " +
                                        "give a larger --signal file or smaller counts.");
    }

    /// <summary>
    /// The data with <paramref name="count"/> events of <paramref name="signal"/> appended: the first of its seeded
    /// permutation when <paramref name="shuffle"/> (a file, whose order may be sorted), else its first rows (the
    /// generator's independent draws: the same rows whatever the pool's size, so a count's events do not depend on the
    /// other counts of the study). Truth: the data's own (0 where it has none: injection into data is read as injection
    /// into background) and 1 for the injected events.
    /// </summary>
    public static CathodeChannelData Mix(CathodeChannelData data, CathodeChannelData signal, int count, ulong seed, bool shuffle = true)
    {
        var order = shuffle ? Permutation(signal.Rows, seed) : Enumerable.Range(0, signal.Rows).ToArray();
        int n = data.Rows, d = data.D;
        var mass = new double[n + count];
        var features = new double[(n + count) * d];
        var truth = new double[n + count];
        Array.Copy(data.Mass, mass, n);
        Array.Copy(data.Features, features, n * d);
        if (data.Truth is not null) Array.Copy(data.Truth, truth, n);
        for (int k = 0; k < count; k++)
        {
            int r = order[k];
            mass[n + k] = signal.Mass[r];
            Array.Copy(signal.Features, r * d, features, (n + k) * d, d);
            truth[n + k] = 1;
        }
        return new CathodeChannelData(data.Channel, $"{data.Source} + {count:N0} signal events from {signal.Source}", mass, features, data.FeatureNames, truth);
    }

    /// <summary>A Fisher–Yates permutation of 0..n-1 from Philox uniforms of <paramref name="seed"/>.</summary>
    private static int[] Permutation(int n, ulong seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var u = new double[Math.Max(1, n)];
        Philox4x32.FillUniform(u, seed, MixStream);
        for (int i = n - 1; i > 0; i--)
        {
            int j = Math.Min(i, (int)(u[i] * (i + 1)));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The numbers of one injected count from its run.</summary>
    public static InjectionPoint Point(int injected, string folder, CathodeResults r, CathodeAnalysis.ChannelState st)
    {
        var data = st.Data;
        int sig = 0, bkg = 0;
        foreach (int i in st.SrRows)
            if (data.Truth is not null && data.Truth[i] == 1) sig++; else bkg++;
        var methods = (r.Primary.Methods ?? []).Select(m => new InjectionMethodPoint(m.Method, m.Scan.Best.Z, m.Scan.Best.TargetFpr, m.ReweightedZ, m.MaxSic, m.TruthAuc)).ToArray();
        return new InjectionPoint(injected, sig, bkg, r.Primary.InitialZ, folder, methods);
    }

    /// <summary>
    /// Runs the study: for each count (ascending) the whole chain on <paramref name="data"/> with that many events of
    /// <paramref name="signal"/> mixed in, in its own folder <c>inject-N</c> under the request's (its models there, its
    /// full report written as soon as it finishes, so that a stopped study resumes with --reuse). The other channel is
    /// not analysed (the injection changes the searched channel only); every method of the request runs on the same events.
    /// </summary>
    public static InjectionStudy Run(CathodeRequest request, CathodeChannelData data, CathodeChannelData signal, int[] counts, bool shuffle, RunContext run)
    {
        Check(data, signal, counts);
        ulong seed = request.Config.Seed;
        var points = new List<InjectionPoint>();
        var methods = request.Methods is { Count: > 0 } m ? m : [AnomalyMethod.Cathode];
        for (int k = 0; k < counts.Length; k++)
        {
            run.ThrowIfCancelled();
            int n = counts[k];
            string folder = $"inject-{n}";
            string outDir = Path.Combine(request.OutDir, folder);
            run.Report("signal injection", k, counts.Length, $"{n:N0} signal events");
            var sub = new RunContext(run.Device, new ModelStore(outDir, run.Models.Reuse, run.Models.Command), LabelledProgress.Of(run.Progress, $"{n:N0} injected"), run.Cancel);
            var mixed = Mix(data, signal, n, seed, shuffle);
            // Supervised needs true signal in every fold: at the smallest counts it is left out (the table shows –).
            int signalInSr = Enumerable.Range(0, mixed.Rows).Count(i => mixed.Truth![i] == 1 && request.Config.Regions.BandOf(mixed.Mass[i]) == MassBand.Sr);
            var these = signalInSr < request.Config.Bdt.Folds ? methods.Where(x => x != AnomalyMethod.Supervised).ToArray() : methods;
            if (these.Count != methods.Count)
                run.Warn("signal injection", $"{n:N0} injected: {signalInSr} true signal events in the SR, too few for --method supervised (one per fold); left out at this count");
            var r = CathodeAnalysis.Run(request with { Primary = mixed, Control = null, OutDir = outDir, Methods = these, CompareMethods = true,
                Input = $"{request.Input} + {n:N0} injected signal events" }, sub);
            CathodeReport.Write(outDir, r.Results, r.Primary, null);
            points.Add(Point(n, folder, r.Results, r.Primary));
        }
        run.Report("signal injection", counts.Length, counts.Length);
        return new InjectionStudy(signal.Source, data.Source, shuffle ? seed : null, data.Truth is not null, points.ToArray());
    }

    /// <summary>Writes the study's own set (results.json, config.yaml, injection.csv, injection.svg, report.md) beside the counts' folders.</summary>
    public static IReadOnlyList<string> Write(string outDir, InjectionStudy s, CathodeConfig c, string device, string preset, double seconds)
    {
        string version = typeof(SignalInjection).Assembly.GetName().Version?.ToString() ?? "";
        using var w = new ReportWriter(outDir);
        w.WriteJson("results.json", new { Version = version, Device = device, Preset = preset, Config = c, Injection = s, Seconds = seconds });
        w.WriteText("config.yaml", CathodeConfig.ToYaml(c));
        w.WriteCsv("injection.csv", Table(s));
        w.WriteFigure("injection.svg", Figure(s));
        w.WriteText("report.md", Markdown(s, version, device, preset, seconds));
        w.Commit();
        return w.Written;
    }

    // ------------------------------------------------------------------ report

    /// <summary>A count's methods, or one empty row (every method left out at that count) so that no count vanishes from the tables.</summary>
    public static InjectionMethodPoint[] MethodsOrNone(InjectionPoint p) =>
        p.Methods.Length > 0 ? p.Methods : [new InjectionMethodPoint("(none run)", double.NaN, double.NaN, null, double.NaN, double.NaN)];

    /// <summary>The table: one row per count and method.</summary>
    public static CsvTable Table(InjectionStudy s)
    {
        var t = new CsvTable("injected", "signal_in_sr", "background_in_sr", "s_over_b", "s_over_sqrt_b", "initial_z", "method", "max_z", "best_fpr", "reweighted_z", "max_sic", "truth_auc");
        foreach (var p in s.Points)
            foreach (var m in MethodsOrNone(p))
                t.AddRow(p.Injected, p.SignalInSr, p.BackgroundInSr, p.SOverB, p.SOverSqrtB, p.InitialZ, m.Method, m.MaxZ, m.BestFpr, m.ReweightedZ ?? double.NaN, m.MaxSic, m.TruthAuc);
        return t;
    }

    /// <summary>
    /// The signal-injection figure: the maximum cut-and-count Z (solid) and reweighted Z (dashed) against S/B, the same
    /// against S/√B, and the maximum SIC against S/B, one colour per method; the bump hunt without a cut in grey.
    /// </summary>
    public static Figure Figure(InjectionStudy s)
    {
        var fig = new Figure(1, 3, 1260, 420) { Title = "Signal injection: significance and maximum SIC against the injected signal in the SR" };
        var colours = new[] { Palette.Black, Palette.Blue, Palette.Vermillion, Palette.Green, Palette.Purple, Palette.Orange };
        var methods = s.Points.SelectMany(p => p.Methods.Select(m => m.Method)).Distinct().ToArray();
        var pts = s.Points.Where(p => double.IsFinite(p.SOverB)).ToArray();
        for (int panel = 0; panel < 3; panel++)
        {
            var p = fig[0, panel];
            double[] x = pts.Select(q => panel == 1 ? q.SOverSqrtB : q.SOverB * 100).ToArray();
            for (int k = 0; k < methods.Length; k++)
            {
                string colour = colours[k % colours.Length], name = methods[k];
                var at = pts.Select(q => q.Methods.FirstOrDefault(m => m.Method == name)).ToArray();
                if (panel < 2)
                {
                    p.Line(x, at.Select(m => m?.MaxZ ?? double.NaN).ToArray(), $"{name}: max Z", colour, LineStyle.Solid, 1.8, Marker.Circle, 4.5);
                    p.Line(x, at.Select(m => m?.ReweightedZ ?? double.NaN).ToArray(), $"{name}: reweighted", colour, LineStyle.Dashed, 1.4, Marker.Square, 3.5);
                }
                else p.Line(x, at.Select(m => m?.MaxSic ?? double.NaN).ToArray(), name, colour, LineStyle.Solid, 1.8, Marker.Circle, 4.5);
            }
            if (panel < 2)
            {
                p.Line(x, pts.Select(q => q.InitialZ).ToArray(), "bump hunt, no cut", Palette.Grey, LineStyle.Dotted, 1.6, Marker.None, 0);
                p.Y.Label = "significance Z [σ]";
                p.Y.Min = 0;
            }
            else
            {
                p.Y.Label = "maximum SIC = ε_{S}/√ε_{B}";
                p.Y.Min = 0;
            }
            p.X.Label = panel == 1 ? "S/√B in the signal region" : "S/B in the signal region [%]";
            p.X.Min = 0;
            p.Legend = panel == 0 ? LegendPosition.Best : LegendPosition.None;
        }
        return fig;
    }

    /// <summary>report.md of the study: the table and figure, and a link to each count's own report.</summary>
    public static string Markdown(InjectionStudy s, string version, string device, string preset, double seconds)
    {
        var md = new System.Text.StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# CATHODE signal injection");
        md.AppendLine();
        string order = s.Seed is { } seed ? $"the first N events of a permutation seeded {seed}" : "its first N events (independent draws, the same for any other counts)";
        md.AppendLine($"Signal from {s.Signal}, mixed into {s.Background} ({order}: the injected sets are nested). " +
                      $"Each count runs the whole chain (flows on its sidebands, classifiers, statistics) in its own folder. Preset: {preset}. Device: {device}. " +
                      $"FastAD {version}. Wall time {seconds.ToString("F1", inv)} s. The numbers are in [results.json](results.json) and [injection.csv](injection.csv).");
        if (!s.DataTruth)
            md.AppendLine("The data have no truth column: all their events count as background in S/B, S/√B, the SIC and supervised (a signal already in the data, " +
                          "such as a real resonance, is counted as background).");
        md.AppendLine("The other channel is not analysed at each count; the methods' own classifiers and flows (all but CATHODE's) are not saved and are retrained by --reuse.");
        md.AppendLine();
        md.AppendLine("![Signal injection](injection.svg)");
        md.AppendLine();
        md.AppendLine("*Maximum cut-and-count Z over the FPR scan (solid) and likelihood-reweighted Z (dashed) against S/B and S/√B in the SR, and the maximum SIC " +
                      "(working points keeping at least 100 SR background events) against S/B, per method; dotted, the bump hunt without a cut.*");
        md.AppendLine();
        md.AppendLine("| injected | S in SR | B in SR | S/B | S/√B | Z no cut | method | max Z (FPR) | reweighted Z | max SIC | AUC | report |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|");
        foreach (var p in s.Points)
            foreach (var m in MethodsOrNone(p))
                md.AppendLine($"| {p.Injected:N0} | {p.SignalInSr:N0} | {p.BackgroundInSr:N0} | {(p.SOverB * 100).ToString("F2", inv)}% | {p.SOverSqrtB.ToString("F2", inv)} | " +
                              $"{p.InitialZ.ToString("F2", inv)} | {m.Method} | {m.MaxZ.ToString("F2", inv)} ({m.BestFpr.ToString("G3", inv)}) | " +
                              $"{(m.ReweightedZ is { } rz ? rz.ToString("F2", inv) : "–")} | {(double.IsNaN(m.MaxSic) ? "–" : m.MaxSic.ToString("F2", inv))} | " +
                              $"{(double.IsNaN(m.TruthAuc) ? "–" : m.TruthAuc.ToString("F3", inv))} | [{p.Folder}]({p.Folder}/report.md) |");
        md.AppendLine();
        return md.ToString();
    }
}
