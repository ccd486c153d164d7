using System.Diagnostics;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Conrad;

/// <summary>What a CONRAD run needs.</summary>
/// <param name="Config">Hyperparameters.</param>
/// <param name="Input">Data, template and (generated runs) the idealised and supervised references.</param>
/// <param name="OutDir">Where trained models go (each saved as soon as it is trained).</param>
/// <param name="Preset">Preset the config started from (for the report).</param>
/// <param name="Reuse">Load the flows and classifiers saved in <paramref name="OutDir"/> when they were trained from the same inputs.</param>
public sealed record ConradRequest(ConradConfig Config, ConradInput Input, string OutDir, string Preset, bool Reuse = false);

/// <summary>
/// The CONRAD analysis of SPEC 2: a conditional RQS flow ensemble p_bg(x | MET) on the background template; the data
/// mapped to latents z; leaf-wise HGB ensembles separating data latents from standard-normal samples, trained on one
/// data half and evaluated on the other; the ABCD estimate between the score and MET with its closure; SIC curves of
/// the supervised, idealised (x and z) and realistic classifiers; S/√B against injected signal.
/// </summary>
public static partial class ConradAnalysis
{
    /// <summary>Per-event outputs kept for the report (data rows of the full sample).</summary>
    public sealed class State
    {
        internal State(ConradInput input) => (Data, Input) = (input.Data, input);
        /// <summary>The data.</summary>
        public ConradSample Data { get; }
        /// <summary>Everything the run worked on (template, perfect background, independent test set) for the report's figures.</summary>
        public ConradInput Input { get; }
        /// <summary>Latents (rows × D).</summary>
        public double[] Latent { get; internal set; } = [];
        /// <summary>Data fold of each event (0 … classifier.folds − 1; with two folds the paper's halves).</summary>
        public int[] Fold { get; internal set; } = [];
        /// <summary>Full-data scores of each classifier (realistic, supervised, idealised-x, idealised-z).</summary>
        public Dictionary<string, double[]> Scores { get; } = [];
        /// <summary>Scores of the independent test set's events under each classifier (every model of its ensemble averaged).</summary>
        public Dictionary<string, double[]> TestScores { get; } = [];
    }

    /// <summary>Name of the realistic classifier on the full data.</summary>
    public const string Realistic = "realistic";

    /// <summary>Runs everything.</summary>
    public static (ConradResults Results, State State) Run(ConradRequest request, ComputeDevice device, IProgress<StageProgress>? progress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Run(request, new RunContext(device, new ModelStore(request.OutDir, request.Reuse, "conrad"), progress, cancel));
    }

