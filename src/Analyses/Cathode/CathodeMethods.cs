using System.Text.Json.Serialization;
using FastAD.Flows;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>The weakly-supervised methods of SPEC 6 beside CATHODE: they share the window's bands, the k-fold scheme and the statistics; only the score differs.</summary>
public enum AnomalyMethod
{
    /// <summary>SPEC 1: SR data against the flows' SR samples (the sideband data scored, not trained on).</summary>
    [JsonStringEnumMemberName("cathode")] Cathode,

    /// <summary>SR data against sideband data, no flow.</summary>
    [JsonStringEnumMemberName("cwola")] Cwola,

    /// <summary>No classifier: score = ln p_data(x|m) − ln p_bg(x|m), a second flow trained on SR data against the sideband flows' mean density.</summary>
    [JsonStringEnumMemberName("anode")] Anode,

    /// <summary>The classifier in the flows' latent space: SR data mapped to z = T(x|m) against standard-normal draws.</summary>
    [JsonStringEnumMemberName("lacathode")] Lacathode,

    /// <summary>SR data against true background SR events of the same process (the weak-supervision upper bound).</summary>
    [JsonStringEnumMemberName("idealized")] Idealized,

    /// <summary>True signal against true background in the SR with the truth labels (the upper bound).</summary>
    [JsonStringEnumMemberName("supervised")] Supervised,
}

/// <summary>
/// One method's outcome on the channel's events: its working-point scan (Z against the sideband FPR), the reweighted Z,
/// where truth is known the AUC of true signal against background in the SR, the SIC curve (signal efficiency
/// ε_S, SIC = ε_S/√ε_B) and its maximum over working points that keep at least 100 background events, and the
/// sculpting check of every working point (<see cref="Sculpting"/>[k] for <see cref="ScanCurve.Points"/>[k]): χ²/ndf of
/// the sideband mass spectrum after the cut against the uncut sideband histogram scaled to the same total (binomial
/// variances of an unsculpted cut, the bump hunt's sideband bins; about 1 when the cut keeps the spectrum's shape).
/// </summary>
public sealed record MethodResult(string Method, ScanCurve Scan, double? ReweightedZ, double TruthAuc, double MaxSic, double[] SignalEfficiency, double[] Sic,
    double[] Sculpting);

/// <summary>
/// The methods stage: each method's out-of-fold scores of the channel's events from a k-fold BDT ensemble through the
/// boosting seam (the run's BDT settings and fold scheme; each saved as models/bdt-METHOD-CHANNEL.json, ANODE's flows as flow-anode-CHANNEL-F.json, and reused by --reuse when trained on the same inputs), then the statistics every method
/// shares. CATHODE's own scores come from the classifier stage.
/// </summary>
internal static class CathodeMethods
{
    /// <summary>The maximum SIC is taken over working points that keep at least this many SR background events (SPEC 6).</summary>
    public const int MinBackgroundForSic = 100;

    /// <summary>
    /// The results of <paramref name="methods"/> (CATHODE's from <paramref name="st"/>'s scores). <paramref name="background"/>
    /// is the background-only sample <see cref="AnomalyMethod.Idealized"/> needs.
    /// </summary>
    public static MethodResult[] Of(RunContext run, CathodeConfig c, CathodeAnalysis.ChannelState st, CathodeBackground.BackgroundSamples bg,
        CathodePreprocessing pre, IReadOnlyList<AnomalyMethod> methods, CathodeChannelData? background)
    {
        var data = st.Data;
        Require(data, methods, background);
        var fitter = ProfileLikelihoodFitter.For(run.Device);
        var model = new BackgroundModel(CathodeAnalysis.Binning(c, c.Statistics.BinsSr), c.Statistics.Degree);
        // The statistics stage's events and working points, so that CATHODE's entry is its scan.
        var (inRange, masses, sideband, truth, fprs) = CathodeStatistics.ScanInputs(c, st);
        var seeds = CathodeBackground.Seeds(c, data.Channel)["methods"];
        var results = new List<MethodResult>();
        foreach (var method in methods.Distinct())
        {
            string name = method.Text();
            var scores = run.Time($"method {name} ({data.Channel})", () => method == AnomalyMethod.Cathode
                ? st.Scores
                : Scores(run, c, data, st.Band, pre, bg, method, background, seeds));
            results.Add(Evaluate(name, model, fitter, masses, inRange.Select(i => scores[i]).ToArray(), sideband, fprs, truth, null, data, st.Band, scores));
        }
        return results.ToArray();
    }

