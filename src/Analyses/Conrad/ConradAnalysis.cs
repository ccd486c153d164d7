using System.Diagnostics;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Conrad;

/// <summary>What a CONRAD run needs.</summary>
/// <param name="Config">Hyperparameters.</param>
/// <param name="Input">Data, template and (generated runs) the idealised and supervised references.</param>
/// <param name="OutDir">Where trained models go (each saved as soon as it is trained).</param>
/// <param name="Preset">Preset the config started from (for the report).</param>
public sealed record ConradRequest(ConradConfig Config, ConradInput Input, string OutDir, string Preset);

/// <summary>
/// Preprocessing fitted on the template. The condition is c = ln(MET / trigger), standardised. Positive features get
/// a log and features in (0, 1) a logit, giving v. For the classifiers in x, v is standardised with the template's
/// mean and standard deviation (<see cref="Features"/>). For the flow, v is standardised conditionally
/// (<see cref="FlowInputs"/>): the template's least-squares line v_j = α_j + β_j c is subtracted and the residual
/// divided by its standard deviation — an affine map for each MET, so the flow still models p(x | MET), but it no
/// longer has to learn the mean shift with MET. That shift is worth only 10⁻³–10⁻² nats of likelihood, so a short
/// training learns it only in part (measured: a residual drift of 0.1–0.2 σ of the latents between MET 700 GeV and
/// the tail), which makes the score depend on MET and breaks the ABCD closure.
/// </summary>
public sealed class ConradPreprocessing
{
    private const double Clip = 1e-6;
    private readonly bool[] _bounded;
    private readonly double[] _mean, _std, _slope, _residualStd;
    private readonly double _trigger, _cMean, _cStd;

    private ConradPreprocessing(bool[] bounded, double[] mean, double[] std, double[] slope, double[] residualStd, double trigger, double cMean, double cStd) =>
        (_bounded, _mean, _std, _slope, _residualStd, _trigger, _cMean, _cStd) = (bounded, mean, std, slope, residualStd, trigger, cMean, cStd);

    /// <summary>Fits the standardisations on the template.</summary>
    public static ConradPreprocessing Fit(ConradSample template, bool[] bounded, double trigger)
    {
        int d = template.D, n = template.Rows;
        var ones = Enumerable.Repeat(1.0, d).ToArray();
        var raw = new ConradPreprocessing(bounded, new double[d], ones, new double[d], ones, trigger, 0, 1);
        var v = raw.Features(template.Features);
        var (m, s) = Standardization.Of(v, d);
        var (cm, cs) = Standardization.Of(raw.Conditions(template.Met), 1);
        var c = new ConradPreprocessing(bounded, m, s, new double[d], ones, trigger, cm[0], cs[0]).Conditions(template.Met);
        // Least squares on the standardised condition (mean 0, variance 1): β_j = cov(v_j, c), residual variance var(v_j) − β_j².
        var slope = new double[d];
        var residualStd = new double[d];
        for (int j = 0; j < d; j++)
        {
            double cov = 0;
            for (int i = 0; i < n; i++) cov += (v[i * d + j] - m[j]) * c[i];
            slope[j] = cov / n;
            residualStd[j] = Math.Sqrt(Math.Max(s[j] * s[j] - slope[j] * slope[j], 1e-12 * s[j] * s[j]));
        }
        return new ConradPreprocessing(bounded, m, s, slope, residualStd, trigger, cm[0], cs[0]);
    }

