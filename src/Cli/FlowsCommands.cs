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
    /// sideband-like events with one condition (plus the running-statistics pass and a validation pass over the
    /// same events; wide products in float as in training), sampling in double and with float networks, and — after a 40-epoch training on <see cref="ConditionalGaussianData"/> (8,500
    /// training, 8,500 validation events) — the log-prob throughput (wide products in float) over 100,000 test events, whose NLL and
    /// excess over the true density are shown in the size column (the accuracy half of the peer comparison:
    /// bench/peers/flows_peers.py trains the same way). Managed path only so far.
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
        foreach (var (hidden, single) in new[] { (20, false), (20, true), (128, false), (128, true) })
        {
            yield return d =>
            {
                RequireCpu(d);
                int n = quick ? 10_000 : hidden > 64 ? 20_000 : 100_000;
                var flow = new MaskedAutoregressiveFlow(3, 1, hidden, 6, seed: 1);
                var noise = new double[n * 3];
                var cond = new double[n];
                FastAD.Kernels.Random.Philox4x32.FillNormal(noise, 4, 1);
                var output = new double[n * 3];
                var pass = flow.NewPass(n);
                return FastAD.Kernels.Diagnostics.PrimitiveWorkload.Create($"MAF sampling (6 blocks, H={hidden}){(single ? ", float" : "")}", $"{n:N0} samples", d, n,
                    () => flow.Sample(noise, cond, output, pass, single));
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
                var flow = new MaskedAutoregressiveFlow(3, 1, hidden, 6, seed: 2);
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
    }

    private static void RequireCpu(FastAD.Kernels.ComputeDevice d)
    {
        if (d.Kind != FastAD.Kernels.DeviceKind.Cpu)
            throw new NotSupportedException($"The flows suite has only the managed CPU path so far; '{d.Id}' has no flow kernels yet.");
    }
}