    /// <summary>
    /// The statistics every method shares (SPEC 6), for the scores <paramref name="inRange"/> of the events at
    /// <paramref name="masses"/>: the working-point scan over <paramref name="fprs"/> (all fitted in one batch), and for
    /// <paramref name="trained"/> scores the reweighted Z and the truth figures (AUC, max SIC, SIC curve from
    /// <paramref name="allScores"/> of <paramref name="data"/>'s events in <paramref name="band"/>); the sculpting of every cut.
    /// Used by the methods stage of `fastad cathode` and by every window of the scan.
    /// </summary>
    internal static MethodResult Evaluate(string name, BackgroundModel model, ProfileLikelihoodFitter fitter, double[] masses, double[] inRange, bool[] sideband,
        double[] fprs, double[]? truth, double[]? rocSampleScores, CathodeChannelData data, MassBand[] band, double[] allScores, bool trained = true)
    {
        var scan = WorkingPointScan.Scan(name, model, fitter, masses, inRange, sideband, fprs, truth, rocSampleScores);
        var reweighted = trained ? WorkingPointScan.Reweight(fitter, model, masses, inRange)?.Z : null;
        var (auc, maxSic, eff, sic) = trained ? Sic(data, band, allScores) : (double.NaN, double.NaN, [], []);
        var sculpting = scan.Points.Select(p => Sculpting(model.Binning, masses, inRange, sideband, p.Cut)).ToArray();
        return new MethodResult(name, scan, reweighted, auc, maxSic, eff, sic, sculpting);
    }

    /// <summary>Whether <paramref name="method"/> builds on the sideband flows (the background stage).</summary>
    public static bool UsesFlows(AnomalyMethod method) => method is AnomalyMethod.Cathode or AnomalyMethod.Anode or AnomalyMethod.Lacathode;

    /// <summary>
    /// The score of every event of <paramref name="data"/> under <paramref name="method"/> (any but CATHODE, whose scores
    /// are the classifier stage's): <paramref name="pre"/> and <paramref name="bg"/> are needed by the methods that
    /// <see cref="UsesFlows"/>, <paramref name="background"/> by <see cref="AnomalyMethod.Idealized"/>; each method's
    /// streams are <paramref name="seeds"/>' node of its name.
    /// With <paramref name="keepModels"/> the method's BDT ensemble is saved in the run's model store (and reused with
    /// --reuse); the scan keeps whole windows instead (window.json) and does not fill every window's folder with each
    /// method's ensemble.
    /// </summary>
    public static double[] Scores(RunContext run, CathodeConfig c, CathodeChannelData data, MassBand[] band, CathodePreprocessing? pre,
        CathodeBackground.BackgroundSamples? bg, AnomalyMethod method, CathodeChannelData? background, SeedTree seeds, bool keepModels = true)
    {
        string name = method.Text();
        if (UsesFlows(method) && (pre is null || bg is null)) throw new InvalidOperationException($"--method {name} needs the sideband flows, which were not trained.");
        return method switch
        {
            AnomalyMethod.Cathode => throw new InvalidOperationException("CATHODE's scores are the classifier stage's (CathodeClassifier.Train)."),
            AnomalyMethod.Cwola => AllRowsTrain(run, c, ClassifierBlock.Of(data, c), name, seeds[name].Seed, keepModels),
            AnomalyMethod.Lacathode => Latent(run, c, data, pre!, bg!, name, seeds[name], keepModels),
            AnomalyMethod.Anode => Anode(run, c, data, band, pre!, bg!, name, seeds[name], keepModels),
            AnomalyMethod.Idealized => Trained(run, c, ClassifierBlock.Of(data, c), SrFeatures(background!, c), name, seeds[name].Seed, keepModels),
            _ => Supervised(run, c, data, band, name, seeds[name].Seed, keepModels),
        };
    }