    /// <summary>Runs the stages in <paramref name="run"/>: flows, latent map, classifiers, statistics (on the data and on the independent test set).</summary>
    public static (ConradResults Results, State State) Run(ConradRequest request, RunContext run)
    {
        ArgumentNullException.ThrowIfNull(request);
        var c = request.Config;
        c.Validate();
        var input = request.Input;
        ConradData.Check(input, c);
        var data = input.Data;
        int d = data.D;
        var st = new State(input);
        Directory.CreateDirectory(run.Models.Folder);
        var bounded = input.FeatureNames.Select(f => c.Columns.Bounded.Contains(f)).ToArray();
        var pre = ConradPreprocessing.Fit(input.Template, bounded, c.Regions.Trigger);

        // Stage 1: the flow ensemble on the template.
        var (flows, flowSummaries) = run.Time("flows", () => TrainFlows(run, request, pre));
        run.ThrowIfCancelled();

        // Stage 2: latents of the data (and of the perfect background for the idealised-z classifier).
        var (perfectLatent, latentMean, latentStd) = run.Time("latent map", () =>
        {
            run.Report("latent map", 0, 1);
            st.Latent = Map(run.Device, flows, pre, data);
            var p = input.PerfectBackground is null ? null : Map(run.Device, flows, pre, input.PerfectBackground);
            var mean = new double[d];
            var std = new double[d];
            for (int j = 0; j < d; j++)
            {
                var col = Enumerable.Range(0, data.Rows).Select(i => st.Latent[i * d + j]).ToArray();
                mean[j] = col.Average();
                std[j] = Math.Sqrt(col.Sum(v => (v - mean[j]) * (v - mean[j])) / Math.Max(1, col.Length - 1));
            }
            run.Report("latent map", 1, 1, $"{data.Rows:N0} data events");
            return (p, mean, std);
        });

        // Data folds (fixed for every classifier; two folds are the paper's halves, the stream keeps its old name) and the
        // standard-normal reference latents.
        var u = new double[data.Rows];
        Philox4x32.FillUniform(u, Seeds(c)["halves"].Seed, 0);
        int nFolds = c.Classifier.Folds;
        st.Fold = u.Select(v => Math.Min(nFolds - 1, (int)(v * nFolds))).ToArray();
        int nRef = Math.Max(2, (int)Math.Round(c.Classifier.ReferenceRatio * data.Rows));
        var normal = new double[nRef * d];
        Philox4x32.FillNormal(normal, Seeds(c)["reference-latents"].Seed, 0);

        // Injection levels: background plus the first k signal events in a seeded order; the full data last.
        var levels = InjectionLevels(c, data, out var signalOrder);
        var summaries = new List<ConradClassifierSummary>();
        var trained = new Dictionary<string, Ensemble>();
        var injections = new List<ConradInjection>();
        var p = c.BoostingParameters();
        foreach (int k in levels)
        {
            run.ThrowIfCancelled();
            bool full = k == levels[^1];
            var rows = full ? Enumerable.Range(0, data.Rows).ToArray() : LevelRows(data, signalOrder, k);
            string name = full ? Realistic : $"realistic, {k} signal";
            var scores = run.Time("classifiers", () =>
            {
                var x = Rows.Gather(st.Latent, rows, d);
                int refRows = Math.Max(2, (int)Math.Round(c.Classifier.ReferenceRatio * rows.Length));
                var (s, summary, ensemble) = ByFolds(run, request, name, full ? "model-realistic" : $"model-realistic-{k}",
                    $"data latents against standard-normal samples ({k switch { < 0 => "data as given", _ => $"{k} signal events" }})",
                    x, rows.Select(i => st.Fold[i]).ToArray(), normal.AsSpan(0, refRows * d).ToArray(), p);
                summaries.Add(summary);
                if (full) trained[Realistic] = ensemble;
                return s;
            });
            var scoresAll = new double[data.Rows];
            Array.Fill(scoresAll, double.NaN);
            for (int i = 0; i < rows.Length; i++) scoresAll[rows[i]] = scores[i];
            if (full) st.Scores[Realistic] = scoresAll;
            injections.Add(run.Time("statistics", () => Injection(c, data, rows, scores, k)));
        }

        // Reference classifiers on the full data (generated runs and data with truth).
        run.ThrowIfCancelled();
        run.Time("classifiers", () =>
        {
            var all = Enumerable.Range(0, data.Rows).ToArray();
            if (input.PerfectBackground is { } perfect)
            {
                var (sx, sumx, ex) = ByFolds(run, request, "idealised-x", "model-idealised-x", "data against a perfect background sample, in x",
                    pre.Features(data.Features), st.Fold, pre.Features(perfect.Features), p);
                st.Scores["idealised-x"] = sx;
                summaries.Add(sumx);
                trained["idealised-x"] = ex;
                var (sz, sumz, ez) = ByFolds(run, request, "idealised-z", "model-idealised-z", "data latents against the perfect background's latents",
                    st.Latent, st.Fold, perfectLatent!, p);
                st.Scores["idealised-z"] = sz;
                summaries.Add(sumz);
                trained["idealised-z"] = ez;
            }
            if (input.Supervised is { Truth: not null } sup)
            {
                var (ss, sums, es) = Supervised(run, request, pre.Features(sup.Features), sup.Truth, pre.Features(data.Features), p);
                st.Scores["supervised"] = ss;
                summaries.Add(sums);
                trained["supervised"] = es;
            }
            else if (data.Truth is { } truth && truth.Count(t => t == 1) >= 4)
            {
                var (ss, sums, es) = FoldsLabelled(run, request, pre.Features(data.Features), truth, st.Fold, p);
                st.Scores["supervised"] = ss;
                summaries.Add(sums);
                trained["supervised"] = es;
            }
            return 0;
        });

        // The independent test set through the same latent map and classifiers (every model of each ensemble averaged).
        if (input.Test is { } test)
            run.Time("test set", () =>
            {
                run.Report("test set", 0, 1);
                var testLatent = Map(run.Device, flows, pre, test);
                var testX = pre.Features(test.Features);
                foreach (var (name, ensemble) in trained)
                    st.TestScores[name] = ScoreAll(ensemble, name is Realistic or "idealised-z" ? testLatent : testX, d);
                run.Report("test set", 1, 1, $"{test.Rows:N0} signal-region events scored by {trained.Count} classifiers");
                return 0;
            });
        var sic = run.Time("statistics", () => SicCurves(c, data, st.Scores));
        var testSic = input.Test is { } ts ? run.Time("statistics", () => SicCurves(c, ts, st.TestScores)) : [];
        var last = injections[^1];
        var zero = injections.FirstOrDefault(i => i.Injected == 0);
        double worstPull = zero is null ? double.NaN
            : zero.Points.Where(q => double.IsFinite(q.RatioAllEvents)).Select(q => Math.Abs(q.RatioAllEvents - 1) / q.RatioAllEventsError).DefaultIfEmpty(double.NaN).Max();
        var wp = WorkingPoints(c, last);
        var headline = new ConradHeadline(sic.ToDictionary(s => s.Name, s => s.MaxSic), worstPull,
            [last.SOverSqrtBNoCut, .. wp.Select(q => q.SOverSqrtB)], [double.NaN, .. wp.Select(q => q.ObservedZ)], testSic.ToDictionary(s => s.Name, s => s.MaxSic));
        var results = new ConradResults(typeof(ConradAnalysis).Assembly.GetName().Version?.ToString() ?? "", run.Device.Id, input.Description, request.Preset, c,
            data.Rows, data.Met.Count(m => m >= c.Regions.SignalRegion), input.Template.Rows, flowSummaries, latentMean, latentStd, summaries.ToArray(),
            sic, testSic, input.TestSet, injections.ToArray(), headline, run.Seconds);
        return (results, st);
    }

