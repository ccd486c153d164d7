using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FastAD.Analyses.Cathode;
using FastAD.Analyses.Reports;
using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Scan;

/// <summary>What a shard of null pseudo-scans needs.</summary>
/// <param name="Config">The scan's configuration (the observed scan's).</param>
/// <param name="Data">The observed events: the smooth background description is fitted to them and each window's flows were trained on them.</param>
/// <param name="Windows">The scan's windows.</param>
/// <param name="OutDir">Where the shard's results go (<c>OUT/pseudo/scan-null-shard-i-of-K.jsonl</c>).</param>
/// <param name="FlowsDir">The observed scan's folder whose window flows are reused (<c>DIR/windows/wNNN/models</c>; trained and saved there when absent).</param>
/// <param name="Count">Pseudo-scans in the whole study (all shards).</param>
/// <param name="Shard">This process's shard.</param>
/// <param name="Input">Where the observed events came from.</param>
/// <param name="Batch">Pseudo-scans whose classifiers train together, window by window, in one ensemble call.</param>
public sealed record ScanPseudoRequest(ScanConfig Config, CathodeChannelData Data, ScanWindow[] Windows, string OutDir, string FlowsDir, int Count, Shard Shard,
    string Input, int Batch = 4);

/// <summary>One null pseudo-scan: the scan statistic, where it was reached, and every window's local Z curve.</summary>
/// <param name="Index">Its index (every random stream derives from the seed and it alone).</param>
/// <param name="Events">Events of the background-only pseudo-spectrum over the scanned range.</param>
/// <param name="T">t: the maximum local Z over the windows and the FPR set.</param>
/// <param name="Window">Index of the window reaching t (−1 when no window finished).</param>
/// <param name="Fpr">FPR reaching t.</param>
/// <param name="Z">Local Z per FPR of the header's set (outer) and window (inner); NaN where the window's chain could not run.</param>
/// <param name="ReweightedZ">Likelihood-reweighted Z per window.</param>
public sealed record ScanPseudoResult(int Index, int Events, double T, int Window, double Fpr, double[][] Z, double[] ReweightedZ)
    : IShardRecord<ScanPseudoHeader, ScanPseudoResult>
{
    /// <inheritdoc />
    public static string Noun => "pseudo-scan";

    /// <inheritdoc />
    public static ScanPseudoResult Read(string path, string line, int lineNumber, ScanPseudoHeader header)
    {
        ScanPseudoResult? r;
        try { r = JsonSerializer.Deserialize<ScanPseudoResult>(line, ShardLog.Line); }
        catch (JsonException e) { throw new InvalidDataException($"{path} line {lineNumber}: not a pseudo-scan record ({ShardLog.Reason(e)})."); }
        if (r is null) throw new InvalidDataException($"{path} line {lineNumber}: not a pseudo-scan record (null).");
        if (r.Z is null || r.Z.Length != header.Fprs.Length || r.Z.Any(z => z is null || z.Length != header.Windows) || r.ReweightedZ is null || r.ReweightedZ.Length != header.Windows)
            throw new InvalidDataException($"{path} line {lineNumber}: not a pseudo-scan record (expected {header.Fprs.Length} local-Z curves of {header.Windows} windows, one per FPR of the header, and {header.Windows} reweighted Z).");
        return r;
    }
}

