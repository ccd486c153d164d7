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
        var data = new Option<string>("--data") { Description = "Delimited table (CSV/TSV).", Required = true };
        var features = new Option<string>("--features") { Description = "Comma-separated feature columns (at least 2).", Required = true };
        var condition = new Option<string?>("--condition") { Description = "Comma-separated condition columns (e.g. dimu_mass)." };
        var where = new Option<string?>("--where") { Description = "Row selection, e.g. selection=os_cathode." };
        var blocks = new Option<int>("--blocks") { Description = "MADE blocks.", DefaultValueFactory = _ => 6 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per MADE layer.", DefaultValueFactory = _ => 20 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 400 };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 256 };
        var rate = new Option<double>("--learning-rate") { Description = "Adam learning rate.", DefaultValueFactory = _ => 7.5e-4 };
        var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without improvement (0 = off).", DefaultValueFactory = _ => 0 };
        var validation = new Option<double>("--validation") { Description = "Validation fraction (random, seeded).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<ulong>("--seed") { Description = "Seed (initialisation, split, shuffles).", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Write the flow here (fastad-flow JSON v1, with its standardisation)." };
        var quiet = new Option<bool>("--quiet") { Description = "No per-epoch lines." };
        var cmd = new Command("train-flow", "Train a conditional MAF (SPEC 1.3 architecture) on standardised columns; prints the best validation NLL.")
        {
            data, features, condition, where, blocks, hidden, epochs, batch, rate, patience, validation, seed, output, quiet,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            static string[] Split(string? s) => s is null ? [] : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var options = new FlowTrainingOptions
            {
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(rate),
                Patience = parse.GetValue(patience), Seed = parse.GetValue(seed),
            };
            if (options.Epochs < 1 || options.BatchSize < 1) throw new ArgumentException("--epochs and --batch must be positive.");
            var request = new TrainFlowRequest(parse.GetValue(data)!, Split(parse.GetValue(features)), Split(parse.GetValue(condition)),
                parse.GetValue(blocks), parse.GetValue(hidden), options, parse.GetValue(validation), StatsCommands.ParseWhere(parse.GetValue(where)), parse.GetValue(output));
            var progress = parse.GetValue(quiet) ? null : new Progress<(int Epoch, double Train, double Validation)>(p =>
            {
                if (p.Epoch % 10 == 0 || p.Epoch == options.Epochs - 1)
                    console.MarkupLineInterpolated($"epoch {p.Epoch + 1}: train {p.Train.ToString("F4", CultureInfo.InvariantCulture)}, validation {p.Validation.ToString("F4", CultureInfo.InvariantCulture)}");
            });
            var r = TrainFlowJob.Run(request, progress);
            console.MarkupLineInterpolated($"{r.TrainRows:N0} training / {r.ValidationRows:N0} validation rows, {r.Epochs} epochs, {r.SecondsPerEpoch:F3} s per epoch");
            console.MarkupLineInterpolated($"best validation NLL [bold]{r.BestValidationLoss.ToString("F4", CultureInfo.InvariantCulture)}[/] at epoch {r.BestEpoch + 1} (standardised units)");
            if (r.FlowFile is not null) console.MarkupLineInterpolated($"flow written to {r.FlowFile}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// The flows suite: one training epoch of the SPEC 1.3 MAF (6 blocks, H = 20 and H = 128) on 8,500 × 3
    /// sideband-like events with one condition, and sampling 100,000 events. Managed path only so far.
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
                var flow = new MaskedAutoregressiveFlow(3, 1, hidden, 6, seed: 1);
                var options = new FlowTrainingOptions { Epochs = 1, BatchSize = 256 };
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF epoch (6 blocks, H={hidden})", $"{rows:N0} x 3 events", d, rows,
                    () => FlowTrainer.Train(flow, x, c, x, c, options));
            };
        }
        yield return d =>
        {
            RequireCpu(d);
            int n = quick ? 10_000 : 100_000;
            var flow = new MaskedAutoregressiveFlow(3, 1, 20, 6, seed: 1);
            var noise = new double[n * 3];
            var cond = new double[n];
            FastAD.Kernels.Random.Philox4x32.FillNormal(noise, 4, 1);
            var output = new double[n * 3];
            var pass = flow.NewPass(n);
            return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create("MAF sampling (6 blocks, H=20)", $"{n:N0} samples", d, n,
                () => flow.Sample(noise, cond, output, pass));
        };
        foreach (var workload in EnsembleSuite(quick)) yield return workload;
    }

    /// <summary>
    /// Ensembles of 5 trained-like flows of 6 blocks, H = 20 and 128. Evaluation on any device (FlowEvaluator: managed
    /// on the CPU, kernels on OpenCL/CUDA): log p and sampling (Philox noise drawn on the device), each flow on its own
    /// events, items = flows × events, host transfers included. Training on kernel devices only (KernelFlowTrainer,
    /// single precision): one epoch of 8,500 rows in minibatches of 256 for every member, items = flows × rows.
    /// </summary>
    private static IEnumerable<Func<FastAD.Kernels.ComputeDevice, FastAD.Kernels.Diagnostics.PrimitiveWorkload>> EnsembleSuite(bool quick)
    {
        const int members = 5;
        foreach (int hidden in new[] { 20, 128 })
        {
            yield return d =>
            {
                if (!d.SupportsKernels) throw new NotSupportedException("The managed path trains one flow at a time (the 'MAF epoch' rows).");
                int rows = quick ? 1000 : 8500;
                var flows = FlowsSelfTest.TrainedLikeFlows(members, hidden, 6, 1);
                var x = new double[rows * 3];
                var c = new double[rows];
                FastAD.Kernels.Random.Philox4x32.FillNormal(x, 3, 1);
                FastAD.Kernels.Random.Philox4x32.FillNormal(c, 3, 2);
                var trainer = new KernelFlowTrainer(d, flows, new FlowTrainingOptions { BatchSize = 256 }, FlowPrecision.Single);
                int epoch = 0;
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF ensemble epoch ({members} flows, 6 blocks, H={hidden}; f32 kernels)",
                    $"{members} x {rows:N0} x 3 events", d, (double)members * rows, () => trainer.Epoch(x, c, rows, epoch++), trainer);
            };
            yield return d =>
            {
                int n = Events(d, quick, hidden);
                var flows = FlowsSelfTest.TrainedLikeFlows(members, hidden, 6, 1);
                var x = new double[members * n * 3];
                var c = new double[members * n];
                FastAD.Kernels.Random.Philox4x32.FillNormal(x, 5, 1);
                FastAD.Kernels.Random.Philox4x32.FillNormal(c, 5, 2);
                var evaluator = FlowEvaluator.For(d, flows);
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF ensemble log p ({members} flows, 6 blocks, H={hidden}; f32 kernels, f64 managed)",
                    $"{members} x {n:N0} events", d, (double)members * n, () => evaluator.LogProb(x, c, n), evaluator);
            };
            yield return d =>
            {
                int n = Events(d, quick, hidden);
                var flows = FlowsSelfTest.TrainedLikeFlows(members, hidden, 6, 1);
                var c = new double[members * n];
                FastAD.Kernels.Random.Philox4x32.FillNormal(c, 5, 2);
                var evaluator = FlowEvaluator.For(d, flows);
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF ensemble sampling ({members} flows, 6 blocks, H={hidden}; f32 kernels, f64 managed)",
                    $"{members} x {n:N0} samples", d, (double)members * n, () => evaluator.Sample(9, 0, c, n), evaluator);
            };
        }

        static int Events(FastAD.Kernels.ComputeDevice d, bool quick, int hidden) =>
            quick ? 2_000 : d.Kind == FastAD.Kernels.DeviceKind.Cuda ? 1_000_000 : hidden > 32 ? 20_000 : 100_000;
    }

    private static void RequireCpu(FastAD.Kernels.ComputeDevice d)
    {
        if (d.Kind != FastAD.Kernels.DeviceKind.Cpu)
            throw new NotSupportedException($"The flows suite has only the managed CPU path so far; '{d.Id}' has no flow kernels yet.");
    }
}
