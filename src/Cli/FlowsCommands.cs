using System.CommandLine;
using System.Globalization;
using FastAD.Analyses.Flows;
using FastAD.Flows;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad train-flow</c>.</summary>
internal static class FlowsCommands
{
    internal static Command TrainFlow(IAnsiConsole console)
    {
        var data = new Option<string>("--data") { Description = "Event table: CSV/TSV, .npy, .npz, Feather, HDF5 or Parquet (docs/DATA.md).", Required = true };
        var features = new Option<string>("--features") { Description = "Comma-separated feature columns (at least 2).", Required = true };
        var condition = new Option<string?>("--condition") { Description = "Comma-separated condition columns (e.g. dimu_mass)." };
        var where = new Option<string?>("--where") { Description = "Row selection, e.g. selection=os_cathode." };
        var transform = new Option<string>("--transform") { Description = "affine (SPEC 1.3 MAF), affine-nflows or rqs (SPEC 2.1 spline MAF).", DefaultValueFactory = _ => "affine" };
        var blocks = new Option<int?>("--blocks") { Description = "MADE blocks / transforms (default 6 for affine, 4 for rqs and affine-nflows)." };
        var hidden = new Option<int?>("--hidden") { Description = "Hidden units per MADE layer (default 20 for affine, 64 for rqs and affine-nflows)." };
        var hiddenLayers = new Option<int>("--hidden-layers") { Description = "rqs/affine-nflows: relu layers after the first MADE layer.", DefaultValueFactory = _ => 2 };
        var bins = new Option<int>("--bins") { Description = "rqs: spline bins K.", DefaultValueFactory = _ => 8 };
        var tailBound = new Option<double>("--tail-bound") { Description = "rqs: the spline acts on [-B, B] of the standardised inputs, identity outside.", DefaultValueFactory = _ => 3.0 };
        var permutation = new Option<string>("--permutation") { Description = "rqs/affine-nflows: reverse or random (seeded) permutations.", DefaultValueFactory = _ => "reverse" };
        var residual = new Option<bool>("--residual") { Description = "rqs/affine-nflows: nflows residual MADE blocks." };
        var ensemble = new Option<int>("--ensemble") { Description = "Train this many flows concurrently (seeds seed, seed+1, ...); the file holds them all.", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 400 };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 256 };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate.", DefaultValueFactory = _ => 7.5e-4 };
        var decay = new Option<double>("--weight-decay") { Description = "Weight decay.", DefaultValueFactory = _ => 1e-6 };
        var optimizer = new Option<string>("--optimizer") { Description = "adam (weight decay added to the gradient) or adamw (decoupled).", DefaultValueFactory = _ => "adam" };
        var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without improvement (0 = off).", DefaultValueFactory = _ => 0 };
        var validation = new Option<double>("--validation") { Description = "Validation fraction (random, seeded).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<ulong>("--seed") { Description = "Seed (initialisation, split, shuffles).", DefaultValueFactory = _ => 0 };
        var config = new Option<string?>("--config") { Description = "YAML file of settings (snake_case keys; see FlowConfig); applied over the options." };
        var output = new Option<string?>("--out") { Description = "Write the flow(s) here (fastad-flow JSON v2, with the standardisation and condition range)." };
        var quiet = new Option<bool>("--quiet") { Description = "No per-epoch lines." };
        var cmd = new Command("train-flow", "Train a conditional MAF (SPEC 1.3 affine, or the SPEC 2.1 spline) on standardised columns; prints the best validation NLL.")
        {
            data, features, condition, where, transform, blocks, hidden, hiddenLayers, bins, tailBound, permutation, residual, ensemble, epochs, batch, rate, decay, optimizer,
            patience, validation, seed, config, output, quiet,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            static string[] Split(string? s) => s is null ? [] : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var kind = FlowArchitecture.ParseKind(parse.GetValue(transform)!);
            bool spec13 = kind == FlowKind.AffineSpec13;
            var architecture = new FlowArchitecture(kind, parse.GetValue(blocks) ?? (spec13 ? 6 : 4), parse.GetValue(hidden) ?? (spec13 ? 20 : 64),
                parse.GetValue(hiddenLayers), parse.GetValue(bins), parse.GetValue(tailBound), FlowArchitecture.ParsePermutation(parse.GetValue(permutation)!),
                parse.GetValue(residual));
            var options = new FlowTrainingOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate), WeightDecay = parse.GetValue(decay),
                DecoupledWeightDecay = FlowConfig.ParseOptimizer(parse.GetValue(optimizer)!), Patience = parse.GetValue(patience), Seed = parse.GetValue(seed),
            };
            var settings = new FlowSettings(architecture, options, parse.GetValue(validation), parse.GetValue(ensemble));
            if (parse.GetValue(config) is { } configFile) settings = FlowConfig.Load(configFile, settings);
            var request = new TrainFlowRequest(parse.GetValue(data)!, Split(parse.GetValue(features)), Split(parse.GetValue(condition)), settings,
                StatsCommands.ParseWhere(parse.GetValue(where)), parse.GetValue(output));
            int lastEpoch = settings.Options.Epochs - 1;
            var gate = new object();     // ensemble members report from several threads
            var progress = parse.GetValue(quiet) ? null : new Progress<(int Member, int Epoch, double Train, double Validation)>(p =>
            {
                if (p.Epoch % 10 == 0 || p.Epoch == lastEpoch)
                    lock (gate) console.MarkupLineInterpolated($"{(settings.Ensemble > 1 ? $"flow {p.Member + 1}, " : "")}epoch {p.Epoch + 1}: train {p.Train.ToString("F4", CultureInfo.InvariantCulture)}, validation {p.Validation.ToString("F4", CultureInfo.InvariantCulture)}");
            });
            var r = TrainFlowJob.Run(request, progress);
            console.MarkupLineInterpolated($"{r.TrainRows:N0} training / {r.ValidationRows:N0} validation rows, {r.Epochs} epochs, {r.SecondsPerEpoch:F3} s per epoch");
            string best = r.BestValidationLoss.ToString("F4", CultureInfo.InvariantCulture);
            if (r.MemberValidationLoss.Length > 1)
                console.MarkupLineInterpolated($"best validation NLL [bold]{best}[/] (mean of {r.MemberValidationLoss.Length} flows: {string.Join(", ", r.MemberValidationLoss.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))}; standardised units)");
            else
                console.MarkupLineInterpolated($"best validation NLL [bold]{best}[/] at epoch {r.BestEpoch + 1} (standardised units)");
            WarnOutsideRange(console, r.ValidationConditionsOutside, "validation rows", r.TrainingConditionRange);
            if (r.FlowFile is not null) console.MarkupLineInterpolated($"flow written to {r.FlowFile}");
            return 0;
        }));
        return cmd;
    }

    private static void WarnOutsideRange(IAnsiConsole console, int count, string what, ConditionRange? range)
    {
        if (count == 0 || range is null) return;
        static string Join(double[] v) => string.Join(", ", v.Select(e => e.ToString("G6", CultureInfo.InvariantCulture)));
        FastAdCommand.Errors(console).MarkupLineInterpolated($"[yellow]warning:[/] {count} {what} have conditions outside the training range [[{Join(range.Min)}]] to [[{Join(range.Max)}]]; the flow extrapolates there.");
    }

    internal static Command FlowLatent(IAnsiConsole console)
    {
        var flow = new Option<string>("--flow") { Description = "Flow file (fastad-flow JSON).", Required = true };
        var data = new Option<string>("--data") { Description = "Delimited table (CSV/TSV).", Required = true };
        var features = new Option<string?>("--features") { Description = "Comma-separated feature columns (default: the names saved with the flow)." };
        var condition = new Option<string?>("--condition") { Description = "Comma-separated condition columns (default: the names saved with the flow)." };
        var where = new Option<string?>("--where") { Description = "Row selection, e.g. selection=os_cathode." };
        var member = new Option<int>("--member") { Description = "Which flow of an ensemble file (1-based).", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "CSV to write: z_0 … z_{D-1}, log_det, log_prob per row.", Required = true };
        var cmd = new Command("flow-latent", "Map rows to a trained flow's latent space z = T(x|c) (CONRAD), standardised as in training; warns about conditions outside the training range.")
        {
            flow, data, features, condition, where, member, output,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            static string[]? Split(string? s) => s?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var r = FlowLatentJob.Run(new FlowLatentRequest(parse.GetValue(flow)!, parse.GetValue(data)!, parse.GetValue(output)!, Split(parse.GetValue(features)),
                Split(parse.GetValue(condition)), StatsCommands.ParseWhere(parse.GetValue(where)), parse.GetValue(member) - 1));
            console.MarkupLineInterpolated($"{r.Rows:N0} rows mapped, mean log p {r.MeanLogProb.ToString("F4", CultureInfo.InvariantCulture)} (standardised units); written to {r.OutFile}");
            WarnOutsideRange(console, r.ConditionsOutside, "rows", r.TrainingConditionRange);
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// The flows suite: one training epoch of the SPEC 1.3 MAF (6 blocks, H = 20 and H = 128) on 8,500 × 3
    /// sideband-like events with one condition (plus the running-statistics pass and a validation pass over the
    /// same events; wide products in float as in training), sampling in double and with float networks, and — after a 40-epoch training on <see cref="ConditionalGaussianData"/> (8,500
    /// training, 8,500 validation events) — the log-prob throughput (wide products in float) over 100,000 test events, whose NLL and
    /// excess over the true density are shown in the size column (the accuracy half of the peer comparison:
    /// bench/peers/flows_peers.py trains the same way); then the RQS MAF (see RqsSuite) and the ensemble workloads.
    /// </summary>
    internal static IEnumerable<Func<FastAD.Kernels.ComputeDevice, FastAD.Kernels.Diagnostics.PrimitiveWorkload>> Suite(bool quick)
    {
        int rows = quick ? 1000 : 8500;
        var x = new double[rows * 3];
        var c = new double[rows];
        FastAD.Kernels.Random.Philox4x32.FillNormal(x, 3, 1);
        FastAD.Kernels.Random.Philox4x32.FillNormal(c, 3, 2);
        foreach (int hidden in new[] { 20, 128 })
        {
            yield return d =>
            {
                RequireCpu(d);
                var flow = new Spec13AffineMaf(3, 1, hidden, 6, seed: 1);
                var options = new FlowTrainingOptions { Epochs = 1, BatchSize = 256 };
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF epoch (6 blocks, H={hidden})", $"{rows:N0} x 3 events", d, rows,
                    () => FlowTrainer.Train(flow, x, c, x, c, options));
            };
        }
        foreach (int hidden in new[] { 20, 128 })
        {
            yield return d =>
            {
                RequireCpu(d);
                const int members = 10;     // CATHODE's: 5 per channel, both channels at once
                var flows = Enumerable.Range(0, members).Select(k => (IConditionalFlow)new Spec13AffineMaf(3, 1, hidden, 6, seed: 1 + (ulong)k)).ToArray();
                var options = Enumerable.Range(0, members).Select(k => new FlowTrainingOptions { Epochs = 1, BatchSize = 256, Seed = (ulong)k }).ToArray();
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF ensemble epoch, managed ({members} members on the cores, H={hidden})",
                    $"{members} x {rows:N0} x 3 events (validated on the same events); per member: median / {members}", d, (double)members * rows,
                    () => FlowTraining.Train(d, flows, x, c, x, c, options));
            };
        }
        foreach (var (hidden, single) in new[] { (20, false), (20, true), (128, false), (128, true) })
        {
            yield return d =>
            {
                var flow = new Spec13AffineMaf(3, 1, hidden, 6, seed: 1);
                return SamplingRow(d, $"MAF sampling (6 blocks, H={hidden}){(single ? ", float" : "")}", quick ? 10_000 : hidden > 64 ? 20_000 : 100_000, flow,
                    (noise, cond, output, pass) => flow.Sample(noise, cond, output, pass, single));
            };
        }
        foreach (int hidden in new[] { 20, 128 })
        {
            yield return d =>
            {
                RequireCpu(d);
                int epochs = quick ? 2 : 40, n = quick ? 10_000 : 100_000;
                var (xt, ct) = ConditionalGaussianData.Generate(rows, 11, 0);
                var (xv, cv) = ConditionalGaussianData.Generate(rows, 11, 1);
                var (xs, cs) = ConditionalGaussianData.Generate(n, 11, 2);
                var flow = new Spec13AffineMaf(3, 1, hidden, 6, seed: 2);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                FlowTrainer.Train(flow, xt, ct, xv, cv, new FlowTrainingOptions { Epochs = epochs, Seed = 3 });
                double seconds = watch.Elapsed.TotalSeconds;
                var lp = new double[n];
                flow.EvaluateLogProb(xs, cs, lp, default);
                double nll = -lp.Average(), truth = ConditionalGaussianData.TrueNll(xs, cs);
                var size = string.Create(CultureInfo.InvariantCulture,
                    $"{n:N0} events; test NLL {nll:F4}, truth {truth:F4}, excess {nll - truth:F4} after {epochs} epochs ({seconds:F1} s)");
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF log-prob (6 blocks, H={hidden}), float", size, d, n,
                    () => flow.EvaluateLogProb(xs, cs, lp, default, singlePrecision: true));
            };
        }
        foreach (var w in RqsSuite(quick)) yield return w;
        foreach (var workload in EnsembleSuite(quick)) yield return workload;
    }

    /// <summary>
    /// The RQS part of the flows suite (SPEC 2.1 shape as CONRAD uses it: 4 transforms, 8 bins, H = 64, two relu layers,
    /// reverse permutations, tail bound 4; Adam 1e-3, batch 128): one epoch over 8,500 × 3 events of
    /// <see cref="ReferenceConditionalDensity"/> with one condition plus the validation pass over 4,000, and sampling.
    /// The epoch workload's size line carries the validation NLL after <c>nllEpochs</c> epochs (and the true density's
    /// NLL on the same events) for equal-NLL comparisons with bench/peers/flows_peers.py, which draws the same events.
    /// </summary>
    private static IEnumerable<Func<FastAD.Kernels.ComputeDevice, FastAD.Kernels.Diagnostics.PrimitiveWorkload>> RqsSuite(bool quick)
    {
        int rows = quick ? 1000 : 8500, nllEpochs = quick ? 1 : 5;
        var (x, c) = ReferenceConditionalDensity.Draw(rows, 1, seed: 31);
        var (xv, cv) = ReferenceConditionalDensity.Draw(quick ? 500 : 4000, 2, seed: 31);
        var options = new FlowTrainingOptions { BatchSize = 128, LearningRate = 1e-3 };
        NflowsMaf Make() => new(3, 1, 64, 4, AutoregressiveTransform.RationalQuadratic, bins: 8, tailBound: 4, hiddenLayers: 2, seed: 1);
        yield return d =>
        {
            RequireCpu(d);
            var flow = Make();
            var trained = FlowTrainer.Train(flow, x, c, xv, cv, options with { Epochs = nllEpochs });
            string nll = trained.ValidationLoss[^1].ToString("F4", CultureInfo.InvariantCulture);
            string truth = ReferenceConditionalDensity.MeanNll(xv, cv).ToString("F4", CultureInfo.InvariantCulture);
            return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create("RQS MAF epoch (4 transforms, 8 bins, H=64)",
                $"{rows:N0} x 3 events; val NLL {nll} after {nllEpochs} epochs (true {truth})", d, rows,
                () => FlowTrainer.Train(flow, x, c, xv, cv, options with { Epochs = 1 }));
        };
        yield return d =>
        {
            RequireCpu(d);
            const int members = 4;
            var flows = Enumerable.Range(0, members).Select(k => (IConditionalFlow)Make()).ToArray();
            var each = Enumerable.Range(0, members).Select(k => options with { Epochs = 1, Seed = (ulong)k }).ToArray();
            return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"RQS MAF ensemble epoch, managed ({members} members on the cores, H=64)",
                $"{members} x {rows:N0} x 3 events; per member: median / {members}", d, (double)members * rows,
                () => FlowTraining.Train(d, flows, x, c, xv, cv, each));
        };
        foreach (bool single in new[] { false, true })
            yield return d =>
            {
                var flow = Make();
                return SamplingRow(d, $"RQS MAF sampling (4 transforms, 8 bins, H=64){(single ? ", float" : "")}", quick ? 2_000 : 100_000, flow,
                    (noise, cond, output, pass) => flow.Sample(noise, cond, output, pass, single));
            };
    }

    /// <summary>Sampling <paramref name="n"/> events of one condition from Philox noise with <paramref name="sample"/> (the managed path).</summary>
    private static FastAD.Kernels.Diagnostics.PrimitiveWorkload SamplingRow(FastAD.Kernels.ComputeDevice d, string name, int n, MaskedAutoregressiveFlow flow,
        Action<double[], double[], double[], MaskedAutoregressiveFlow.Pass> sample)
    {
        RequireCpu(d);
        var noise = new double[n * 3];
        var cond = new double[n];
        FastAD.Kernels.Random.Philox4x32.FillNormal(noise, 4, 1);
        var output = new double[n * 3];
        var pass = flow.NewPass(n);
        return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create(name, $"{n:N0} samples", d, n, () => sample(noise, cond, output, pass));
    }

    /// <summary>
    /// Ensembles of 5 trained-like flows: SPEC 1.3 affine MAFs of 6 blocks (H = 20 and 128) and SPEC 2.1 RQS MAFs of 4
    /// transforms × 8 bins (H = 32, CONRAD's, and 64). Evaluation on any device (FlowEvaluator: managed on the CPU, kernels
    /// on OpenCL/CUDA): log p and sampling (Philox noise drawn on the device), each flow on its own events, items = flows ×
    /// events, host transfers included. Training on kernel devices only (KernelFlowTrainer, single precision): one epoch of
    /// 8,500 rows in minibatches of 256 (affine) or 128 (RQS, CONRAD's) for every member, items = flows × rows.
    /// </summary>
    private static IEnumerable<Func<FastAD.Kernels.ComputeDevice, FastAD.Kernels.Diagnostics.PrimitiveWorkload>> EnsembleSuite(bool quick)
    {
        const int members = 5;
        var families = new (string Name, string Shape, int[] Hidden, int Batch, Func<int, MaskedAutoregressiveFlow[]> Make)[]
        {
            ("MAF", "6 blocks", [20, 128], 256, h => FlowsSelfTest.TrainedLikeFlows(members, h, 6, 1)),
            ("RQS MAF", "4 transforms x 8 bins", [32, 64], 128, h => FlowsSelfTest.RqsLikeFlows(members, h, 1)),
        };
        foreach (var family in families)
            foreach (int hidden in family.Hidden)
            {
                string shape = $"{members} flows, {family.Shape}, H={hidden}";
                yield return d =>
                {
                    int rows = quick ? 1000 : 8500;
                    var flows = family.Make(hidden);
                    var seeds = Enumerable.Range(0, members).Select(k => new FlowTrainingOptions { BatchSize = family.Batch, Seed = (ulong)k }).ToArray();
                    if (!FlowTraining.RunsKernels(d, flows, seeds))
                        throw new NotSupportedException($"This row measures the ensemble kernels; here the flows would train {FlowTraining.PathOn(d, flows, seeds)} (the 'epoch' rows).");
                    var x = new double[rows * 3];
                    var c = new double[rows];
                    FastAD.Kernels.Random.Philox4x32.FillNormal(x, 3, 1);
                    FastAD.Kernels.Random.Philox4x32.FillNormal(c, 3, 2);
                    var trainer = new KernelFlowTrainer(d, flows, new FlowTrainingOptions { BatchSize = family.Batch }, FlowPrecision.Single);
                    int epoch = 0;
                    return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"{family.Name} ensemble epoch ({shape}; f32 kernels)",
                        $"{members} x {rows:N0} x 3 events", d, (double)members * rows, () => trainer.Epoch(x, c, rows, epoch++), trainer);
                };
                yield return d =>
                {
                    int n = Events(d, quick, family.Name, hidden);
                    var flows = family.Make(hidden);
                    var x = new double[members * n * 3];
                    var c = new double[members * n];
                    FastAD.Kernels.Random.Philox4x32.FillNormal(x, 5, 1);
                    FastAD.Kernels.Random.Philox4x32.FillNormal(c, 5, 2);
                    var evaluator = FlowEvaluator.For(d, flows);
                    return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"{family.Name} ensemble log p ({shape}; f32 kernels, f64 managed)",
                        $"{members} x {n:N0} events", d, (double)members * n, () => evaluator.LogProb(x, c, n), evaluator);
                };
                yield return d =>
                {
                    int n = Events(d, quick, family.Name, hidden);
                    var flows = family.Make(hidden);
                    var c = new double[members * n];
                    FastAD.Kernels.Random.Philox4x32.FillNormal(c, 5, 2);
                    var evaluator = FlowEvaluator.For(d, flows);
                    return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"{family.Name} ensemble sampling ({shape}; f32 kernels, f64 managed)",
                        $"{members} x {n:N0} samples", d, (double)members * n, () => evaluator.Sample(9, 0, c, n), evaluator);
                };
            }

        // The managed RQS MAF evaluates about 20 times slower per event than the affine one: fewer events keep a call short.
        static int Events(FastAD.Kernels.ComputeDevice d, bool quick, string family, int hidden) =>
            quick ? 2_000 : d.Kind == FastAD.Kernels.DeviceKind.Cuda ? 1_000_000 : family != "MAF" ? 10_000 : hidden > 32 ? 20_000 : 100_000;
    }

    private static void RequireCpu(FastAD.Kernels.ComputeDevice d)
    {
        if (d.Kind != FastAD.Kernels.DeviceKind.Cpu)
            throw new NotSupportedException($"This row measures the managed CPU path; on '{d.Id}' the flows run the kernels (the 'ensemble' rows).");
    }
}
