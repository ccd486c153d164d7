using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastAD.Analyses.Reports;
using FastAD.Data.Synthetic;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// Pseudoexperiments of the CATHODE chain (SPEC 1.6): bootstrap or background-only pseudo-data, each with the whole
/// k-fold BDT ensemble retrained and every statistic redone. Pseudoexperiment j draws from Philox streams derived from
/// the seed and j alone, and every pseudoexperiment shares one feature binning (fitted on the data and the flow samples),
/// so its result does not depend on the shard, the batch or the order: shards merge bit for bit. Several
/// pseudoexperiments train together in one ensemble call (one kernel launch on a device). Each finished pseudoexperiment
/// is appended to the shard's results file and flushed, so a killed run resumes where it stopped.
/// </summary>
public static class PseudoExperiments
{
    private static JsonSerializerOptions Line => ShardLog.Line;

    /// <summary>The results file of a shard.</summary>
    public static string ResultsPath(string outDir, PseudoMode mode, PseudoRetrain retrain, Shard shard) =>
        Path.Combine(outDir, "pseudo", $"{mode.Text()}-{retrain.Text()}-shard-{shard.Index}-of-{shard.Count}.jsonl");

    /// <summary>The FPR grid of the scans.</summary>
    public static double[] Fprs(CathodeConfig c) => ClassifierMetrics.FprGrid(c.Statistics.FprPoints, c.Statistics.FprLowest);