    /// <summary>Clear errors, before anything is trained, when a method lacks what it needs.</summary>
    public static void Require(CathodeChannelData data, IReadOnlyList<AnomalyMethod> methods, CathodeChannelData? background)
    {
        if (methods.Contains(AnomalyMethod.Supervised) && data.Truth is null)
            throw new ArgumentException($"{data.Source}: --method supervised needs a truth column (1 = signal, 0 = background); the events have none.");
        if (methods.Contains(AnomalyMethod.Idealized) && background is null)
            throw new ArgumentException("--method idealized needs a background-only sample of the same process: give --background FILE (with --generate the generator's is used).");
    }

    /// <summary>
    /// Out-of-fold scores of CATHODE's k-fold ensemble (SPEC 1.5 rotation: the sidebands scored, not trained on) of
    /// <paramref name="block"/>'s SR (1) against <paramref name="samples"/> (0).
    /// </summary>
    private static double[] Trained(RunContext run, CathodeConfig c, ClassifierBlock block, double[] samples, string name, ulong seed, bool keep)
    {
        var data = block.Events;
        var matrix = ClassifierMatrix.Build([block], samples, data.D, samplesFirst: false);
        var ensemble = Train(run, c, data, matrix.Columns, matrix.Labels, matrix.Folds(0, c.Bdt.Folds, seed), name, seed, keep);
        return matrix.Scatter(0, ensemble.OutOfFoldScores(ensemble.Binner.Transform(matrix.Columns)));
    }

    /// <summary>Out-of-fold scores of a plain k-fold ensemble in which every row of <paramref name="block"/> trains: its SR rows (1) against its sideband rows (0).</summary>
    private static double[] AllRowsTrain(RunContext run, CathodeConfig c, ClassifierBlock block, string name, ulong seed, bool keep)
    {
        var data = block.Events;
        var matrix = ClassifierMatrix.Build([block], [], data.D, samplesFirst: false);
        var ensemble = Train(run, c, data, matrix.Columns, matrix.Labels, CathodeFolds.AllRows(matrix.Labels, c.Bdt.Folds, seed), name, seed, keep);
        return matrix.Scatter(0, ensemble.OutOfFoldScores(ensemble.Binner.Transform(matrix.Columns)));
    }

    /// <summary>
    /// The method's k-fold ensemble on <paramref name="columns"/> and <paramref name="labels"/>: reused from the run's model
    /// store (<c>models/bdt-METHOD-CHANNEL.json</c>) with <c>--reuse</c> when it was trained on the same matrix, folds and
    /// settings, else trained and saved there.
    /// </summary>
    private static Ensemble Train(RunContext run, CathodeConfig c, CathodeChannelData data, double[][] columns, double[] labels, FoldSplit[] folds, string name,
        ulong seed, bool keep)
    {
        string stage = $"method {name} {data.Channel}";
        int total = folds.Length * c.Bdt.Members;
        var p = c.BoostingParameters(data.Channel);
        string file = CathodeModels.MethodBdtFile(name, data.Channel), group = CathodeModels.MethodBdtGroup(name, data.Channel);
        string inputs = "";
        if (keep)
        {
            // Everything the ensemble depends on: the matrix (which holds the flows' samples or latents where a method uses them), the folds and the settings.
            var parts = new List<object> { "method bdt v1", name, YamlConfig.ToYaml(c.Bdt), p.ToString()!, seed, labels };
            parts.AddRange(columns);
            parts.AddRange(folds.SelectMany(f => new[] { f.Train, f.Validation, f.Test }).Select(ix => ix.Select(i => (double)i).ToArray()));
            inputs = ModelFingerprint.Of(parts.ToArray());
            var saved = run.Models.OpenSingle(run, stage, file, group, inputs, path => ModelFile.Load(path, CathodeModels.MethodBdtIdentity(name, data.Channel, inputs)));
            if (saved is not null) return saved;
        }
        run.Report(stage, 0, total, $"{total} models on {labels.Length:N0} rows {Ensemble.PathOn(run.Device, p)}");
        var binner = QuantileBinner.Fit(data.FeatureNames, columns, seed: seed + 1);
        var e = Ensemble.Train(run.Device, binner, binner.Transform(columns), labels, folds, c.Bdt.Members, p,
            new CallbackProgress<int>(n => run.Report(stage, n, total)), run.Cancel);
        run.Report(stage, total, total);
        if (keep) run.Models.SaveSingle(file, group, inputs, path => ModelFile.Save(path, e, CathodeModels.MethodBdtIdentity(name, data.Channel, inputs)));
        return e;
    }