    /// <summary>The scan points nearest to the configured working points.</summary>
    public static ConradWorkingPoint[] WorkingPoints(ConradConfig c, ConradInjection level) =>
        c.Statistics.WorkingPoints.Select(f => level.Points.MinBy(q => Math.Abs(Math.Log(q.TargetFpr / f)))!).ToArray();

    // ---------------------------------------------------------------- flows

    private static (NflowsMaf[] Flows, ConradFlowSummary[] Summaries) TrainFlows(RunContext run, ConradRequest request, ConradPreprocessing pre)
    {
        var c = request.Config;
        var t = request.Input.Template;
        int d = t.D;
        // A seeded order of the template: the first train_events (or all) used, the first validation_fraction of those for validation.
        var order = EventOrder(t.Rows, Seeds(c)["flows"]["template-order"]);
        int used = c.Flows.TrainEvents > 0 ? Math.Min(c.Flows.TrainEvents, t.Rows) : t.Rows;
        int nVal = Math.Max(1, (int)Math.Round(used * c.Flows.ValidationFraction));
        var valRows = order.Take(nVal).ToArray();
        var trainRows = order.Skip(nVal).Take(used - nVal).ToArray();
        if (trainRows.Length == 0) throw new ArgumentException($"flows.train_events = {used} leaves no training events after the validation split.");
        var x = pre.FlowInputs(t.Features, t.Met);
        var cond = pre.FlowConditions(t.Met);
        var xTrain = Rows.Gather(x, trainRows, d);
        var xVal = Rows.Gather(x, valRows, d);
        var cTrain = Rows.Gather(cond, trainRows, 1);
        var cVal = Rows.Gather(cond, valRows, 1);
        // Each flow file carries its identity (member k of CONRAD's flows trained from these inputs and this configuration)
        // and the preprocessing that maps raw features and MET to its inputs (for `fastad flow-latent`).
        string flowInputs = ModelFingerprint.Of("conrad flows v2", YamlConfig.ToYaml(c.Flows), c.Seed, xTrain, cTrain, xVal, cVal);
        ModelIdentity Identity(int k) => new("conrad", null, k.ToString(System.Globalization.CultureInfo.InvariantCulture), flowInputs);
        var reusable = run.Models.OpenMembers(run, "flows", "CONRAD flows", "flows", flowInputs, c.Flows.Ensemble, FlowFileName,
            (path, k) => FlowFile.LoadEnsemble(path, Identity(k)).Ensemble.Members[0] as NflowsMaf
                         ?? throw new ModelMismatchException(path, "holds another kind of flow", "an RQS flow"),
            f => f.D == d && f.C == 1 && f.Transforms == c.Flows.Blocks && f.Blocks[0].H == c.Flows.Hidden && f.Blocks[0].Bins == c.Flows.Bins);
        var members = FlowStage.Train(run, c.Flows.Ensemble, k => reusable[k],
            k =>
            {
                var f = new NflowsMaf(d, 1, c.Flows.Hidden, c.Flows.Blocks, AutoregressiveTransform.RationalQuadratic, c.Flows.Bins,
                    c.Flows.TailBound, seed: Seeds(c)["flows"][k]["init"].Seed);
                // The flow starts independent of MET and acquires a MET dependence only where the likelihood asks for one:
                // random initial condition weights leave a dependence that a short training does not remove (it costs
                // ~10⁻³ nats), and the ABCD closure needs the latents independent of MET at the percent level.
                foreach (var b in f.Blocks) Array.Clear(b.Condition!.Weight);
                return f;
            },
            c.FlowOptions,
            (k, flow) => FlowFile.Save(run.Models.PathOf(FlowFileName(k)), new FlowEnsemble([flow], ConditionRange.Of(cTrain, 1)),
                featureNames: request.Input.FeatureNames, conditionNames: [c.Columns.Met], identity: Identity(k), preprocessing: pre.ToSaved()),
            xTrain, cTrain, xVal, cVal, c.Flows.Epochs, "flows",
            $"{c.Flows.Ensemble} RQS flows on {trainRows.Length:N0} + {valRows.Length:N0} template events");
        var summaries = members.Select((mb, k) => mb.Training is { } r
            ? new ConradFlowSummary(k, r.BestEpoch, r.ValidationLoss[r.BestEpoch], r.TrainLoss, r.ValidationLoss)
            : new ConradFlowSummary(k, -1, FlowTrainer.ValidationLoss(mb.Flow, xVal, cVal, valRows.Length), [], [])).ToArray();
        return (members.Select(mb => mb.Flow).ToArray(), summaries);
    }