/// <summary>The first line of a shard of null pseudo-scans: everything that must match for results to be continued or merged.</summary>
/// <param name="Format">Always <see cref="FormatName"/>.</param>
/// <param name="Version">Format version.</param>
/// <param name="Count">Pseudo-scans in the whole study.</param>
/// <param name="Seed">The scan's seed.</param>
/// <param name="Input">The observed events the background description and flows come from.</param>
/// <param name="DataEvents">Their number over the scanned range.</param>
/// <param name="Fprs">The a-priori FPR set of the statistic.</param>
/// <param name="Windows">Windows of the scan.</param>
/// <param name="UpcrossingLevel">u0 of the Gross–Vitells estimate.</param>
/// <param name="ConfigDigest">Digest of <paramref name="Config"/>.</param>
/// <param name="Config">The scan's YAML and its windows (one line each).</param>
/// <param name="Flows">Where the windows' flows came from (said with every result).</param>
/// <param name="Observed">The observed scan's t (from its results.json), or null when there is no finished observed scan.</param>
/// <param name="ObservedPerFpr">The observed maxima per FPR of the set.</param>
/// <param name="ShardIndex">i of shard i/K.</param>
/// <param name="ShardCount">K of shard i/K.</param>
public sealed record ScanPseudoHeader(string Format, int Version, int Count, ulong Seed, string Input, int DataEvents, double[] Fprs, int Windows,
    double UpcrossingLevel, string ConfigDigest, string Config, string Flows, ScanMaximum? Observed, ScanMaximum[]? ObservedPerFpr, int ShardIndex, int ShardCount)
    : IShardHeader<ScanPseudoHeader>
{
    /// <summary>Format name.</summary>
    public const string FormatName = "fastad-scan-pseudo";
    /// <summary>Format version.</summary>
    public const int CurrentVersion = 1;

    /// <inheritdoc />
    public string? Difference(ScanPseudoHeader o)
    {
        if (Format != o.Format || Version != o.Version) return $"format {Format} v{Version} vs {o.Format} v{o.Version}";
        if (Count != o.Count) return $"--n: {Count} vs {o.Count}";
        if (Seed != o.Seed) return $"seed: {Seed} vs {o.Seed}";
        if (DataEvents != o.DataEvents || Input != o.Input) return $"input: {Input} ({DataEvents} events) vs {o.Input} ({o.DataEvents} events)";
        if (!Fprs.SequenceEqual(o.Fprs)) return $"FPR set: {{{string.Join(", ", Fprs)}}} vs {{{string.Join(", ", o.Fprs)}}}";
        if (Windows != o.Windows) return $"windows: {Windows} vs {o.Windows}";
        if (ConfigDigest != o.ConfigDigest) return ShardLog.ConfigDifference(Config, o.Config);
        if (Observed?.Z != o.Observed?.Z) return $"observed t: {Observed?.Z.ToString("R", CultureInfo.InvariantCulture) ?? "none"} vs {o.Observed?.Z.ToString("R", CultureInfo.InvariantCulture) ?? "none"}";
        return null;
    }

    /// <inheritdoc />
    public static ScanPseudoHeader Read(string path, string line, int lineNumber)
    {
        ScanPseudoHeader? h;
        try { h = JsonSerializer.Deserialize<ScanPseudoHeader>(line, ShardLog.Line); }
        catch (JsonException e) { throw new InvalidDataException($"{path} line {lineNumber}: not a FastAD pseudo-scan file header ({ShardLog.Reason(e)})."); }
        if (h is null || h.Format != FormatName)
            throw new InvalidDataException($"{path} is not a FastAD pseudo-scan file (format '{h?.Format}'; `fastad scan pseudo` writes '{FormatName}').");
        if (h.Version != CurrentVersion)
            throw new InvalidDataException($"{path} has pseudo-scan format version {h.Version}; this FastAD reads version {CurrentVersion}: run the study again into another --out.");
        if (h.Fprs is null || h.Config is null || h.ConfigDigest is null || h.Input is null || h.Flows is null || h.Windows < 1)
            throw new InvalidDataException($"{path} line {lineNumber}: not a FastAD pseudo-scan file header (fields are missing).");
        return h;
    }
}

/// <summary>
/// Null pseudo-scans of SPEC 5.3: background-only pseudo-spectra over the whole range — masses from the smooth background
/// description of the observed spectrum (<see cref="SmoothSpectrum"/>, Poisson total), features from the flows of the window
/// whose SR centre is nearest each mass (the observed scan's flows, reused) — and on each the whole scan redone: in every
/// window the k-fold classifier retrained on the pseudo-data against that window's flow samples and every FPR of the set
/// fitted (as CATHODE's null pseudoexperiments do, <see cref="PseudoExperiments.TrainAndScore"/> and
/// <see cref="PseudoExperiments.Statistics"/>). The pseudo-scans of a batch train window by window in one ensemble call.
/// Pseudo-scan j's streams derive from the seed and j alone, so results do not depend on the shard or batch and each is
/// one line appended and flushed to the shard's file: a killed shard resumes.
/// </summary>
public static class ScanPseudo
{
    /// <summary>The results file of a shard.</summary>
    public static string ResultsPath(string outDir, Shard shard) => Path.Combine(outDir, "pseudo", $"scan-null-shard-{shard.Index}-of-{shard.Count}.jsonl");

    /// <summary>What the study shares: per window the reused flows, their samples, the binning and the fit model.</summary>
    private sealed record WindowStudy(ScanWindow Window, CathodeConfig Config, CathodePreprocessing Pre, CathodeBackground.BackgroundSamples Background,
        QuantileBinner Binner, BackgroundModel Model);