    /// <summary>A digest of the configuration (what the results depend on).</summary>
    public static string Digest(string configYaml) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(configYaml)))[..16].ToLowerInvariant();

    /// <summary>Runs (or resumes) a shard; returns the results file and how many pseudoexperiments this call added.</summary>
    public static (string Path, int Added, int Total, double Seconds) Run(PseudoRequest r, string input, ComputeDevice device,
        IProgress<StageProgress>? progress = null, CancellationToken cancel = default)
    {
        var c = r.Config;
        c.Validate();
        if (r.Count < 1) throw new ArgumentException($"--n must be at least 1 (got {r.Count}).");
        if (r.Batch < 1) throw new ArgumentException($"--batch must be at least 1 (got {r.Batch}).");
        if (r.Mode == PseudoMode.Bootstrap && r.Retrain == PseudoRetrain.None)
            throw new ArgumentException("--mode bootstrap needs --retrain bdt: the saved ensemble was trained on these very events, so its scores of resampled data are in-sample.");
        CathodeAnalysis.CheckTrainable(r.Data, c);
        var fprs = Fprs(c);
        string yaml = CathodeConfig.ToYaml(c);
        var data = InRange(r.Data, c);
        var header = new PseudoHeader(PseudoHeader.FormatName, PseudoHeader.CurrentVersion, r.Mode.Text(), r.Retrain.Text(),
            r.Count, c.Seed, r.Data.Channel.Text(), input, data.Rows, fprs, Digest(yaml), yaml, r.Shard.Index, r.Shard.Count);
        string path = ResultsPath(r.OutDir, r.Mode, r.Retrain, r.Shard);
        var done = PseudoLog.Open(path, header);
        var todo = Enumerable.Range(0, r.Count).Where(j => r.Shard.Owns(j) && !done.Contains(j)).ToArray();
        int owned = Enumerable.Range(0, r.Count).Count(r.Shard.Owns);
        if (todo.Length == 0) return (path, 0, done.Count, 0);
        var study = Prepare(r, input, device, progress, cancel);
        // The file is created only now: a run refused while preparing leaves nothing that would block a corrected one.
        PseudoLog.Create(path, header);
        var sw = Stopwatch.StartNew();
        int added = 0;
        string stage = $"pseudoexperiments ({r.Mode.Text()}, shard {r.Shard})";
        progress?.Report(new StageProgress(stage, done.Count, owned, $"{todo.Length} to run, {done.Count} already in {path}"));
        foreach (var batch in todo.Chunk(r.Batch))
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var result in study.Evaluate(batch, cancel))
            {
                PseudoLog.Append(path, result, done.Count + added);
                added++;
            }
            progress?.Report(new StageProgress(stage, done.Count + added, owned));
        }
        return (path, added, done.Count + added, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Everything pseudoexperiments share: the background model, the flow samples, the binning, the fitter.</summary>
    public sealed class Study
    {
        internal Study(PseudoRequest request, CathodeChannelData data, CathodeBackground.BackgroundSamples background, CathodePreprocessing pre,
            QuantileBinner binner, Ensemble? saved, ComputeDevice device)
        {
            Request = request;
            Data = data;
            Background = background;
            Pre = pre;
            Binner = binner;
            Saved = saved;
            Device = device;
            var c = request.Config;
            Model = new BackgroundModel(new BumpHuntBinning(c.Regions.SblLow, c.Regions.SrLow, c.Regions.SrHigh, c.Regions.SbhHigh, c.Statistics.BinsSr), c.Statistics.Degree);
            Fitter = ProfileLikelihoodFitter.For(device);
        }

        internal PseudoRequest Request { get; }
        internal CathodeChannelData Data { get; }
        internal CathodeBackground.BackgroundSamples Background { get; }
        internal CathodePreprocessing Pre { get; }
        internal QuantileBinner Binner { get; }
        internal Ensemble? Saved { get; }
        internal ComputeDevice Device { get; }
        internal BackgroundModel Model { get; }
        internal ProfileLikelihoodFitter Fitter { get; }

        /// <summary>
        /// Runs the pseudoexperiments <paramref name="indices"/> together: pseudo-data, one ensemble call for all of them
        /// (or the saved ensemble's scores), and every statistic. The results depend on the indices alone.
        /// </summary>
        public PseudoResult[] Evaluate(IReadOnlyList<int> indices, CancellationToken cancel = default)
        {
            var c = Request.Config;
            int d = Data.D;
            var samples = Background.TrainingSamples;
            var sets = indices.Select(j => PseudoData(Request, Data, Background, Pre, j, Device)).ToArray();
            var scores = Saved is not null
                ? sets.Select(s => CathodeClassifier.MeanOverFolds(Saved, s.Events.Features, d)).ToArray()
                : TrainAndScore(c, Device, Binner, sets, indices.ToArray(), samples, d, cancel);
            var fprs = Fprs(c);
            return sets.Select((s, b) => Statistics(c, Model, Fitter, s, scores[b], fprs, indices[b])).ToArray();
        }
    }

    /// <summary>
    /// Prepares a study: the main run's flows (reused from --out/models when there, trained and saved otherwise), their
    /// samples, the saved ensemble for <see cref="PseudoRetrain.None"/>, and one feature binning shared by every pseudoexperiment.
    /// </summary>
    public static Study Prepare(PseudoRequest r, string input, ComputeDevice device, IProgress<StageProgress>? progress = null, CancellationToken cancel = default)
    {
        var c = r.Config;
        var data = InRange(r.Data, c);
        var pre = CathodeAnalysis.FitPreprocessing(r.PreprocessingData ?? r.Data, c);
        // The main run's flows are reused when they match these inputs (and trained when there are none); flows of other
        // inputs are refused, not overwritten.
        // Shards starting together on an empty --out would each train and save the flows: one trains them (holding this
        // lock), the others wait and then reuse what it saved.
        var run = new RunContext(device, new ModelStore(r.OutDir, reuse: true, "cathode").Keeping(), progress, cancel);
        CathodeBackground.BackgroundSamples bg;
        using (OutputLock.WaitFor(() => OutputLock.File(CathodeModels.FlowTrainingLock(run.Models, r.Data.Channel)), cancel,
                   e => run.Report($"flows {r.Data.Channel}", 0, 1, $"waiting while another shard trains the flows ({e.Holder ?? "holder unknown"})")))
            bg = CathodeBackground.Train(run, c, r.Data, pre);
        int d = r.Data.D;
        Ensemble? saved = null;
        if (r.Retrain == PseudoRetrain.None)
        {
            // --retrain none scores with the main run's ensemble: it must exist, be of these inputs, intact and this channel's.
            string inputs = CathodeModels.BdtInputs(c, bg, r.Data);
            saved = run.Models.OpenSingle(run, $"BDTs {r.Data.Channel}", CathodeModels.BdtFile(r.Data.Channel), CathodeModels.BdtGroup(r.Data.Channel), inputs,
                path => ModelFile.Load(path, CathodeModels.BdtIdentity(r.Data.Channel, inputs)));
        }
        // One binning for every pseudoexperiment: results depend on the pseudoexperiment's index alone.
        var binner = QuantileBinner.Fit(r.Data.FeatureNames, Columns(Concat(data.Features, bg.TrainingSamples), d), seed: SeedTree.Of(c.Seed)["cathode"]["pseudo"]["binning"].Seed);
        return new Study(r, data, bg, pre, binner, saved, device);
    }

    internal static double[] Concat(double[] a, double[] b)
    {
        var r = new double[a.Length + b.Length];
        a.CopyTo(r, 0);
        b.CopyTo(r, a.Length);
        return r;
    }

    internal static double[][] Columns(double[] rows, int d) =>
        Enumerable.Range(0, d).Select(j => Enumerable.Range(0, rows.Length / d).Select(i => rows[i * d + j]).ToArray()).ToArray();

    private static CathodeChannelData InRange(CathodeChannelData data, CathodeConfig c)
    {
        var band = CathodeAnalysis.Bands(data, c);
        var keep = Enumerable.Range(0, data.Rows).Where(i => band[i] != MassBand.Outside).ToArray();
        if (keep.Length == data.Rows) return data;
        return data with { Mass = keep.Select(i => data.Mass[i]).ToArray(), Features = Rows.Gather(data.Features, keep, data.D), Truth = data.Truth is null ? null : keep.Select(i => data.Truth[i]).ToArray() };
    }

    /// <summary>Pseudoexperiment <paramref name="j"/>'s node of the run's seed tree, <c>cathode/pseudo/j</c>: its own streams, whatever the mode, shard or batch.</summary>
    private static SeedTree Seeds(CathodeConfig c, int j) => SeedTree.Of(c.Seed)["cathode"]["pseudo"][j];

    /// <summary>
    /// Pseudo-data: distinct events and how many times each was drawn (null: once each). A bootstrap keeps every drawn
    /// event once with its multiplicity, so the classifier sees it as a frequency weight and the fold split, made over
    /// distinct events, never puts copies of one event on both sides; the statistics count it that many times.
    /// </summary>
    internal sealed record PseudoSet(CathodeChannelData Events, double[]? Multiplicity)
    {
        /// <summary>Events counted with their multiplicity.</summary>
        public int Count => Multiplicity is null ? Events.Rows : (int)Multiplicity.Sum();

        /// <summary>Event i's multiplicity.</summary>
        public int Times(int i) => Multiplicity is null ? 1 : (int)Multiplicity[i];
    }

    /// <summary>The pseudo-data of pseudoexperiment <paramref name="j"/> (Philox streams derived from the seed and j).</summary>
    internal static PseudoSet PseudoData(PseudoRequest r, CathodeChannelData data, CathodeBackground.BackgroundSamples bg, CathodePreprocessing pre, int j,
        ComputeDevice? device = null)
    {
        var c = r.Config;
        int n = data.Rows, d = data.D;
        var seeds = Seeds(c, j);
        if (r.Mode == PseudoMode.Bootstrap)
        {
            var u = new double[n];
            Philox4x32.FillUniform(u, seeds["bootstrap"].Seed, 0);
            var times = new double[n];
            foreach (double v in u) times[Math.Min((int)(v * n), n - 1)]++;
            var drawn = Enumerable.Range(0, n).Where(i => times[i] > 0).ToArray();
            var events = data with { Mass = drawn.Select(i => data.Mass[i]).ToArray(), Features = Rows.Gather(data.Features, drawn, d), Truth = null,
                Source = $"bootstrap {j} of {data.Source}" };
            return new PseudoSet(events, drawn.Select(i => times[i]).ToArray());
        }
        // Null: masses from the sideband polynomial over the whole range, features from the flows at those masses
        // (event i from flow i mod E, so the pooled ensemble is the background model).
        var mass = CathodeBackground.SampleMasses(bg.MassModel, c.Regions.SblLow, c.Regions.SbhHigh, n, seeds["masses"].Seed, 0);
        var features = new double[n * d];
        int e = bg.Flows.Length, per = (n + e - 1) / e;
        // Through the flow-evaluation seam, every flow at once: flow k draws its events' features into rows of its own
        // block of `per` rows (the rows it has no event for are padding, drawn and dropped); its noise is the prefix of its
        // Philox stream, so a flow's events get the draws they get alone.
        var noise = new double[e * per * d];
        var cond = new double[e * per];
        var rows = Enumerable.Range(0, e).Select(k => Enumerable.Range(0, n).Where(i => i % e == k).ToArray()).ToArray();
        for (int k = 0; k < e; k++)
        {
            if (rows[k].Length == 0) continue;
            Philox4x32.FillNormal(noise.AsSpan(k * per * d, rows[k].Length * d), seeds["noise"][k].Seed, 0);
            var m = pre.Masses(rows[k].Select(i => mass[i]).ToArray());
            m.CopyTo(cond, k * per);
            cond.AsSpan(k * per + m.Length, per - m.Length).Fill(m[0]);
        }
        using var evaluator = FlowEvaluator.For(device ?? CpuDevice.Instance, bg.Flows, FlowPrecision.Double);
        var x = pre.InverseFeatures(evaluator.Sample(noise, cond, per));
        for (int k = 0; k < e; k++)
            for (int m = 0; m < rows[k].Length; m++) Array.Copy(x, (k * per + m) * d, features, rows[k][m] * d, d);
        return new PseudoSet(data with { Mass = mass, Features = features, Truth = null, Source = $"null pseudo-data {j}" }, null);
    }

    /// <summary>
    /// Trains the k-fold ensembles of several pseudoexperiments in one call over one matrix
    /// [flow samples | pseudo-data 1 (SR, SB) | pseudo-data 2 | …] and returns each one's out-of-fold scores (per
    /// distinct event; multiplicities enter as frequency weights).
    /// </summary>
    internal static double[][] TrainAndScore(CathodeConfig c, ComputeDevice device, QuantileBinner binner, PseudoSet[] pseudo, int[] indices, double[] samples, int d,
        CancellationToken cancel)
    {
        var matrix = ClassifierMatrix.Build(pseudo.Select(s => ClassifierBlock.Of(s.Events, c, s.Multiplicity)).ToArray(), samples, d, samplesFirst: true);
        // The rotation's shuffles are seeded by the pseudoexperiment's index: folds differ between pseudoexperiments
        // but not with the batch a pseudoexperiment lands in.
        var folds = Enumerable.Range(0, pseudo.Length).SelectMany(p => matrix.Folds(p, c.Bdt.Folds, Seeds(c, indices[p])["folds"].Seed)).ToArray();
        var x = binner.Transform(matrix.Columns);
        // One boosting seed for every pseudoexperiment's models (cathode/pseudo/boosting): results do not depend on the batch.
        var p0 = c.BoostingParameters(DimuonChannel.OS) with { Seed = SeedTree.Of(c.Seed)["cathode"]["pseudo"]["boosting"].Seed };
        var ensemble = Ensemble.Train(device, binner, x, matrix.Labels, folds, c.Bdt.Members, p0, null, cancel, matrix.Frequencies);
        var oof = ensemble.OutOfFoldScores(x);
        return Enumerable.Range(0, pseudo.Length).Select(p => matrix.Scatter(p, oof)).ToArray();
    }

    internal static PseudoResult Statistics(CathodeConfig c, BackgroundModel model, ProfileLikelihoodFitter fitter, PseudoSet pseudo, double[] scores, double[] fprs, int index)
    {
        var set = pseudo.Events;
        var band = CathodeAnalysis.Bands(set, c);
        // Every event as many times as it was drawn: the spectra and the working points count copies.
        var keep = Enumerable.Range(0, set.Rows).Where(i => band[i] != MassBand.Outside && !double.IsNaN(scores[i])).SelectMany(i => Enumerable.Repeat(i, pseudo.Times(i))).ToArray();
        var masses = keep.Select(i => set.Mass[i]).ToArray();
        var s = keep.Select(i => scores[i]).ToArray();
        var sideband = keep.Select(i => band[i] != MassBand.Sr).ToArray();
        var scan = WorkingPointScan.Scan("pseudo", model, fitter, masses, s, sideband, fprs, null, null);
        var rw = WorkingPointScan.Reweight(fitter, model, masses, s);
        var initial = scan.Points.FirstOrDefault(p => p.TargetFpr == 1);
        return new PseudoResult(index, masses.Length, initial?.Z ?? double.NaN, rw?.Mu ?? double.NaN, rw?.Z ?? 0, scan.Points.Select(p => p.Z).ToArray());
    }

    /// <summary>The append-only results file of a shard (<see cref="ShardLog"/> over <see cref="PseudoHeader"/> and <see cref="PseudoResult"/>).</summary>
    internal static class PseudoLog
    {
        /// <summary>Writes the header line when the file does not exist yet.</summary>
        public static void Create(string path, PseudoHeader header) => ShardLog.Create(path, header);

        /// <summary>Reads an existing file (checking its header); returns the indices already done. A line cut short by a kill is dropped.</summary>
        public static HashSet<int> Open(string path, PseudoHeader header) => ShardLog.Open<PseudoHeader, PseudoResult>(path, header);

        /// <summary>Appends one result and flushes it to disk; a full disk is reported with what was kept.</summary>
        public static void Append(string path, PseudoResult result, int saved) => ShardLog.Append<PseudoHeader, PseudoResult>(path, result, saved);

        internal static PseudoHeader ReadHeader(string path, string line, int lineNumber = 1)
        {
            PseudoHeader? h;
            try { h = JsonSerializer.Deserialize<PseudoHeader>(line, Line); }
            catch (JsonException e) { throw new InvalidDataException($"{path} line {lineNumber}: not a FastAD pseudoexperiment file header ({ShardLog.Reason(e)})."); }
            if (h is null || h.Format != PseudoHeader.FormatName)
                throw new InvalidDataException($"{path} is not a FastAD pseudoexperiment file (format '{h?.Format}').");
            if (h.Version != PseudoHeader.CurrentVersion)
                throw new InvalidDataException($"{path} has pseudoexperiment format version {h.Version}; this FastAD reads version {PseudoHeader.CurrentVersion} " +
                                               "(its random streams differ): run the study again into another --out.");
            if (h.Fprs is null || h.Config is null || h.ConfigDigest is null || h.Mode is null || h.Retrain is null || h.Channel is null || h.Input is null)
                throw new InvalidDataException($"{path} line {lineNumber}: not a FastAD pseudoexperiment file header (fields are missing).");
            return h;
        }

        /// <summary>
        /// One result line; anything else (not JSON, JSON of another shape, a missing or short Z list) is an error naming
        /// the file and line. <paramref name="fprs"/> is the length the header's FPR grid gives the Z list.
        /// </summary>
        internal static PseudoResult ReadResult(string path, string line, int lineNumber, int fprs)
        {
            PseudoResult? r;
            try
            {
                r = JsonSerializer.Deserialize<PseudoResult>(line, Line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} line {lineNumber}: not a pseudoexperiment record ({ShardLog.Reason(e)}).");
            }
            if (r is null) throw new InvalidDataException($"{path} line {lineNumber}: not a pseudoexperiment record (null).");
            if (r.Z is null || r.Z.Length != fprs)
                throw new InvalidDataException(
                    $"{path} line {lineNumber}: not a pseudoexperiment record (expected {fprs} cut-and-count Z values, one per FPR of the header, found {r.Z?.Length ?? 0}).");
            return r;
        }
    }
}