    /// <summary>File of flow member <paramref name="k"/> in the models folder.</summary>
    public static string FlowFileName(int k) => $"flow-{k}.json";

    /// <summary>Where each stage of a run with <paramref name="c"/> computes on <paramref name="device"/>, from the engines' seams (for the run's summary line).</summary>
    public static string DevicePlan(ConradConfig c, ComputeDevice device)
    {
        // The path depends on the flows' kind and settings, not on the data: three features stand in for the data's.
        var flows = Enumerable.Range(0, c.Flows.Ensemble).Select(k => (IConditionalFlow)new NflowsMaf(3, 1, c.Flows.Hidden, c.Flows.Blocks,
            AutoregressiveTransform.RationalQuadratic, c.Flows.Bins, c.Flows.TailBound, seed: (ulong)k)).ToArray();
        var options = Enumerable.Range(0, c.Flows.Ensemble).Select(c.FlowOptions).ToArray();
        return $"flows {FlowTraining.PathOn(device, flows, options)}; classifiers {Ensemble.PathOn(device, c.BoostingParameters())}; " +
               $"latent map {FlowEvaluator.PathOn(device, flows, FlowPrecision.Double)}; ABCD on the managed CPU path";
    }

    /// <summary>The run's node of its seed tree, <c>conrad</c>: every random stream of the analysis hangs below it.</summary>
    private static SeedTree Seeds(ConradConfig c) => SeedTree.Of(c.Seed)["conrad"];

    private static int[] EventOrder(int n, SeedTree node)
    {
        var u = new double[n];
        Philox4x32.FillUniform(u, node.Seed, 0);
        return Enumerable.Range(0, n).OrderBy(i => u[i]).ToArray();
    }

    /// <summary>
    /// z = T(x | MET): event i is mapped by member i mod ensemble size (each member's latents are standard normal for background),
    /// on the path the flow-evaluation seam gives <paramref name="device"/> (RQS MAF kernels on OpenCL/CUDA, in double precision).
    /// </summary>
    public static double[] Map(ComputeDevice device, IReadOnlyList<NflowsMaf> flows, ConradPreprocessing pre, ConradSample sample)
    {
        var x = pre.FlowInputs(sample.Features, sample.Met);
        var cond = pre.FlowConditions(sample.Met);
        using var evaluator = FlowEvaluator.For(device, flows, FlowPrecision.Double);
        return evaluator.LatentRoundRobin(x, cond, sample.Rows);
    }