    /// <summary>The physical features of <paramref name="events"/>' SR events.</summary>
    private static double[] SrFeatures(CathodeChannelData events, CathodeConfig c)
    {
        var sr = Enumerable.Range(0, events.Rows).Where(i => c.Regions.BandOf(events.Mass[i]) == MassBand.Sr).ToArray();
        return Rows.Gather(events.Features, sr, events.D);
    }

    /// <summary>
    /// LaCATHODE: every event mapped to z = T(x|m) by flow i mod E (through the evaluation seam), the classifier of SR
    /// latents (1) against as many standard-normal draws as CATHODE has samples (0), in CATHODE's fold rotation (the
    /// sideband latents are scored, not trained on).
    /// </summary>
    private static double[] Latent(RunContext run, CathodeConfig c, CathodeChannelData data, CathodePreprocessing pre, CathodeBackground.BackgroundSamples bg,
        string name, SeedTree seeds, bool keep)
    {
        using var evaluator = FlowEvaluator.For(run.Device, bg.Flows, FlowPrecision.Double);
        var z = evaluator.LatentRoundRobin(pre.Features(data.Features), pre.Masses(data.Mass), data.Rows);
        var normal = new double[bg.TrainingSamples.Length];
        Philox4x32.FillNormal(normal, seeds["normal"].Seed, 0);
        return Trained(run, c, ClassifierBlock.Of(data with { Features = z }, c), normal, name, seeds["folds"].Seed, keep);
    }