    /// <summary>Runs (or resumes) a shard; returns the file, how many pseudo-scans this call added, the total and the flows' source.</summary>
    public static (string Path, int Added, int Total, double Seconds, string Flows) Run(ScanPseudoRequest r, RunContext run)
    {
        var c = r.Config;
        c.Validate();
        if (r.Count < 1) throw new ArgumentException($"--n must be at least 1 (got {r.Count}).");
        if (r.Batch < 1) throw new ArgumentException($"--batch must be at least 1 (got {r.Batch}).");
        ScanAnalysis.CheckWindows(c, r.Data, r.Windows, methods: false);
        var fprs = c.FprSet();
        double low = r.Windows.Min(w => w.SblLow), high = r.Windows.Max(w => w.SbhHigh);
        var inRange = r.Data.Mass.Where(m => m >= low && m <= high).ToArray();
        var observed = Observed(r);
        string config = c.PseudoIdentityYaml() + string.Concat(r.Windows.Select(w => $"# {w.Name}\n"));
        string flows = observed is not null
            ? $"reused from the observed scan's models in {Path.GetFullPath(r.FlowsDir)}"
            : $"the observed events' window flows, trained (or reused when saved) in {Path.GetFullPath(Path.Combine(r.FlowsDir, "windows"))}";
        var header = new ScanPseudoHeader(ScanPseudoHeader.FormatName, ScanPseudoHeader.CurrentVersion, r.Count, c.Seed, r.Input, inRange.Length, fprs, r.Windows.Length,
            c.Scan.UpcrossingLevel, PseudoExperiments.Digest(config), config, flows, observed?.Maximum, observed?.MaximumPerFpr, r.Shard.Index, r.Shard.Count);
        string path = ResultsPath(r.OutDir, r.Shard);
        var done = ShardLog.Open<ScanPseudoHeader, ScanPseudoResult>(path, header);
        var todo = Enumerable.Range(0, r.Count).Where(j => r.Shard.Owns(j) && !done.Contains(j)).ToArray();
        int owned = Enumerable.Range(0, r.Count).Count(r.Shard.Owns);
        if (todo.Length == 0) return (path, 0, done.Count, 0, flows);
        var studies = Prepare(r, run);
        if (studies.All(s => s is null)) throw new InvalidOperationException("The chain failed in every window of the observed events: no flows to draw pseudo-data from.");
        var smooth = SmoothSpectrum.Fit(r.Data.Mass, low, high, c.Scan.SmoothDegree);
        var sampler = new MassSampler(smooth, low, high);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ShardLog.Create(path, header);
        var sw = Stopwatch.StartNew();
        int added = 0;
        string stage = $"pseudo-scans (shard {r.Shard})";
        run.Report(stage, done.Count, owned, $"{todo.Length} to run, {done.Count} already in {path}; flows {flows}");
        foreach (var batch in todo.Chunk(r.Batch))
        {
            run.ThrowIfCancelled();
            var spectra = batch.Select(j => PseudoSpectrum(c, r.Data, studies, sampler, j, run)).ToArray();
            var z = batch.Select(_ => fprs.Select(_ => Enumerable.Repeat(double.NaN, r.Windows.Length).ToArray()).ToArray()).ToArray();
            var rw = batch.Select(_ => Enumerable.Repeat(double.NaN, r.Windows.Length).ToArray()).ToArray();
            for (int w = 0; w < studies.Length; w++)
            {
                run.ThrowIfCancelled();
                if (studies[w] is not { } s) continue;
                try
                {
                    var sets = spectra.Select(sp => new PseudoExperiments.PseudoSet(ScanAnalysis.Events(sp, s.Window), null)).ToArray();
                    var scores = PseudoExperiments.TrainAndScore(s.Config, run.Device, s.Binner, sets, batch, s.Background.TrainingSamples, r.Data.D, run.Cancel);
                    var fitter = ProfileLikelihoodFitter.For(run.Device);
                    for (int b = 0; b < batch.Length; b++)
                    {
                        var res = PseudoExperiments.Statistics(s.Config, s.Model, fitter, sets[b], scores[b], fprs, batch[b]);
                        for (int f = 0; f < fprs.Length; f++) z[b][f][w] = res.Z[f];
                        rw[b][w] = res.ReweightedZ;
                    }
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException && !run.Cancel.IsCancellationRequested)
                {
                    // A window the chain cannot handle in these pseudo-data stays NaN (out of the maxima), as in the observed scan.
                    run.Warn(stage, $"pseudo-scans {string.Join(", ", batch)}, {s.Window.Name}: {e.Message}; left out of their maxima");
                }
                double rate = sw.Elapsed.TotalSeconds / (added + batch.Length * (w + 1.0) / studies.Length);
                run.Report(stage, done.Count + added + batch.Length * (w + 1.0) / studies.Length, owned,
                    $"pseudo-scans {batch[0]}–{batch[^1]}: window {w + 1} of {studies.Length}; ETA {Eta(rate * (todo.Length - added - batch.Length * (w + 1.0) / studies.Length))}");
            }
            for (int b = 0; b < batch.Length; b++)
            {
                var (t, wi, fi) = Maximum(z[b]);
                var result = new ScanPseudoResult(batch[b], spectra[b].Rows, t, wi, wi < 0 ? double.NaN : fprs[fi], z[b], rw[b]);
                ShardLog.Append<ScanPseudoHeader, ScanPseudoResult>(path, result, done.Count + added);
                added++;
            }
            run.Report(stage, done.Count + added, owned);
        }
        return (path, added, done.Count + added, sw.Elapsed.TotalSeconds, flows);
    }