    // ---------------------------------------------------------------- classifiers

    private static int[] InjectionLevels(ConradConfig c, ConradSample data, out int[] signalOrder)
    {
        if (data.Truth is null)
        {
            signalOrder = [];
            return [-1];
        }
        var signal = Enumerable.Range(0, data.Rows).Where(i => data.Truth[i] == 1).ToArray();
        var order = EventOrder(signal.Length, Seeds(c)["signal-order"]);
        signalOrder = order.Select(i => signal[i]).ToArray();
        int available = signal.Length;
        return c.Generation.Injections.Where(k => k < available).Append(available).Distinct().Order().ToArray();
    }

    private static int[] LevelRows(ConradSample data, int[] signalOrder, int k)
    {
        var keep = new bool[data.Rows];
        for (int i = 0; i < data.Rows; i++) keep[i] = data.Truth![i] != 1;
        for (int i = 0; i < k; i++) keep[signalOrder[i]] = true;
        return Enumerable.Range(0, data.Rows).Where(i => keep[i]).ToArray();
    }

    /// <summary>
    /// Group g of a K-fold split: fold (g + 1) mod K is scored, the other folds' rows train (with two folds group g trains
    /// on half g and scores the other half, as the paper's halves do).
    /// </summary>
    private static int ScoredFold(int group, int folds) => (group + 1) % folds;

    /// <summary>
    /// Data rows (label 1, with their fold) against reference rows (label 0, folds by index mod K); for each group g and
    /// model m a fresh 75/25 split of the rows outside the scored fold trains one model, which scores the data of that
    /// fold. Returns the data rows' mean scores.
    /// </summary>
    private static (double[] Scores, ConradClassifierSummary Summary, Ensemble Ensemble) ByFolds(RunContext run, ConradRequest request, string name, string file,
        string description, double[] dataX, int[] fold, double[] refX, BoostingParameters p)
    {
        int d = request.Input.Data.D, n = fold.Length, r = refX.Length / d, k = request.Config.Classifier.Folds;
        var x = dataX.Concat(refX).ToArray();
        var labels = Enumerable.Range(0, n + r).Select(i => i < n ? 1.0 : 0.0).ToArray();
        var groups = Enumerable.Range(0, k).Select(g =>
        (
            Pool: Enumerable.Range(0, n).Where(i => fold[i] != ScoredFold(g, k)).Concat(Enumerable.Range(n, r).Where(i => (i - n) % k != ScoredFold(g, k))).ToArray(),
            Test: Enumerable.Range(0, n).Where(i => fold[i] == ScoredFold(g, k)).ToArray()
        )).ToArray();
        return Train(run, request, name, file, description, x, labels, groups, n, p);
    }

    /// <summary>Supervised by folds: the data's truth labels, the other folds train, each fold is scored.</summary>
    private static (double[] Scores, ConradClassifierSummary Summary, Ensemble Ensemble) FoldsLabelled(RunContext run, ConradRequest request, double[] x, double[] truth,
        int[] fold, BoostingParameters p)
    {
        int n = fold.Length, k = request.Config.Classifier.Folds;
        var groups = Enumerable.Range(0, k).Select(g => (Pool: Enumerable.Range(0, n).Where(i => fold[i] != ScoredFold(g, k)).ToArray(),
            Test: Enumerable.Range(0, n).Where(i => fold[i] == ScoredFold(g, k)).ToArray())).ToArray();
        return Train(run, request, "supervised", "model-supervised", $"truth signal against truth background in the data, by {FoldsText(k)}", x,
            truth.Select(t => t == 1 ? 1.0 : 0.0).ToArray(), groups, n, p);
    }

    /// <summary>"halves" for two folds, "K folds" otherwise.</summary>
    public static string FoldsText(int folds) => folds == 2 ? "halves" : $"{folds} folds";