    /// <summary>Standardised log/logit features, row-major (the classifiers in x).</summary>
    public double[] Features(double[] x)
    {
        int d = _bounded.Length;
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            r[i] = (Transformed(x[i], j) - _mean[j]) / _std[j];
        }
        return r;
    }

    /// <summary>
    /// The flow's inputs: log/logit features with the template's linear dependence on the standardised condition
    /// removed, (v_j − α_j − β_j c) / σ_j, row-major.
    /// </summary>
    public double[] FlowInputs(double[] x, double[] met)
    {
        int d = _bounded.Length;
        if (x.Length != met.Length * d) throw new ArgumentException($"{x.Length} feature values for {met.Length} events of {d} features.");
        var c = Conditions(met);
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int j = i % d;
            r[i] = (Transformed(x[i], j) - _mean[j] - _slope[j] * c[i / d]) / _residualStd[j];
        }
        return r;
    }

    /// <summary>Standardised ln(MET / trigger).</summary>
    public double[] Conditions(double[] met) => met.Select(m => (Math.Log(m / _trigger) - _cMean) / _cStd).ToArray();

    /// <summary>
    /// The flow's condition: the standardised ln(MET / trigger) squashed smoothly beyond ±<see cref="ConditionRange"/>,
    /// B tanh(c / B). ln MET is exponential above the trigger, so the standardised condition runs out to 7–10 in the
    /// MET tail (the signal region starts at about 1); unsquashed, the few tail events drive the condition weights
    /// of a short Adam training in a random walk that the likelihood hardly penalises, and the latents of the
    /// signal region drift. The map is monotone, so the flow is still a density conditional on MET.
    /// </summary>
    public double[] FlowConditions(double[] met) => Conditions(met).Select(c => ConditionRange * Math.Tanh(c / ConditionRange)).ToArray();

    /// <summary>Where <see cref="FlowConditions"/> starts to squash (standard deviations of the template's ln MET).</summary>
    public const double ConditionRange = 2.5;

    private double Transformed(double v, int j) => _bounded[j] ? Logit(Math.Clamp(v, Clip, 1 - Clip)) : Math.Log(v);

    private static double Logit(double p) => Math.Log(p / (1 - p));
}

/// <summary>
/// The CONRAD analysis of SPEC 2: a conditional RQS flow ensemble p_bg(x | MET) on the background template; the data
/// mapped to latents z; leaf-wise HGB ensembles separating data latents from standard-normal samples, trained on one
/// data half and evaluated on the other; the ABCD estimate between the score and MET with its closure; SIC curves of
/// the supervised, idealised (x and z) and realistic classifiers; S/√B against injected signal.
/// </summary>
public static class ConradAnalysis
{
    /// <summary>Per-event outputs kept for the report (data rows of the full sample).</summary>
    public sealed class State
    {
        internal State(ConradSample data) => Data = data;
        /// <summary>The data.</summary>
        public ConradSample Data { get; }
        /// <summary>Latents (rows × D).</summary>
        public double[] Latent { get; internal set; } = [];
        /// <summary>Data half of each event (0 or 1).</summary>
        public int[] Half { get; internal set; } = [];
        /// <summary>Full-data scores of each classifier (realistic, supervised, idealised-x, idealised-z).</summary>
        public Dictionary<string, double[]> Scores { get; } = [];
    }

    /// <summary>Name of the realistic classifier on the full data.</summary>
    public const string Realistic = "realistic";