    /// <summary>
    /// ANODE: k SPEC 1.3 flows p_data(x|m) on the SR data, flow f trained on the SR events outside fold f (80/20 split for
    /// its validation, the run's flow settings); an SR event's ln p_data is its held-out flow's, any other event's that of
    /// flow (i mod k). Score = σ(ln p_data − ln p_bg), p_bg the mean density of the sideband flows, σ the logistic function
    /// (a score in [0, 1] with the ratio's order). Both densities are of the preprocessed features, whose Jacobian cancels.
    /// </summary>
    private static double[] Anode(RunContext run, CathodeConfig c, CathodeChannelData data, MassBand[] band, CathodePreprocessing pre,
        CathodeBackground.BackgroundSamples bg, string name, SeedTree seeds, bool keep)
    {
        int d = data.D, k = c.Bdt.Folds, n = data.Rows;
        var z = pre.Features(data.Features);
        var m = pre.Masses(data.Mass);
        var sr = Enumerable.Range(0, n).Where(i => band[i] == MassBand.Sr).ToArray();
        var fold = new int[n];
        for (int i = 0; i < n; i++) fold[i] = i % k;
        var u = new double[sr.Length];
        Philox4x32.FillUniform(u, seeds["folds"].Seed, 0);
        var order = Enumerable.Range(0, sr.Length).OrderBy(i => u[i]).ToArray();
        for (int r = 0; r < sr.Length; r++) fold[sr[order[r]]] = (int)((long)r * k / sr.Length);
        var flows = new Spec13AffineMaf[k];
        string stage = $"method {name} {data.Channel}";
        var settings = Enumerable.Range(0, k).Select(f => c.FlowOptions() with { Seed = seeds["shuffle"][f].Seed }).ToArray();
        run.Report(stage, 0, k, $"{k} flows on the SR data, one per fold, {FlowTraining.PathOn(run.Device, [new Spec13AffineMaf(d, 1, c.Flows.Hidden, c.Flows.Blocks, 0)], [settings[0]])}");
        int done = 0;
        Parallel.For(0, k, new ParallelOptions { CancellationToken = run.Cancel }, f =>
        {
            var rows = sr.Where(i => fold[i] != f).ToArray();
            var split = new double[rows.Length];
            Philox4x32.FillUniform(split, seeds["validation"][f].Seed, 0);
            int nVal = Math.Max(1, (int)Math.Round(rows.Length * c.Flows.ValidationFraction));
            var shuffled = Enumerable.Range(0, rows.Length).OrderBy(i => split[i]).Select(i => rows[i]).ToArray();
            var val = shuffled[..nVal];
            var train = shuffled[nVal..];
            if (train.Length == 0)
                throw new ArgumentException($"{data.Source}: {sr.Length} SR events leave fold {f}'s ANODE flow nothing to train on; --method anode needs more SR events.");
            var (xt, mt, xv, mv) = (Rows.Gather(z, train, d), Rows.Gather(m, train, 1), Rows.Gather(z, val, d), Rows.Gather(m, val, 1));
            // Saved as models/flow-anode-CHANNEL-F.json and reused by --reuse when trained on exactly these events and settings.
            string inputs = keep ? ModelFingerprint.Of("anode flow v1", YamlConfig.ToYaml(c.Flows), settings[f].Seed, seeds["init"][f].Seed, xt, mt, xv, mv) : "";
            string file = CathodeModels.AnodeFlowFile(data.Channel, f), group = CathodeModels.AnodeFlowGroup(data.Channel, f);
            var identity = CathodeModels.AnodeFlowIdentity(data.Channel, f, inputs);
            var flow = keep ? run.Models.OpenSingle(run, stage, file, group, inputs, path => FlowFile.Load(path, identity)) : null;
            if (flow is not { } reused || reused.D != d || reused.C != 1 || reused.Made.Length != c.Flows.Blocks || reused.Made[0].H != c.Flows.Hidden)
            {
                flow = new Spec13AffineMaf(d, 1, c.Flows.Hidden, c.Flows.Blocks, seeds["init"][f].Seed);
                FlowTraining.Train(run.Device, [flow], xt, mt, xv, mv, [settings[f]], cancel: run.Cancel);
                if (keep) run.Models.SaveSingle(file, group, inputs, path => FlowFile.Save(path, flow, identity: identity));
            }
            flows[f] = flow;
            run.Report(stage, Interlocked.Increment(ref done), k);
        });
        using var dataDensity = FlowEvaluator.For(run.Device, flows, FlowPrecision.Double);
        using var bgDensity = FlowEvaluator.For(run.Device, bg.Flows, FlowPrecision.Double);
        var lpData = dataDensity.LogProb(z, m, n);
        var lpBg = bgDensity.LogProb(z, m, n);
        int e = bg.Flows.Length;
        var scores = new double[n];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int g = 0; g < e; g++) max = Math.Max(max, lpBg[g * n + i]);
            for (int g = 0; g < e; g++) sum += Math.Exp(lpBg[g * n + i] - max);
            // The log-likelihood ratio through the logistic function: a score in [0, 1] with the same order (the statistics cut on order).
            double ratio = lpData[fold[i] * n + i] - (max + Math.Log(sum / e));
            scores[i] = 1 / (1 + Math.Exp(-ratio));
        }
        return scores;
    }

    /// <summary>
    /// Supervised: the k-fold ensemble of true signal (1) against true background (0) in the SR, out-of-fold scores for SR
    /// events; sideband events (which it never saw) each get one fold's model (event k the model of fold k mod folds), so
    /// that SR and sideband scores come from single models alike (a mean over the folds is narrower, and a cut fixed on
    /// it would pass more SR events than its sideband FPR says).
    /// </summary>
    private static double[] Supervised(RunContext run, CathodeConfig c, CathodeChannelData data, MassBand[] band, string name, ulong seed, bool keep)
    {
        var sr = Enumerable.Range(0, data.Rows).Where(i => band[i] == MassBand.Sr).ToArray();
        var block = new ClassifierBlock(data, sr.Where(i => data.Truth![i] == 1).ToArray(), sr.Where(i => data.Truth![i] != 1).ToArray());
        if (block.SrRows.Length < c.Bdt.Folds)
            throw new ArgumentException($"{data.Source}: {block.SrRows.Length} true signal events in the SR; --method supervised needs at least {c.Bdt.Folds} (one per fold).");
        var matrix = ClassifierMatrix.Build([block], [], data.D, samplesFirst: false);
        var ensemble = Train(run, c, data, matrix.Columns, matrix.Labels, CathodeFolds.AllRows(matrix.Labels, c.Bdt.Folds, seed), name, seed, keep);
        var scores = matrix.Scatter(0, ensemble.OutOfFoldScores(ensemble.Binner.Transform(matrix.Columns)));
        var sb = Enumerable.Range(0, data.Rows).Where(i => band[i] is MassBand.Sbl or MassBand.Sbh).ToArray();
        var sbScores = CathodeClassifier.PerFold(ensemble, Rows.Gather(data.Features, sb, data.D), data.D);
        for (int k = 0; k < sb.Length; k++) scores[sb[k]] = sbScores[k % sbScores.Length][k];
        return scores;
    }

    /// <summary>
    /// χ²/ndf of the sideband spectrum of events with score ≥ <paramref name="cut"/> against the whole sideband spectrum
    /// scaled to the same total: Σ (n_i − r m_i)² / (r (1 − r) m_i) over bins with events, r = Σn / Σm, ndf = bins − 1 (the
    /// kept events are a binomial subset of the bin's m_i under a cut that does not sculpt; NaN when the cut keeps all).
    /// The cut spectrum is compared with the uncut histogram, not with a polynomial fitted to it.
    /// </summary>
    internal static double Sculpting(BumpHuntBinning binning, double[] masses, double[] scores, bool[] sideband, double cut)
    {
        var edges = new[] { binning.SblEdges, binning.SbhEdges };
        var all = edges.Select(e => new double[e.Length - 1]).ToArray();
        var kept = edges.Select(e => new double[e.Length - 1]).ToArray();
        for (int i = 0; i < masses.Length; i++)
        {
            if (!sideband[i]) continue;
            for (int side = 0; side < 2; side++)
            {
                int b = Array.BinarySearch(edges[side], masses[i]);
                b = b >= 0 ? b : ~b - 1;
                if (b == edges[side].Length - 1 && masses[i] == edges[side][^1]) b--;      // the last edge belongs to the last bin
                if (b < 0 || b >= all[side].Length) continue;
                all[side][b]++;
                if (scores[i] >= cut) kept[side][b]++;
            }
        }
        double n = kept.Sum(k => k.Sum()), m = all.Sum(a => a.Sum());
        if (n == 0 || m == 0 || n >= m) return double.NaN;
        double r = n / m, chi2 = 0;
        int bins = 0;
        for (int side = 0; side < 2; side++)
            for (int b = 0; b < all[side].Length; b++)
            {
                if (all[side][b] == 0) continue;
                double d = kept[side][b] - r * all[side][b];
                chi2 += d * d / (r * (1 - r) * all[side][b]);
                bins++;
            }
        return bins > 1 ? chi2 / (bins - 1) : double.NaN;
    }

    /// <summary>AUC, max SIC (ε_B·N_B ≥ 100) and the SIC curve of SR signal against SR background; NaN without truth.</summary>
    private static (double Auc, double MaxSic, double[] Efficiency, double[] Sic) Sic(CathodeChannelData data, MassBand[] band, double[] scores)
    {
        if (data.Truth is null) return (double.NaN, double.NaN, [], []);
        var sr = Enumerable.Range(0, data.Rows).Where(i => band[i] == MassBand.Sr).ToArray();
        var sig = sr.Where(i => data.Truth[i] == 1).Select(i => scores[i]).ToArray();
        var bkg = sr.Where(i => data.Truth[i] != 1).Select(i => scores[i]).ToArray();
        if (sig.Length == 0 || bkg.Length == 0) return (double.NaN, double.NaN, [], []);
        var roc = ClassifierMetrics.Roc(sig, bkg);
        var sic = roc.Sic;
        double max = double.NaN;
        var eff = new List<double>();
        var curve = new List<double>();
        for (int i = 0; i < sic.Length; i++)
        {
            if (!(roc.Fpr[i] * bkg.Length >= MinBackgroundForSic) || double.IsNaN(sic[i])) continue;
            if (double.IsNaN(max) || sic[i] > max) max = sic[i];
            eff.Add(roc.Tpr[i]);
            curve.Add(sic[i]);
        }
        // At most about 200 points of the curve for the report.
        int step = Math.Max(1, eff.Count / 200);
        return (roc.Auc, max, eff.Where((_, i) => i % step == 0).ToArray(), curve.Where((_, i) => i % step == 0).ToArray());
    }
}
