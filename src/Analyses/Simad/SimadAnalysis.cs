using System.Diagnostics;
using FastAD.Data;
using FastAD.Flows;
using FastAD.Kernels;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Simad;

/// <summary>One classifier of a stage: its training and test events (row-major features) and its networks' seed.</summary>
/// <param name="DataTrain">Training "data" (label 1).</param>
/// <param name="SimTrain">Training simulation (label 0).</param>
/// <param name="DataTest">Test data.</param>
/// <param name="SimTest">Test simulation.</param>
/// <param name="Seed">Member k initialises from Seed + k and shuffles with Seed + k.</param>
public sealed record ClassifierJob(double[] DataTrain, double[] SimTrain, double[] DataTest, double[] SimTest, ulong Seed);

/// <summary>What a run needs.</summary>
/// <param name="Config">Hyperparameters.</param>
/// <param name="Sample">The events.</param>
/// <param name="OutDir">The run's folder; each finished stage's table is written into its <see cref="SimadAnalysis.PartialFolder"/> as soon as it exists.</param>
/// <param name="Preset">Name of the preset the config started from (for the report).</param>
/// <param name="Input">Where the data came from (for the report).</param>
public sealed record SimadRequest(SimadConfig Config, SimadSample Sample, string OutDir, string Preset, string Input);

/// <summary>
/// Simulation-based anomaly detection for multileptons (SPEC 3). Background "data" and simulation are each split
/// once into training and test events (<c>evaluation.test_fraction</c> held out). A classifier (an ensemble of MLPs
/// on standardised inputs, label 1 = data, 0 = simulation) is trained on the training events and the four statistics
/// are evaluated on the test events: the mean loss over test data and test simulation, and the mean, maximum and
/// standard deviation of the scores of the test data. The null: the background-only sample itself and
/// <c>bootstrap.samples</c> bootstrap "data" sets (the training and the test background resampled separately with
/// replacement, so no event is in both), one classifier each; quantiles give the ±1σ/±2σ bands. The scans: for each
/// signal pool (mass point) and injected amount, <c>injection.repeats</c> independent draws of signal events, split
/// like the data and added to the background, one classifier each. Classifiers of a stage are trained concurrently
/// (one per core); each stage's table is written to the output folder when the stage ends.
/// </summary>
public static class SimadAnalysis
{
    /// <summary>
    /// Subfolder of the run's folder with the tables of the stages finished so far, kept if the run is interrupted; apart
    /// from the committed outputs so that they never mix with a previous run's set, and removed once the report is committed.
    /// </summary>
    public const string PartialFolder = "partial";

    private static readonly double[] BandQuantiles = [0.022750131948179195, 0.15865525393145707, 0.5, 0.8413447460685429, 0.9772498680518208];

    /// <summary>Runs the null and the scans of every loss.</summary>
    public static SimadResults Run(SimadRequest request, ComputeDevice device, IProgress<StageProgress>? progress = null, CancellationToken cancel = default) =>
        Run(request, new RunContext(device, new ModelStore(request.OutDir, reuse: false, "simad"), progress, cancel));