    /// <summary>Runs everything.</summary>
    public static (ConradResults Results, State State) Run(ConradRequest request, ComputeDevice device, IProgress<StageProgress>? progress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(device);
        var c = request.Config;
        c.Validate();
        var input = request.Input;
        ConradData.Check(input, c);
        var seconds = new Dictionary<string, double>();
        var data = input.Data;
        int d = data.D;
        var st = new State(data);
        Directory.CreateDirectory(Path.Combine(request.OutDir, "models"));
        var bounded = input.FeatureNames.Select(f => c.Columns.Bounded.Contains(f)).ToArray();
        var pre = ConradPreprocessing.Fit(input.Template, bounded, c.Regions.Trigger);

        // Stage 1: the flow ensemble on the template.
        var (flows, flowSummaries) = Time(seconds, "flows", () => TrainFlows(request, pre, device, progress, cancel));
        cancel.ThrowIfCancellationRequested();

        // Stage 2: latents of the data (and of the perfect background for the idealised-z classifier).
        var (perfectLatent, latentMean, latentStd) = Time(seconds, "latent map", () =>
        {
            progress?.Report(new StageProgress("latent map", 0, 1));
            st.Latent = Map(flows, pre, data);
            var p = input.PerfectBackground is null ? null : Map(flows, pre, input.PerfectBackground);
            var mean = new double[d];
            var std = new double[d];
            for (int j = 0; j < d; j++)
            {
                var col = Enumerable.Range(0, data.Rows).Select(i => st.Latent[i * d + j]).ToArray();
                mean[j] = col.Average();
                std[j] = Math.Sqrt(col.Sum(v => (v - mean[j]) * (v - mean[j])) / Math.Max(1, col.Length - 1));
            }
            progress?.Report(new StageProgress("latent map", 1, 1, $"{data.Rows:N0} data events"));
            return (p, mean, std);
        });

        // Data halves (fixed for every classifier) and the standard-normal reference latents.
        var u = new double[data.Rows];
        Philox4x32.FillUniform(u, Seeds(c)["halves"].Seed, 0);
        st.Half = u.Select(v => v < 0.5 ? 0 : 1).ToArray();
        int nRef = Math.Max(2, (int)Math.Round(c.Classifier.ReferenceRatio * data.Rows));
        var normal = new double[nRef * d];
        Philox4x32.FillNormal(normal, Seeds(c)["reference-latents"].Seed, 0);

        // Injection levels: background plus the first k signal events in a seeded order; the full data last.
        var levels = InjectionLevels(c, data, out var signalOrder);
        var summaries = new List<ConradClassifierSummary>();
        var injections = new List<ConradInjection>();
        var p = c.BoostingParameters();
        foreach (int k in levels)
        {
            cancel.ThrowIfCancellationRequested();
            bool full = k == levels[^1];
            var rows = full ? Enumerable.Range(0, data.Rows).ToArray() : LevelRows(data, signalOrder, k);
            string name = full ? Realistic : $"realistic, {k} signal";
            var scores = Time(seconds, "classifiers", () =>
            {
                var x = Rows.Gather(st.Latent, rows, d);
                int refRows = Math.Max(2, (int)Math.Round(c.Classifier.ReferenceRatio * rows.Length));
                var (s, summary) = Halves(request, name, full ? "model-realistic" : $"model-realistic-{k}",
                    $"data latents against standard-normal samples ({k switch { < 0 => "data as given", _ => $"{k} signal events" }})",
                    x, rows.Select(i => st.Half[i]).ToArray(), normal.AsSpan(0, refRows * d).ToArray(), p, progress, cancel);
                summaries.Add(summary);
                return s;
            });
            var scoresAll = new double[data.Rows];
            Array.Fill(scoresAll, double.NaN);
            for (int i = 0; i < rows.Length; i++) scoresAll[rows[i]] = scores[i];
            if (full) st.Scores[Realistic] = scoresAll;
            injections.Add(Time(seconds, "statistics", () => Injection(c, data, rows, scores, k)));
        }

        // Reference classifiers on the full data (generated runs and data with truth).
        cancel.ThrowIfCancellationRequested();
        Time(seconds, "classifiers", () =>
        {
            var all = Enumerable.Range(0, data.Rows).ToArray();
            if (input.PerfectBackground is { } perfect)
            {
                var (sx, sumx) = Halves(request, "idealised-x", "model-idealised-x", "data against a perfect background sample, in x",
                    pre.Features(data.Features), st.Half, pre.Features(perfect.Features), p, progress, cancel);
                st.Scores["idealised-x"] = sx;
                summaries.Add(sumx);
                var (sz, sumz) = Halves(request, "idealised-z", "model-idealised-z", "data latents against the perfect background's latents",
                    st.Latent, st.Half, perfectLatent!, p, progress, cancel);
                st.Scores["idealised-z"] = sz;
                summaries.Add(sumz);
            }
            if (input.Supervised is { Truth: not null } sup)
            {
                var (ss, sums) = Supervised(request, pre.Features(sup.Features), sup.Truth, pre.Features(data.Features), p, progress, cancel);
                st.Scores["supervised"] = ss;
                summaries.Add(sums);
            }
            else if (data.Truth is { } truth && truth.Count(t => t == 1) >= 4)
            {
                var (ss, sums) = HalvesLabelled(request, pre.Features(data.Features), truth, st.Half, p, progress, cancel);
                st.Scores["supervised"] = ss;
                summaries.Add(sums);
            }
            return 0;
        });

        var sic = Time(seconds, "statistics", () => SicCurves(c, data, st.Scores));
        var last = injections[^1];
        var zero = injections.FirstOrDefault(i => i.Injected == 0);
        double worstPull = zero is null ? double.NaN
            : zero.Points.Where(q => double.IsFinite(q.Ratio)).Select(q => Math.Abs(q.Ratio - 1) / q.RatioError).DefaultIfEmpty(double.NaN).Max();
        var wp = WorkingPoints(c, last);
        var headline = new ConradHeadline(sic.ToDictionary(s => s.Name, s => s.MaxSic), worstPull,
            [last.SOverSqrtBNoCut, .. wp.Select(q => q.SOverSqrtB)], [double.NaN, .. wp.Select(q => q.ObservedZ)]);
        var results = new ConradResults(typeof(ConradAnalysis).Assembly.GetName().Version?.ToString() ?? "", device.Id, input.Description, request.Preset, c,
            data.Rows, data.Met.Count(m => m >= c.Regions.SignalRegion), input.Template.Rows, flowSummaries, latentMean, latentStd, summaries.ToArray(),
            sic, injections.ToArray(), headline, seconds);
        return (results, st);
    }