    /// <summary>t = the largest finite local Z over the windows and FPRs, with its window and FPR index ((NaN, −1, 0) when none is finite).</summary>
    public static (double T, int Window, int Fpr) Maximum(double[][] z)
    {
        (double T, int Window, int Fpr) best = (double.NaN, -1, 0);
        for (int f = 0; f < z.Length; f++)
            for (int w = 0; w < z[f].Length; w++)
                if (double.IsFinite(z[f][w]) && (best.Window < 0 || z[f][w] > best.T)) best = (z[f][w], w, f);
        return best;
    }

    /// <summary>The observed scan in the flows' folder (its results.json), checked to be a scan of this configuration and these windows; null when there is none.</summary>
    private static ScanResults? Observed(ScanPseudoRequest r)
    {
        string file = Path.Combine(r.FlowsDir, "results.json");
        if (!File.Exists(file)) return null;
        var o = ReportJson.Load<ScanResults>(file);
        string a = o.Config.PseudoIdentityYaml(), b = r.Config.PseudoIdentityYaml();
        if (a != b)
            throw new InvalidDataException($"{file}: the observed scan ran with another configuration ({ShardLog.ConfigDifference(a, b)}); give the pseudo-scans the observed scan's --preset, --config and options.");
        var ow = o.Windows.Select(w => w.Window).ToArray();
        if (ow.Length != r.Windows.Length || ow.Zip(r.Windows).Any(p => p.First != p.Second))
            throw new InvalidDataException($"{file}: the observed scan has other windows ({ow.Length} vs {r.Windows.Length}); give the same --range, --resolution or --windows.");
        if (o.Input != r.Input)
            throw new InvalidDataException($"{file}: the observed scan ran on {o.Input}, not on {r.Input}; give the observed scan's --data (or --generate and generator options).");
        return o;
    }

    /// <summary>Per window: the observed events' preprocessing, the flows (reused from the observed scan's window store, refused when of other inputs), their samples, one binning and the fit model; null for a window whose chain cannot run.</summary>
    private static WindowStudy?[] Prepare(ScanPseudoRequest r, RunContext run)
    {
        var result = new WindowStudy?[r.Windows.Length];
        for (int k = 0; k < r.Windows.Length; k++)
        {
            run.ThrowIfCancelled();
            var w = r.Windows[k];
            var wc = r.Config.ForWindow(w);
            var events = ScanAnalysis.Events(r.Data, w);
            var store = new ModelStore(ScanAnalysis.WindowFolder(r.FlowsDir, w), reuse: true, "scan").Keeping();
            try
            {
                var pre = CathodeAnalysis.FitPreprocessing(events, wc);
                var bg = CathodeBackground.Train(new RunContext(run.Device, store, run.Progress, run.Cancel), wc, events, pre);
                var binner = QuantileBinner.Fit(events.FeatureNames, PseudoExperiments.Columns(PseudoExperiments.Concat(events.Features, bg.TrainingSamples), events.D),
                    seed: SeedTree.Of(wc.Seed)["cathode"]["pseudo"]["binning"].Seed);
                var model = new BackgroundModel(CathodeAnalysis.Binning(wc, wc.Statistics.BinsSr), wc.Statistics.Degree);
                result[k] = new WindowStudy(w, wc, pre, bg, binner, model);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException && !run.Cancel.IsCancellationRequested)
            {
                run.Warn("pseudo-scan flows", $"{w.Name}: {e.Message}; the window is left out of every pseudo-scan, as it is of the observed maxima");
            }
            run.Report("pseudo-scan flows", k + 1, r.Windows.Length, w.Name);
        }
        return result;
    }

