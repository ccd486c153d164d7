using System.CommandLine;
using System.Globalization;
using FastAD.Analyses.Trees;
using FastAD.Kernels;
using FastAD.Kernels.Diagnostics;
using FastAD.Trees;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad train-bdt</c> and the <c>trees</c> bench suite.</summary>
internal static class TreesCommands
{
    internal static Command TrainBdt(IAnsiConsole console)
    {
        var data = new Option<string>("--data") { Description = "Table with features and a label: CSV/TSV, .npy, .npz, Feather, HDF5 or Parquet (docs/DATA.md).", Required = true };
        var label = new Option<string>("--label") { Description = "0/1 label column, or conditions joined by &, e.g. mu0_iso04>=0.55&mu1_iso04>=0.55.", Required = true };
        var features = new Option<string>("--features") { Description = "Comma-separated feature columns.", Required = true };
        var growth = new Option<string>("--growth") { Description = "depthwise (XGBoost hist) or leafwise (scikit-learn HGB).", DefaultValueFactory = _ => "depthwise" };
        var rounds = new Option<int>("--rounds") { Description = "Boosting rounds at most.", DefaultValueFactory = _ => 300 };
        var depth = new Option<int>("--depth") { Description = "Maximum depth (depth-wise).", DefaultValueFactory = _ => 3 };
        var leaves = new Option<int>("--leaves") { Description = "Maximum leaves (leaf-wise).", DefaultValueFactory = _ => 31 };
        var rate = new Option<double>("--learning-rate") { Description = "Shrinkage.", DefaultValueFactory = _ => 0.1 };
        var subsample = new Option<double>("--subsample") { Description = "Row fraction per tree.", DefaultValueFactory = _ => 0.7 };
        var patience = new Option<int>("--patience") { Description = "Early-stopping patience on the next fold (0 = off).", DefaultValueFactory = _ => 10 };
        var folds = new Option<int>("--folds") { Description = "Folds for out-of-fold scores.", DefaultValueFactory = _ => 5 };
        var members = new Option<int>("--models") { Description = "Models per fold (seeds), averaged.", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Subsampling seed.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Write the ensemble here (fastad-trees JSON, version 1)." };
        var config = new Option<string?>("--config") { Description = "YAML file of hyperparameters (snake_case keys; see BoostingConfig); applied over the options." };
        var cmd = new Command("train-bdt", "Train a k-fold histogram-boosted tree ensemble on a table; prints the out-of-fold AUC and writes the model.")
        {
            data, label, features, growth, rounds, depth, leaves, rate, subsample, patience, folds, members, seed, output, config,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            string g = parse.GetValue(growth)!.ToLowerInvariant();
            var p = g switch
            {
                "depthwise" or "depth-wise" => BoostingParameters.XGBoost with { MaxDepth = parse.GetValue(depth) },
                "leafwise" or "leaf-wise" => BoostingParameters.ScikitLearn with { MaxLeafNodes = parse.GetValue(leaves) },
                _ => throw new ArgumentException($"--growth must be depthwise or leafwise (got '{g}')."),
            };
            p = p with
            {
                MaxRounds = parse.GetValue(rounds), LearningRate = parse.GetValue(rate), Subsample = parse.GetValue(subsample),
                Patience = parse.GetValue(patience), Seed = parse.GetValue(seed),
            };
            if (parse.GetValue(config) is { } configFile) p = BoostingConfig.Load(configFile, p);
            var names = parse.GetValue(features)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var request = new TrainBdtRequest(parse.GetValue(data)!, parse.GetValue(label)!, names, p, parse.GetValue(folds), parse.GetValue(members), parse.GetValue(output));
            var r = TrainBdtJob.Run(request);
            console.MarkupLineInterpolated($"{r.Rows:N0} rows ({r.Positives:N0} positive), {r.Models} models ({p.Growth}, mean {r.MeanTrees:F1} trees) in {r.Seconds:F2} s");
            console.MarkupLineInterpolated($"out-of-fold AUC: [bold]{r.OutOfFoldAuc.ToString("F4", CultureInfo.InvariantCulture)}[/]");
            if (r.ModelFile is not null) console.MarkupLineInterpolated($"model written to {r.ModelFile}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>The CATHODE ensemble of SPEC 1.5: 5 folds × 100 models (quick: × 4), ≈1.7k + 8.5k rows, 3 features.</summary>
    internal static IEnumerable<Func<ComputeDevice, PrimitiveWorkload>> Suite(bool quick)
    {
        var task = TrainBdtJob.CathodeSizedTask();
        int members = quick ? 4 : 100;
        yield return d => PrimitiveWorkload.Create("CATHODE BDT ensemble", $"5 folds x {members} models, {task.X.Rows:N0} rows", d, 5.0 * members,
            () => Ensemble.Train(d, task.Binner, task.X, task.Labels, task.Folds, members, BoostingParameters.Cathode));
    }
}