    /// <summary>
    /// Runs the null and the scans of every loss in <paramref name="run"/>. Each finished stage's statistics are saved in the
    /// model store; with --reuse a stage trained from the same inputs (data, the classifier, evaluation, bootstrap and
    /// injection settings, the seed) is taken from there instead of trained again.
    /// </summary>
    public static SimadResults Run(SimadRequest request, RunContext run)
    {
        var c = request.Config;
        c.Validate();
        var s = request.Sample;
        var progress = run.Progress;
        var cancel = run.Cancel;
        int networks = 0;
        // Every random stream hangs below the run's seed-tree node simad/: a stream is named by what it draws, so adding a
        // loss, a pool or an amount never moves another.
        var seeds = SeedTree.Of(c.Seed)["simad"];
        var (bgTrain, bgTest) = s.Background.Split(1 - c.Evaluation.TestFraction, seeds["split"]["background"].Seed);
        var (simTrain, simTest) = s.Simulation.Split(1 - c.Evaluation.TestFraction, seeds["split"]["simulation"].Seed);
        var simTrainX = simTrain.Matrix(s.Features);
        var simTestX = simTest.Matrix(s.Features);
        Directory.CreateDirectory(request.OutDir);
        var notes = s.Notes.ToList();
        var nulls = new List<NullResult>();
        var scans = new List<ScanResult>();
        var observed = new List<ObservedResult>();
        var losses = c.Classifier.Losses;
        // Injected events per fb of signal cross section: the sample's luminosity × the selection efficiency.
        double eventsPerFb = s.LuminosityFb * c.Injection.SelectionEfficiency;
        bool asymptotic = c.Evaluation.PValue != SimadPValueKind.Bootstrap;
        // What every stage's classifiers are trained from besides their stage: the samples and the settings that shape them.
        string sampleInputs = ModelFingerprint.Of("simad stages v1", c.Seed, YamlConfig.ToYaml(c.Classifier), YamlConfig.ToYaml(c.Evaluation),
            YamlConfig.ToYaml(c.Bootstrap), YamlConfig.ToYaml(c.Injection), s.LuminosityFb, s.Background.Matrix(s.Features), s.Simulation.Matrix(s.Features),
            s.Observed?.Matrix(s.Features) ?? [], ModelFingerprint.Of([.. s.Pools.SelectMany(p => new object[] { p.Name, p.Events.Matrix(s.Features) })]));

        // One stage: `jobs` classifiers, each on (training data, test data) from `make`, trained concurrently.
        StatisticSet[] Stage(string stage, int jobs, Func<int, (EventTable Train, EventTable Test)> make, ClassifierLoss loss)
        {
            var networkSeeds = seeds["networks"][stage];
            ulong stageSeed = networkSeeds.Seed;
            int total = jobs * c.Classifier.Ensemble, done = 0;
            string file = $"simad-{Slug(stage)}.json";
            string inputs = ModelFingerprint.Of(sampleInputs, stage, loss.Text(), jobs, stageSeed);
            var identity = new FastAD.Kernels.IO.ModelIdentity("simad", null, stage, inputs);
            return run.Time(stage, () =>
            {
                if (run.Models.OpenSingle(run, stage, file, Path.GetFileNameWithoutExtension(file), inputs, path => SimadStageFile.Load(path, identity, jobs),
                        inputsAre: "data, settings or seed") is { } saved)
                    return saved;
                progress?.Report(new StageProgress(stage, 0, total, $"{jobs} classifiers × {c.Classifier.Ensemble} {Models(c)} {PathOn(c, run.Device)}"));
                var classifiers = new ClassifierJob[jobs];
                Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = c.Workers(), CancellationToken = cancel }, j =>
                {
                    var (train, test) = make(j);
                    classifiers[j] = new ClassifierJob(train.Matrix(s.Features), simTrainX, test.Matrix(s.Features), simTestX, networkSeeds[j].Seed);
                });
                // Every classifier of the stage through the MLP seams at once (on a kernel device: one launch per epoch).
                var results = Evaluate(run.Device, c, loss, classifiers, s.Features.Length,
                    () => progress?.Report(new StageProgress(stage, Interlocked.Increment(ref done), total)), cancel);
                networks += total;
                run.Models.SaveSingle(file, Path.GetFileNameWithoutExtension(file), inputs, path => SimadStageFile.Save(path, results, identity));
                return results;
            });
        }

        foreach (var loss in losses)
        {
            string name = loss.Text();
            var stats = Stage($"null ({name})", c.Bootstrap.Samples + 1, j => j == 0
                ? (bgTrain, bgTest)
                : (bgTrain.Bootstrap(seeds["bootstrap"][j]["train"].Seed), bgTest.Bootstrap(seeds["bootstrap"][j]["test"].Seed)), loss);
            var nul = Null(name, stats[0], stats[1..]);
            nulls.Add(nul);
            SimadReport.NullTable(nul).Save(Path.Combine(request.OutDir, PartialFolder, $"null-{name}.csv"));
            cancel.ThrowIfCancellationRequested();

            if (s.Observed is { } obs)
            {
                var (oTrain, oTest) = obs.Split(1 - c.Evaluation.TestFraction, seeds["split"]["observed"].Seed);
                var o = Stage($"observed ({name})", 1, _ => (oTrain, oTest), loss)[0];
                observed.Add(new ObservedResult(name, o, Enumerable.Range(0, 4).Select(k => PValue(nul, k, o[k])).ToArray(),
                    asymptotic ? Enumerable.Range(0, 4).Select(k => AsymptoticPValue(nul, k, o[k])).ToArray() : null));
            }

            for (int p = 0; p < s.Pools.Count; p++)
            {
                var pool = s.Pools[p];
                var counts = c.Injection.Signal.Where(n => n <= pool.Events.RowCount).ToArray();
                if (counts.Length < c.Injection.Signal.Count && loss == losses[0])
                    notes.Add($"{pool.Name}: injections above the {pool.Events.RowCount} signal events available were skipped");
                if (counts.Length == 0) continue;
                int reps = c.Injection.Repeats;
                var point = Stage($"scan ({name}, {pool.Name})", counts.Length * reps, j =>
                {
                    int k = j / reps, r = j % reps;
                    // The same signal draws for every loss: the streams depend on the pool, the amount and the repeat only.
                    var draw = seeds["signal"][pool.Name][counts[k]][r];
                    var signal = pool.Events.Take(EventTable.Permutation(pool.Events.RowCount, draw["events"].Seed, 0).AsSpan(0, counts[k]));
                    var (sTrain, sTest) = signal.Split(1 - c.Evaluation.TestFraction, draw["split"].Seed);
                    return (EventTable.Concat(bgTrain, sTrain), EventTable.Concat(bgTest, sTest));
                }, loss);
                var points = counts.Select((n, k) => Point(nul, n, n / eventsPerFb, point[(k * reps)..((k + 1) * reps)], asymptotic)).ToArray();
                var scan = new ScanResult(name, pool.Name, pool.MassA, points,
                    Enumerable.Range(0, 4).Select(k => Cross(nul, k, points, eventsPerFb)).ToArray());
                scans.Add(scan);
                SimadReport.ScanTable(scan).Save(Path.Combine(request.OutDir, PartialFolder, $"scan-{name}-{SimadReport.Slug(pool)}.csv"));
                cancel.ThrowIfCancellationRequested();
            }
        }
        return new SimadResults(typeof(SimadAnalysis).Assembly.GetName().Version?.ToString() ?? "", run.Device.Id, request.Input, request.Preset, c,
            new SplitSizes(bgTrain.RowCount, bgTest.RowCount, simTrain.RowCount, simTest.RowCount), notes,
            [.. nulls], [.. scans], [.. observed], networks, run.Seconds, PathOn(c, run.Device), s.LuminosityFb);
    }

    private static string Slug(string stage) => new string(stage.Select(ch => char.IsAsciiLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : '-').ToArray()).Replace("--", "-").Trim('-');

    /// <summary>Where the networks of this configuration train on <paramref name="device"/>, and why (the `devices:` line).</summary>
    public static string DevicePlan(SimadConfig c, ComputeDevice device) => $"{Models(c)} {PathOn(c, device)}";

    /// <summary>What a classifier averages: "networks" or "BDTs".</summary>
    public static string Models(SimadConfig c) => c.Classifier.Kind == SimadClassifierKind.Bdt ? "BDTs" : "networks";

    /// <summary>Where the classifiers of <paramref name="c"/> train on <paramref name="device"/> (the MLP or the boosting seam), and why.</summary>
    public static string PathOn(SimadConfig c, ComputeDevice device) => c.Classifier.Kind == SimadClassifierKind.Bdt
        ? Ensemble.PathOn(device, BdtParameters(c, 0))
        : MlpTrainer.PathOn(device, c.Classifier.Hidden, c.Workers());

    /// <summary>The trees of <c>classifier.kind: bdt</c>: depth-wise (XGBoost-like, SPEC 4) with the section's limits.</summary>
    public static BoostingParameters BdtParameters(SimadConfig c, ulong seed) => c.Classifier.Bdt.Parameters(BoostingParameters.XGBoost, seed);

    /// <summary>
    /// Trains one classifier (the ensemble) on training data (label 1) against training simulation (label 0) and
    /// returns the four statistics on the test events, on the managed path. BCE class weights, if configured, give each class equal total weight.
    /// </summary>
    public static StatisticSet Evaluate(SimadConfig c, ClassifierLoss loss, double[] dataTrain, double[] simTrain, double[] dataTest, double[] simTest, int d,
        ulong seed, Action? memberDone = null, CancellationToken cancel = default) =>
        Evaluate(FastAD.Kernels.Cpu.CpuDevice.Instance, c, loss, [new ClassifierJob(dataTrain, simTrain, dataTest, simTest, seed)], d, memberDone, cancel)[0];

    /// <summary>
    /// <see cref="Evaluate(SimadConfig, ClassifierLoss, double[], double[], double[], double[], int, ulong, Action?, CancellationToken)"/>
    /// for many classifiers, trained and evaluated together through the MLP seams on <paramref name="device"/> (which pick
    /// the path); <paramref name="memberDone"/> is called after each network.
    /// </summary>
    public static StatisticSet[] Evaluate(ComputeDevice device, SimadConfig c, ClassifierLoss loss, IReadOnlyList<ClassifierJob> jobs, int d,
        Action? memberDone = null, CancellationToken cancel = default)
    {
        var tests = jobs.Select(job => Labelled(c, loss, job.DataTest, job.SimTest, d)).ToArray();
        var outputs = c.Classifier.Kind == SimadClassifierKind.Bdt
            ? BdtOutputs(device, c, jobs, d, memberDone, cancel)
            : MlpOutputs(device, c, loss, jobs, tests, d, memberDone, cancel);
        return jobs.Select((job, j) => Statistics(loss, outputs[j], job.DataTest.Length / d, tests[j].Y, tests[j].W)).ToArray();
    }

    /// <summary>
    /// The four statistics of one classifier from its raw outputs <paramref name="f"/> on the test events (the first
    /// <paramref name="dataEvents"/> are data): the mean <paramref name="loss"/> over all of them, and the mean, maximum and
    /// standard deviation of the data events' scores (sigmoid(f) for BCE, f for MLC). Networks and trees alike.
    /// </summary>
    public static StatisticSet Statistics(ClassifierLoss loss, double[] f, int dataEvents, double[] y, double[]? w)
    {
        var scores = f.AsSpan(0, dataEvents).ToArray().Select(v => MlpClassifier.Score(loss, v)).ToArray();
        double mean = scores.Average();
        double std = Math.Sqrt(scores.Sum(v => (v - mean) * (v - mean)) / scores.Length);
        return new StatisticSet(MlpClassifier.BatchLoss(loss, f, y, w), mean, scores.Max(), std);
    }

    // The networks of every job through the MLP seams at once; each job's raw ensemble outputs on its test events.
    private static double[][] MlpOutputs(ComputeDevice device, SimadConfig c, ClassifierLoss loss, IReadOnlyList<ClassifierJob> jobs,
        (double[] X, double[] Y, double[]? W)[] tests, int d, Action? memberDone, CancellationToken cancel)
    {
        var requests = jobs.Select(job =>
        {
            var (x, y, w) = Labelled(c, loss, job.DataTrain, job.SimTrain, d);
            var options = new MlpTrainingOptions { Epochs = c.Classifier.Epochs, BatchSize = c.Classifier.BatchSize, LearningRate = c.Classifier.LearningRate, Seed = job.Seed };
            return new MlpEnsembleRequest(x, y, w, options, job.Seed);
        }).ToArray();
        var ensembles = MlpEnsemble.Train(device, requests, d, c.Classifier.Hidden, loss, c.Classifier.Ensemble, c.Workers(), memberDone, cancel);
        return MlpEnsemble.Outputs(device, ensembles, tests.Select(t => t.X).ToArray());
    }

    /// <summary>
    /// The BDT option: every job of a stage is one fold of one ensemble through the boosting seam (one launch per group of jobs on a
    /// kernel device). Job j's rows are its own block (<see cref="BdtRows"/>); its fold trains on the training rows (the trees stop
    /// early on <c>classifier.bdt_validation_fraction</c> of them) and is tested on the test rows, with
    /// <c>classifier.ensemble</c> members, each its own row subsample. The ensemble weights data to the simulation's total
    /// (N0/N1), so the mean probability's log-odds estimates f = ln(p_data/p_sim): the raw output returned, scored like the
    /// MLC network's f, and the BCE loss and sigmoid score of it are the BCE statistics. One training serves every loss.
    /// </summary>
    private static double[][] BdtOutputs(ComputeDevice device, SimadConfig c, IReadOnlyList<ClassifierJob> jobs, int d, Action? memberDone, CancellationToken cancel)
    {
        // One binning for the stage: the quantiles of the first job's training events (data and simulation), so that a job's trees
        // do not depend on how the stage is grouped.
        var names = Enumerable.Range(0, d).Select(k => $"x{k}").ToArray();
        var first = jobs[0].DataTrain.Concat(jobs[0].SimTrain).ToArray();
        var binner = QuantileBinner.Fit(names, Enumerable.Range(0, d).Select(k => Enumerable.Range(0, first.Length / d).Select(i => first[i * d + k]).ToArray()).ToArray(),
            seed: jobs[0].Seed);
        var p = BdtParameters(c, jobs[0].Seed);
        var outputs = new double[jobs.Count][];
        int reported = 0;
        // Jobs in groups whose fold weights (rows × folds doubles, one array per fold in the ensemble) stay near 160 MB; one launch per group.
        long blockRows = Math.Max(1, (jobs[0].DataTrain.Length + jobs[0].SimTrain.Length + jobs[0].DataTest.Length + jobs[0].SimTest.Length) / d);
        int group = (int)Math.Clamp((long)Math.Sqrt(2e7 / blockRows), 1, jobs.Count);
        for (int g0 = 0; g0 < jobs.Count; g0 += group)
        {
            var part = jobs.Skip(g0).Take(group).ToArray();
            var (columns, labels, frequencies, folds) = BdtRows(c, part, d);
            int before = reported;
            var progress = new CallbackProgress<int>(n =>
            {
                // Cumulative counts within the group, one report per model (the kernel path: one report at the end).
                int done;
                do done = Volatile.Read(ref reported); while (before + n > done && Interlocked.CompareExchange(ref reported, before + n, done) != done);
                for (int i = done; i < before + n; i++) memberDone?.Invoke();
            });
            var x = binner.Transform(columns);
            var ensemble = Ensemble.Train(device, binner, x, labels, folds, c.Classifier.Ensemble, p, progress, cancel, frequencies);
            var prob = ensemble.OutOfFoldScores(x);
            for (int j = 0; j < part.Length; j++) outputs[g0 + j] = folds[j].Test.Select(r => Logit(prob[r])).ToArray();
            cancel.ThrowIfCancellationRequested();
        }
        return outputs;
    }

    /// <summary>
    /// The rows of BDT jobs, each its own block [distinct training events (data labelled 1, then simulation) | data test | simulation
    /// test] and fold. A training event drawn k times (a bootstrap "data" set) is one row of frequency k, so that the early-stopping
    /// share never holds a copy of a training row (which would let the trees grow on the bootstrap's duplicates unchecked); the test
    /// events keep every copy, as the networks' statistics do.
    /// </summary>
    internal static (double[][] Columns, double[] Labels, double[] Frequencies, FoldSplit[] Folds) BdtRows(SimadConfig c, IReadOnlyList<ClassifierJob> jobs, int d)
    {
        var distinct = new (double[] X, double Label, int Count)[jobs.Count][];
        Parallel.For(0, jobs.Count, j =>
        {
            var rows = new List<(double[] X, double Label, int Count)>();
            foreach (var (block, label) in new[] { (jobs[j].DataTrain, 1.0), (jobs[j].SimTrain, 0.0) })
            {
                var index = new Dictionary<string, int>();
                for (int i = 0; i < block.Length / d; i++)
                {
                    var x = block.AsSpan(i * d, d).ToArray();
                    string key = string.Join(',', x.Select(v => BitConverter.DoubleToInt64Bits(v).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    if (index.TryGetValue(key, out int at)) rows[at] = rows[at] with { Count = rows[at].Count + 1 };
                    else
                    {
                        index[key] = rows.Count;
                        rows.Add((x, label, 1));
                    }
                }
            }
            distinct[j] = [.. rows];
        });
        var offsets = new int[jobs.Count + 1];
        for (int j = 0; j < jobs.Count; j++) offsets[j + 1] = offsets[j] + distinct[j].Length + (jobs[j].DataTest.Length + jobs[j].SimTest.Length) / d;
        int total = offsets[^1];
        var columns = Enumerable.Range(0, d).Select(_ => new double[total]).ToArray();
        var labels = new double[total];
        var frequencies = new double[total];
        var folds = new FoldSplit[jobs.Count];
        Parallel.For(0, jobs.Count, j =>
        {
            var job = jobs[j];
            int at = offsets[j];
            foreach (var (x, label, count) in distinct[j])
            {
                for (int k = 0; k < d; k++) columns[k][at] = x[k];
                labels[at] = label;
                frequencies[at++] = count;
            }
            foreach (var (block, label) in new[] { (job.DataTest, 1.0), (job.SimTest, 0.0) })
                for (int i = 0; i < block.Length / d; i++, at++)
                {
                    for (int k = 0; k < d; k++) columns[k][at] = block[i * d + k];
                    labels[at] = label;
                    frequencies[at] = 1;
                }
            int train = distinct[j].Length;
            // Early stopping on a random share of the distinct training events, drawn with the job's seed.
            var order = EventTable.Permutation(train, job.Seed, 1);
            int validation = (int)Math.Round(c.Classifier.BdtValidationFraction * train);
            folds[j] = new FoldSplit(
                [.. order.Skip(validation).Select(r => offsets[j] + r).Order()],
                [.. order.Take(validation).Select(r => offsets[j] + r).Order()],
                [.. Enumerable.Range(offsets[j] + train, offsets[j + 1] - offsets[j] - train)]);
        });
        return (columns, labels, frequencies, folds);
    }

    // Log-odds of a probability, kept finite at 0 and 1.
    private static double Logit(double p) => Math.Log(Math.Max(p, 1e-300) / Math.Max(1 - p, 1e-300));

    private static (double[] X, double[] Y, double[]? W) Labelled(SimadConfig c, ClassifierLoss loss, double[] data, double[] sim, int d)
    {
        int nd = data.Length / d, ns = sim.Length / d;
        var x = data.Concat(sim).ToArray();
        var y = new double[nd + ns];
        Array.Fill(y, 1.0, 0, nd);
        double[]? w = null;
        if (loss == ClassifierLoss.Bce && c.Classifier.BalanceClasses)
        {
            w = new double[nd + ns];
            Array.Fill(w, (nd + ns) / (2.0 * nd), 0, nd);
            Array.Fill(w, (nd + ns) / (2.0 * ns), nd, ns);
        }
        return (x, y, w);
    }

    /// <summary>Bands from the background-only statistics and the bootstrap statistics.</summary>
    public static NullResult Null(string loss, StatisticSet backgroundOnly, StatisticSet[] bootstraps)
    {
        var bands = Enumerable.Range(0, 4).Select(k =>
        {
            var v = bootstraps.Select(b => b[k]).Order().ToArray();
            double mean = v.Average();
            double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
            var q = BandQuantiles.Select(p => Quantile(v, p)).ToArray();
            return new NullBand(StatisticSet.Names[k], backgroundOnly[k], mean, std, q[0], q[1], q[2], q[3], q[4]);
        }).ToArray();
        return new NullResult(loss, backgroundOnly, bootstraps, bands);
    }

    /// <summary>Quantile of sorted values, linear interpolation between order statistics.</summary>
    public static double Quantile(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("No values.");
        double h = p * (sorted.Length - 1);
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Bootstrap p-value of a value of statistic <paramref name="k"/> in its signal direction.</summary>
    public static double PValue(NullResult nul, int k, double value)
    {
        int dir = StatisticSet.Direction(k);
        return ClassifierMetrics.BootstrapPValue(dir * value, nul.Bootstraps.Select(b => dir * b[k]).ToArray());
    }

    /// <summary>
    /// Asymptotic p-value of a value of statistic <paramref name="k"/> in its signal direction: the statistic taken as Gaussian
    /// with the bootstrap mean and standard deviation, p = 1 − Φ(z) with z = ±(value − mean)/sd (the one-sided χ²₁ tail of z²).
    /// It reaches below the bootstrap's floor 1/(N + 1) but assumes a Gaussian null (the max score and the MLC losses have heavier tails).
    /// </summary>
    public static double AsymptoticPValue(NullResult nul, int k, double value)
    {
        var b = nul.Bands[k];
        double excess = StatisticSet.Direction(k) * (value - b.Mean);
        double z = b.Std > 0 ? excess / b.Std : excess > 0 ? double.PositiveInfinity : excess < 0 ? double.NegativeInfinity : 0;
        return LookElsewhere.PLocal(z);
    }

    /// <summary>The one-sided 2σ level both p-values are read against.</summary>
    public const double TwoSigmaP = 0.022750131948179195;

    /// <summary>
    /// Where the bootstrap and the asymptotic p-value of one statistic disagree, in a phrase; null where they agree. They disagree
    /// when they fall on different sides of the 2σ level, except where the bootstrap p is at its floor 1/(N + 1) for
    /// <paramref name="bootstraps"/> bootstraps and the asymptotic one below it (the bootstrap cannot resolve it: said as such).
    /// </summary>
    public static string? Disagreement(double bootstrap, double asymptotic, int bootstraps)
    {
        double floor = 1.0 / (bootstraps + 1);
        bool bootBeyond = bootstrap < TwoSigmaP, asymBeyond = asymptotic < TwoSigmaP;
        if (bootBeyond == asymBeyond) return null;
        if (asymBeyond && bootstrap <= floor + 1e-12) return $"bootstrap at its floor 1/{bootstraps + 1}";
        return asymBeyond ? "beyond 2σ asymptotically only" : "beyond 2σ by the bootstrap only";
    }

    private static InjectionPoint Point(NullResult nul, int signal, double fb, StatisticSet[] reps, bool asymptotic)
    {
        var mean = Enumerable.Range(0, 4).Select(k => reps.Average(r => r[k])).ToArray();
        var std = Enumerable.Range(0, 4).Select(k => reps.Length < 2 ? 0 : Math.Sqrt(reps.Sum(r => (r[k] - mean[k]) * (r[k] - mean[k])) / (reps.Length - 1))).ToArray();
        return new InjectionPoint(signal, fb, reps, mean, std, Enumerable.Range(0, 4).Select(k => PValue(nul, k, mean[k])).ToArray(),
            asymptotic ? Enumerable.Range(0, 4).Select(k => AsymptoticPValue(nul, k, mean[k])).ToArray() : null);
    }

    /// <summary>
    /// The injected signal at which the mean of statistic <paramref name="k"/> leaves the 2σ band on its signal side
    /// (the upper edge for scores, the lower for losses), interpolating linearly between scan points; none if the
    /// lowest scanned amount is already beyond the edge.
    /// </summary>
    public static Crossing Cross(NullResult nul, int k, IReadOnlyList<InjectionPoint> points, double eventsPerFb)
    {
        int dir = StatisticSet.Direction(k);
        double edge = dir > 0 ? nul.Bands[k].Upper2 : nul.Bands[k].Lower2;
        for (int i = 0; i < points.Count; i++)
        {
            if (!(dir * (points[i].Mean[k] - edge) > 0)) continue;
            if (i == 0) return new Crossing(StatisticSet.Names[k], null, null, BeyondAtLowest: true);
            double v0 = points[i - 1].Mean[k], v1 = points[i].Mean[k];
            double at = points[i - 1].Signal + (edge - v0) / (v1 - v0) * (points[i].Signal - points[i - 1].Signal);
            return new Crossing(StatisticSet.Names[k], at, at / eventsPerFb);
        }
        return new Crossing(StatisticSet.Names[k], null, null);
    }
}