    /// <summary>The seed-tree node of pseudo-scan j: <c>scan/pseudo/j</c>.</summary>
    private static SeedTree Seeds(ScanConfig c, int j) => SeedTree.Of(c.Seed)["scan"]["pseudo"][j];

    /// <summary>
    /// Pseudo-scan j's background-only spectrum: N ~ Poisson(the smooth description's integral), masses by its inverse
    /// CDF, each event's features from the flows of the usable window whose SR centre is nearest its mass (event i of a
    /// window's events through flow i mod E, in one evaluation call per window).
    /// </summary>
    private static CathodeChannelData PseudoSpectrum(ScanConfig c, CathodeChannelData data, WindowStudy?[] studies, MassSampler sampler, int j, RunContext run)
    {
        var seeds = Seeds(c, j);
        int n = new PhiloxPoisson.Sampler(sampler.Total).Sample(seeds["count"].Seed, 0);
        var u = new double[n];
        Philox4x32.FillUniform(u, seeds["masses"].Seed, 0);
        var mass = u.Select(sampler.Mass).ToArray();
        var usable = studies.Where(s => s is not null).Select(s => s!).ToArray();
        var centres = usable.Select(s => s.Window.Centre).ToArray();
        int d = data.D;
        var features = new double[(long)n * d];
        var owner = mass.Select(m => Nearest(centres, m)).ToArray();
        for (int k = 0; k < usable.Length; k++)
        {
            var rows = Enumerable.Range(0, n).Where(i => owner[i] == k).ToArray();
            if (rows.Length == 0) continue;
            var s = usable[k];
            var noise = new double[rows.Length * d];
            Philox4x32.FillNormal(noise, seeds["noise"][s.Window.Index].Seed, 0);
            using var evaluator = FlowEvaluator.For(run.Device, s.Background.Flows, FlowPrecision.Double);
            var x = s.Pre.InverseFeatures(evaluator.SampleRoundRobin(noise, s.Pre.Masses(rows.Select(i => mass[i]).ToArray()), rows.Length));
            for (int m = 0; m < rows.Length; m++) Array.Copy(x, m * d, features, (long)rows[m] * d, d);
        }
        return data with { Mass = mass, Features = features, Truth = null, Source = $"null pseudo-scan {j}" };
    }

    private static int Nearest(double[] centres, double m)
    {
        int best = 0;
        for (int k = 1; k < centres.Length; k++) if (Math.Abs(centres[k] - m) < Math.Abs(centres[best] - m)) best = k;
        return best;
    }

    private static string Eta(double s) => s < 90 ? $"{s:F0} s" : s < 5400 ? $"{s / 60:F0} min" : $"{s / 3600:F1} h";

    /// <summary>Masses from the smooth description by its inverse CDF on a fine grid (linear within a cell).</summary>
    private sealed class MassSampler
    {
        private readonly double[] _edges, _cdf;

        public MassSampler(SmoothSpectrum smooth, double low, double high, int cells = 4096)
        {
            _edges = Enumerable.Range(0, cells + 1).Select(i => low * Math.Pow(high / low, (double)i / cells)).ToArray();
            _edges[^1] = high;
            _cdf = new double[cells + 1];
            for (int i = 0; i < cells; i++) _cdf[i + 1] = _cdf[i] + smooth.Integral(_edges[i], _edges[i + 1]);
            Total = _cdf[^1];
        }

        /// <summary>Expected events over the range.</summary>
        public double Total { get; }

        public double Mass(double u)
        {
            double target = u * Total;
            int k = Array.BinarySearch(_cdf, target);
            k = k >= 0 ? Math.Min(k, _cdf.Length - 2) : Math.Clamp(~k - 1, 0, _cdf.Length - 2);
            double span = _cdf[k + 1] - _cdf[k];
            double f = span > 0 ? (target - _cdf[k]) / span : 0;
            return _edges[k] + f * (_edges[k + 1] - _edges[k]);
        }
    }
}