    /// <summary>The scan points nearest to the configured working points.</summary>
    public static ConradWorkingPoint[] WorkingPoints(ConradConfig c, ConradInjection level) =>
        c.Statistics.WorkingPoints.Select(f => level.Points.MinBy(q => Math.Abs(Math.Log(q.TargetFpr / f)))!).ToArray();

    private static T Time<T>(Dictionary<string, double> seconds, string stage, Func<T> body)
    {
        var sw = Stopwatch.StartNew();
        var r = body();
        seconds[stage] = seconds.GetValueOrDefault(stage) + sw.Elapsed.TotalSeconds;
        return r;
    }

    // ---------------------------------------------------------------- flows

    private static (NflowsMaf[] Flows, ConradFlowSummary[] Summaries) TrainFlows(ConradRequest request, ConradPreprocessing pre,
        ComputeDevice device, IProgress<StageProgress>? progress, CancellationToken cancel)
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
        // Each flow file carries its identity: member k of CONRAD's flows trained from these inputs and this configuration.
        string flowInputs = ModelFingerprint.Of("conrad flows v2", YamlConfig.ToYaml(c.Flows), c.Seed, xTrain, cTrain, xVal, cVal);
        var members = FlowStage.Train<NflowsMaf>(device, c.Flows.Ensemble, _ => null,
            k =>
            {
                var f = new NflowsMaf(d, 1, c.Flows.Hidden, c.Flows.Transforms, AutoregressiveTransform.RationalQuadratic, c.Flows.Bins,
                    c.Flows.TailBound, seed: Seeds(c)["flows"][k]["init"].Seed);
                // The flow starts independent of MET and acquires a MET dependence only where the likelihood asks for one:
                // random initial condition weights leave a dependence that a short training does not remove (it costs
                // ~10⁻³ nats), and the ABCD closure needs the latents independent of MET at the percent level.
                foreach (var b in f.Blocks) Array.Clear(b.Condition!.Weight);
                return f;
            },
            c.FlowOptions,
            (k, flow) => FlowFile.Save(Path.Combine(request.OutDir, "models", $"flow-{k}.json"), new FlowEnsemble([flow], ConditionRange.Of(cTrain, 1)),
                identity: new FastAD.Kernels.IO.ModelIdentity("conrad", null, k.ToString(System.Globalization.CultureInfo.InvariantCulture), flowInputs)),
            xTrain, cTrain, xVal, cVal, c.Flows.Epochs, "flows",
            $"{c.Flows.Ensemble} RQS flows on {trainRows.Length:N0} + {valRows.Length:N0} template events", progress, cancel);
        var summaries = members.Select((mb, k) =>
        {
            var r = mb.Training!;
            return new ConradFlowSummary(k, r.BestEpoch, r.ValidationLoss[r.BestEpoch], r.TrainLoss, r.ValidationLoss);
        }).ToArray();
        return (members.Select(mb => mb.Flow).ToArray(), summaries);
    }

    /// <summary>Where each stage of a run with <paramref name="c"/> computes on <paramref name="device"/>, from the engines' seams (for the run's summary line).</summary>
    public static string DevicePlan(ConradConfig c, ComputeDevice device)
    {
        // The path depends on the flows' kind and settings, not on the data: three features stand in for the data's.
        var flows = Enumerable.Range(0, c.Flows.Ensemble).Select(k => (IConditionalFlow)new NflowsMaf(3, 1, c.Flows.Hidden, c.Flows.Transforms,
            AutoregressiveTransform.RationalQuadratic, c.Flows.Bins, c.Flows.TailBound, seed: (ulong)k)).ToArray();
        var options = Enumerable.Range(0, c.Flows.Ensemble).Select(c.FlowOptions).ToArray();
        return $"flows {FlowTraining.PathOn(device, flows, options)}; classifiers {Ensemble.PathOn(device, c.BoostingParameters())}; " +
               $"latent map and ABCD on the managed CPU path ({Environment.ProcessorCount} threads)";
    }

    /// <summary>The run's node of its seed tree, <c>conrad</c>: every random stream of the analysis hangs below it.</summary>
    private static SeedTree Seeds(ConradConfig c) => SeedTree.Of(c.Seed)["conrad"];

    private static int[] EventOrder(int n, SeedTree node)
    {
        var u = new double[n];
        Philox4x32.FillUniform(u, node.Seed, 0);
        return Enumerable.Range(0, n).OrderBy(i => u[i]).ToArray();
    }

    /// <summary>z = T(x | MET): event i is mapped by member i mod ensemble size (each member's latents are standard normal for background).</summary>
    public static double[] Map(IReadOnlyList<NflowsMaf> flows, ConradPreprocessing pre, ConradSample sample)
    {
        int d = sample.D, n = sample.Rows, e = flows.Count;
        var x = pre.FlowInputs(sample.Features, sample.Met);
        var cond = pre.FlowConditions(sample.Met);
        var z = new double[n * d];
        const int chunk = 4096;
        Parallel.For(0, e * ((n + chunk - 1) / chunk), job =>
        {
            int k = job % e, block = job / e;
            var rows = Enumerable.Range(block * chunk, Math.Min(chunk, n - block * chunk)).Where(i => i % e == k).ToArray();
            if (rows.Length == 0) return;
            var xb = Rows.Gather(x, rows, d);
            var cb = Rows.Gather(cond, rows, 1);
            var zb = new double[rows.Length * d];
            flows[k].Latent(xb, cb, zb, new double[rows.Length], flows[k].NewPass(rows.Length));
            for (int i = 0; i < rows.Length; i++) Array.Copy(zb, i * d, z, rows[i] * d, d);
        });
        return z;
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
    /// Data rows (label 1, with their half) against reference rows (label 0, halves by index parity); for each half h
    /// and model m a fresh 75/25 split of half h's rows trains one model, which scores the data of the other half.
    /// Returns the data rows' mean scores.
    /// </summary>
    private static (double[] Scores, ConradClassifierSummary Summary) Halves(ConradRequest request, string name, string file, string description,
        double[] dataX, int[] half, double[] refX, BoostingParameters p, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        int d = request.Input.Data.D, n = half.Length, r = refX.Length / d;
        var x = dataX.Concat(refX).ToArray();
        var labels = Enumerable.Range(0, n + r).Select(i => i < n ? 1.0 : 0.0).ToArray();
        var groups = Enumerable.Range(0, 2).Select(h =>
        (
            Pool: Enumerable.Range(0, n).Where(i => half[i] == h).Concat(Enumerable.Range(n, r).Where(i => (i - n) % 2 == h)).ToArray(),
            Test: Enumerable.Range(0, n).Where(i => half[i] != h).ToArray()
        )).ToArray();
        return Train(request, name, file, description, x, labels, groups, n, p, progress, cancel);
    }

    /// <summary>Supervised by halves: the data's truth labels, one half trains, the other is scored.</summary>
    private static (double[] Scores, ConradClassifierSummary Summary) HalvesLabelled(ConradRequest request, double[] x, double[] truth, int[] half,
        BoostingParameters p, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        int n = half.Length;
        var groups = Enumerable.Range(0, 2).Select(h => (Pool: Enumerable.Range(0, n).Where(i => half[i] == h).ToArray(),
            Test: Enumerable.Range(0, n).Where(i => half[i] != h).ToArray())).ToArray();
        return Train(request, "supervised", "model-supervised", "truth signal against truth background in the data, by halves", x,
            truth.Select(t => t == 1 ? 1.0 : 0.0).ToArray(), groups, n, p, progress, cancel);
    }

    /// <summary>Supervised on a separate labelled sample; every data event is scored.</summary>
    private static (double[] Scores, ConradClassifierSummary Summary) Supervised(ConradRequest request, double[] supX, double[] supTruth, double[] dataX,
        BoostingParameters p, IProgress<StageProgress>? progress, CancellationToken cancel)
    {
        int n = dataX.Length / request.Input.Data.D, s = supTruth.Length;
        var x = dataX.Concat(supX).ToArray();
        var labels = new double[n].Concat(supTruth.Select(t => t == 1 ? 1.0 : 0.0)).ToArray();
        var groups = new[] { (Pool: Enumerable.Range(n, s).ToArray(), Test: Enumerable.Range(0, n).ToArray()) };
        return Train(request, "supervised", "model-supervised", "generated signal against generated background, in x", x, labels, groups, n, p, progress, cancel);
    }

    private static (double[] Scores, ConradClassifierSummary Summary) Train(ConradRequest request, string name, string file, string description,
        double[] rowMajor, double[] labels, (int[] Pool, int[] Test)[] groups, int scored, BoostingParameters p,
        IProgress<StageProgress>? progress, CancellationToken cancel)
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
        progress?.Report(new StageProgress(stage, 0, total, $"{total} leaf-wise HGB models on {groups[0].Pool.Length:N0} rows each"));
        var bar = progress is null ? null : new CallbackProgress<int>(k => progress.Report(new StageProgress(stage, k, total)));
        // Distinct seeds per model (sub-sampling is off, so the split is what differs; the seed keeps files reproducible).
        var ensemble = Ensemble.Train(binner, x, labels, folds.ToArray(), 1, p, bar, cancel);
        ModelFile.Save(Path.Combine(request.OutDir, "models", $"{file}.json"), ensemble, new FastAD.Kernels.IO.ModelIdentity("conrad", null, file,
            ModelFingerprint.Of("conrad classifier v2", name, p.ToString(), c.Seed, rowMajor, labels, groups.Length, models)));
        var scores = ensemble.MeanTestScores(x).Take(scored).ToArray();
        var all = ensemble.Models.SelectMany(m => m).ToArray();
        return (scores, new ConradClassifierSummary(name, description, all.Length, all.Average(m => m.Trees.Length), folds.Average(f => f.Train.Length + f.Validation.Length)));
    }

    // ---------------------------------------------------------------- statistics

    /// <summary>ABCD, closure and S/√B over the FPR scan for the data rows <paramref name="rows"/> with their <paramref name="scores"/>.</summary>
    public static ConradInjection Injection(ConradConfig c, ConradSample data, int[] rows, double[] scores, int injected)
    {
        double sr = c.Regions.SignalRegion;
        var inSr = rows.Select(i => data.Met[i] >= sr).ToArray();
        var cr = scores.Where((_, i) => !inSr[i]).ToArray();
        var truth = data.Truth is null ? null : rows.Select(i => data.Truth[i] == 1).ToArray();
        double srSignal = truth is null ? double.NaN : inSr.Where((s, i) => s && truth[i]).Count();
        double srBackground = truth is null ? inSr.Count(s => s) : inSr.Where((s, i) => s && !truth[i]).Count();
        var points = ClassifierMetrics.FprGrid(c.Statistics.FprPoints, c.Statistics.FprLowest).Concat(c.Statistics.WorkingPoints).Distinct()
            .OrderByDescending(f => f).Select(f => Abcd(f, ClassifierMetrics.WorkingPoint(cr, f).Cut, scores, inSr, truth)).ToArray();
        return new ConradInjection(injected, rows.Length, srSignal, srBackground, truth is null ? double.NaN : srSignal / Math.Sqrt(srBackground), points);
    }

    private static ConradWorkingPoint Abcd(double target, double cut, double[] scores, bool[] inSr, bool[]? truth)
    {
        int a = 0, b = 0, cc = 0, dd = 0, sA = 0, bA = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            bool pass = scores[i] >= cut;
            if (inSr[i])
            {
                if (pass)
                {
                    a++;
                    if (truth is not null) { if (truth[i]) sA++; else bA++; }
                }
                else b++;
            }
            else if (pass) cc++;
            else dd++;
        }
        double pred = double.NaN, err = double.NaN;
        if (dd > 0) (pred, err) = ClassifierMetrics.Abcd(b, cc, dd);
        double ratio = a > 0 ? pred / a : double.NaN;
        double ratioErr = pred > 0 && b > 0 && cc > 0 ? Math.Sqrt(1 / pred + 1.0 / b + 1.0 / cc + 1.0 / dd) : double.NaN;
        double sOverB = truth is null ? double.NaN : sA / Math.Sqrt(Math.Max(bA, 1));
        double z = pred > 0 ? (a - pred) / Math.Sqrt(pred + err * err) : double.NaN;
        return new ConradWorkingPoint(target, cut, cc + dd > 0 ? cc / (double)(cc + dd) : double.NaN, a, b, cc, dd, pred, err, ratio, ratioErr,
            truth is null ? double.NaN : sA, truth is null ? double.NaN : bA, sOverB, z);
    }

    /// <summary>Fewest signal-region background events that must pass a cut for its SIC to count towards the maximum.</summary>
    public const int MinSicBackground = 100;

    /// <summary>
    /// SIC curves on the signal-region events with truth labels, sampled on the FPR grid; the maximum is taken where at
    /// least <see cref="MinSicBackground"/> background events pass.
    /// </summary>
    public static ConradSic[] SicCurves(ConradConfig c, ConradSample data, IReadOnlyDictionary<string, double[]> scores)
    {
        if (data.Truth is null) return [];
        var sr = Enumerable.Range(0, data.Rows).Where(i => data.Met[i] >= c.Regions.SignalRegion).ToArray();
        var sig = sr.Where(i => data.Truth[i] == 1).ToArray();
        var bkg = sr.Where(i => data.Truth[i] != 1).ToArray();
        if (sig.Length == 0 || bkg.Length == 0) return [];
        var grid = ClassifierMetrics.FprGrid(2 * c.Statistics.FprPoints, c.Statistics.FprLowest);
        var order = new[] { "supervised", "idealised-x", "idealised-z", Realistic };
        return order.Where(scores.ContainsKey).Select(name =>
        {
            var s = scores[name];
            var roc = ClassifierMetrics.Roc(sig.Select(i => s[i]).ToArray(), bkg.Select(i => s[i]).ToArray());
            // ε_S at the largest ROC point with ε_B ≤ the grid value.
            var effS = grid.Select(g =>
            {
                int k = Array.FindLastIndex(roc.Fpr, f => f <= g);
                return k < 0 ? 0 : roc.Tpr[k];
            }).ToArray();
            var sic = grid.Select((g, i) => effS[i] / Math.Sqrt(g)).ToArray();
            // The maximum only where enough background passes for the SIC to be measured (≤ 10% statistical error);
            // below that it is dominated by which handful of background events happen to pass.
            // Too little background in the SR for any grid point: no maximum is quoted (NaN), rather than the loosest point's.
            var measured = Enumerable.Range(0, grid.Length).Where(i => grid[i] * bkg.Length >= MinSicBackground).ToArray();
            if (measured.Length == 0) return new ConradSic(name, grid, effS, sic, double.NaN, double.NaN, roc.Auc);
            int best = measured.MaxBy(i => sic[i]);
            return new ConradSic(name, grid, effS, sic, sic[best], grid[best], roc.Auc);
        }).ToArray();
    }
}