    /// <summary>Scores of new rows (row-major, D columns) under every model of <paramref name="ensemble"/>, averaged, with its own binning.</summary>
    private static double[] ScoreAll(Ensemble ensemble, double[] rowMajor, int d)
    {
        int rows = rowMajor.Length / d;
        var columns = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, rows).Select(i => rowMajor[i * d + j]).ToArray()).ToArray();
        var all = Enumerable.Range(0, rows).ToArray();
        // The same models with every new row in each fold's test set: MeanTestScores then averages all of them.
        var everywhere = new Ensemble(ensemble.Binner, ensemble.Folds.Select(f => f with { Test = all }).ToArray(), ensemble.Models);
        return everywhere.MeanTestScores(ensemble.Binner.Transform(columns));
    }

    /// <summary>Supervised on a separate labelled sample; every data event is scored.</summary>
    private static (double[] Scores, ConradClassifierSummary Summary, Ensemble Ensemble) Supervised(RunContext run, ConradRequest request, double[] supX, double[] supTruth, double[] dataX,
        BoostingParameters p)
    {
        int n = dataX.Length / request.Input.Data.D, s = supTruth.Length;
        var x = dataX.Concat(supX).ToArray();
        var labels = new double[n].Concat(supTruth.Select(t => t == 1 ? 1.0 : 0.0)).ToArray();
        var groups = new[] { (Pool: Enumerable.Range(n, s).ToArray(), Test: Enumerable.Range(0, n).ToArray()) };
        return Train(run, request, "supervised", "model-supervised", "generated signal against generated background, in x", x, labels, groups, n, p);
    }

    private static (double[] Scores, ConradClassifierSummary Summary, Ensemble Ensemble) Train(RunContext run, ConradRequest request, string name, string file, string description,
        double[] rowMajor, double[] labels, (int[] Pool, int[] Test)[] groups, int scored, BoostingParameters p)
    {
        var c = request.Config;
        int d = request.Input.Data.D, rows = labels.Length, models = c.Classifier.Models;
        var names = request.Input.FeatureNames;
        var columns = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, rows).Select(i => rowMajor[i * d + j]).ToArray()).ToArray();
        var binner = QuantileBinner.Fit(names, columns, seed: Seeds(c)["classifier"]["binning"].Seed);
        var x = binner.Transform(columns);
        var folds = new List<FoldSplit>();
        for (int g = 0; g < groups.Length; g++)
            for (int m = 0; m < models; m++)
            {
                var pool = groups[g].Pool;
                var u = new double[pool.Length];
                Philox4x32.FillUniform(u, Seeds(c)["classifier"]["validation"][g][m].Seed, 0);
                var shuffled = Enumerable.Range(0, pool.Length).OrderBy(i => u[i]).Select(i => pool[i]).ToArray();
                int nVal = (int)Math.Round(shuffled.Length * c.Classifier.ValidationFraction);
                folds.Add(new FoldSplit(shuffled.Skip(nVal).Order().ToArray(), shuffled.Take(nVal).Order().ToArray(), groups[g].Test));
            }
        string stage = $"classifier {name}";
        int total = folds.Count;
        // What the models depend on: the rows and labels, the groups, and every classifier setting (limits, models, the
        // validation fraction that cuts each model's split), written invariantly; the seed gives the splits and the boosting.
        string inputs = ModelFingerprint.Of("conrad classifier v3", name, YamlConfig.ToYaml(c.Classifier), c.Seed, rowMajor, labels, groups.Length);
        var identity = new ModelIdentity("conrad", null, file, inputs);
        var ensemble = run.Models.OpenSingle(run, stage, $"{file}.json", file, inputs, path => ModelFile.Load(path, identity),
            inputsAre: "latents, data or classifier settings");
        if (ensemble is null)
        {
            run.Report(stage, 0, total, $"{total} leaf-wise HGB models on {groups[0].Pool.Length:N0} rows each, {Ensemble.PathOn(run.Device, p)}");
            var bar = new CallbackProgress<int>(k => run.Report(stage, k, total));
            // Distinct seeds per model (sub-sampling is off, so the split is what differs; the seed keeps files reproducible).
            var trained = Ensemble.Train(run.Device, binner, x, labels, folds.ToArray(), 1, p, bar, run.Cancel);
            run.Models.SaveSingle($"{file}.json", file, inputs, path => ModelFile.Save(path, trained, identity));
            ensemble = trained;
        }
        // A reused ensemble scores with its own binning (the one it was trained with).
        var scores = ensemble.MeanTestScores(ReferenceEquals(ensemble.Binner, binner) ? x : ensemble.Binner.Transform(columns)).Take(scored).ToArray();
        var all = ensemble.Models.SelectMany(m => m).ToArray();
        return (scores, new ConradClassifierSummary(name, description, all.Length, all.Average(m => m.Trees.Length), folds.Average(f => f.Train.Length + f.Validation.Length)),
            ensemble);
    }
}
