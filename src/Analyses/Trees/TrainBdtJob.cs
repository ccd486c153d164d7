using System.Diagnostics;
using System.Globalization;
using FastAD.Analyses.Cathode;
using FastAD.Data;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.Trees;

namespace FastAD.Analyses.Trees;

/// <summary>What <c>fastad train-bdt</c> asks for.</summary>
/// <param name="DataFile">Table with features and a label (CSV/TSV, .npy, .npz or Feather; see docs/DATA.md).</param>
/// <param name="Label">A 0/1 column, or a conjunction of comparisons such as <c>mu0_iso04&gt;=0.55&amp;mu1_iso04&gt;=0.55</c>.</param>
/// <param name="Features">Feature columns.</param>
/// <param name="Parameters">Boosting hyperparameters.</param>
/// <param name="Folds">Folds for out-of-fold scores (row i in fold i mod folds).</param>
/// <param name="Members">Models per fold (different subsample seeds), averaged.</param>
/// <param name="ModelOut">Where to write the model file, or null.</param>
public sealed record TrainBdtRequest(string DataFile, string Label, IReadOnlyList<string> Features, BoostingParameters Parameters,
    int Folds = 5, int Members = 1, string? ModelOut = null);

/// <summary>The result of a training run.</summary>
public sealed record TrainBdtReport(int Rows, int Positives, double OutOfFoldAuc, int Models, double MeanTrees, double Seconds, string? ModelFile);

/// <summary>Trains a k-fold BDT ensemble on a table and reports its out-of-fold AUC.</summary>
public static class TrainBdtJob
{
    /// <summary>Parses the label expression into 0/1 labels.</summary>
    public static double[] Labels(EventTable table, string label)
    {
        var terms = label.Split('&', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = Enumerable.Repeat(1.0, table.RowCount).ToArray();
        foreach (var term in terms)
        {
            string[] ops = [">=", "<=", "==", ">", "<"];
            var op = ops.FirstOrDefault(o => term.Contains(o, StringComparison.Ordinal));
            if (op is null)
            {
                var col = table.GetDouble(term);
                for (int i = 0; i < col.Length; i++)
                {
                    if (col[i] != 0 && col[i] != 1)
                        throw new InvalidDataException($"{table.Source}, {table.Locate(i)}: label '{term}' is {col[i]}; labels must be 0 or 1 (or give a condition such as {term}>=0.5).");
                    result[i] *= col[i];
                }
                continue;
            }
            var parts = term.Split(op, 2);
            var values = table.GetDouble(parts[0].Trim());
            if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold))
                throw new ArgumentException($"--label: '{parts[1]}' in '{term}' is not a number.");
            for (int i = 0; i < values.Length; i++)
            {
                double v = values[i];
                bool ok = op switch { ">=" => v >= threshold, "<=" => v <= threshold, "==" => v == threshold, ">" => v > threshold, _ => v < threshold };
                if (!ok) result[i] = 0;
            }
        }
        return result;
    }

    /// <summary>Runs the training.</summary>
    public static TrainBdtReport Run(TrainBdtRequest request, IProgress<int>? progress = null)
    {
        if (request.Features.Count == 0) throw new ArgumentException("--features: name at least one feature column.");
        if (request.Folds < 2) throw new ArgumentOutOfRangeException(nameof(request), $"--folds must be at least 2 (got {request.Folds}).");
        var table = EventTableIO.Read(request.DataFile);
        var labels = Labels(table, request.Label);
        var columns = request.Features.Select(f => table.GetDouble(f)).ToArray();
        foreach (var (col, name) in columns.Zip(request.Features))
            for (int i = 0; i < col.Length; i++)
                if (double.IsInfinity(col[i]))
                    throw new InvalidDataException($"{request.DataFile}, {table.Locate(i)}: feature '{name}' is {col[i]}; use NaN (or an empty cell) for missing values.");
        int n = labels.Length, positives = (int)labels.Sum();
        if (positives == 0 || positives == n) throw new InvalidDataException($"{request.DataFile}: the label '{request.Label}' gives a single class ({positives} of {n} rows positive).");
        var sw = Stopwatch.StartNew();
        var binner = QuantileBinner.Fit(request.Features.ToArray(), columns);
        var x = binner.Transform(columns);
        // Row i in fold i mod k; the next fold validates when early stopping is on.
        var folds = Enumerable.Range(0, request.Folds).Select(k =>
        {
            var test = Enumerable.Range(0, n).Where(i => i % request.Folds == k).ToArray();
            int v = (k + 1) % request.Folds;
            bool early = request.Parameters.Patience > 0;
            var validation = early ? Enumerable.Range(0, n).Where(i => i % request.Folds == v).ToArray() : [];
            var train = Enumerable.Range(0, n).Where(i => i % request.Folds != k && (!early || i % request.Folds != v)).ToArray();
            return new FoldSplit(train, validation, test);
        }).ToArray();
        var ensemble = TrainFolds(binner, x, labels, folds, request.Members, request.Parameters, progress);
        var scores = ensemble.OutOfFoldScores(x);
        var roc = ClassifierMetrics.Roc(
            Enumerable.Range(0, n).Where(i => labels[i] == 1).Select(i => scores[i]).ToArray(),
            Enumerable.Range(0, n).Where(i => labels[i] == 0).Select(i => scores[i]).ToArray());
        // The file's identity: what trained it and a digest of its data, labels, folds and hyperparameters.
        if (request.ModelOut is not null)
            ModelFile.Save(request.ModelOut, ensemble, new FastAD.Kernels.IO.ModelIdentity("train-bdt", null, null, ModelFingerprint.Of("train-bdt v1",
                string.Join(",", request.Features), request.Parameters.ToString(), request.Folds, request.Members, labels, ModelFingerprint.Of([.. columns]))));
        var all = ensemble.Models.SelectMany(m => m).ToArray();
        return new TrainBdtReport(n, positives, roc.Auc, all.Length, all.Average(m => m.Trees.Length), sw.Elapsed.TotalSeconds, request.ModelOut);
    }

    private static Ensemble TrainFolds(QuantileBinner binner, BinnedFeatures x, double[] labels, FoldSplit[] folds, int members, BoostingParameters p, IProgress<int>? progress)
    {
        // Unweighted (the CATHODE class weighting lives in Ensemble.Train): one TrainingSet per fold.
        var models = folds.Select(_ => new BoostedModel[members]).ToArray();
        int done = 0;
        Parallel.For(0, folds.Length * members, job =>
        {
            int f = job / members, m = job % members;
            var train = new TrainingSet(x, labels, rows: folds[f].Train, name: $"fold {f} training");
            var validation = folds[f].Validation.Length > 0 ? new TrainingSet(x, labels, rows: folds[f].Validation, name: $"fold {f} validation") : null;
            models[f][m] = HistogramBooster.Train(binner, train, validation, p with { Seed = p.Seed + (ulong)m });
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new Ensemble(binner, folds, models);
    }

    /// <summary>
    /// A CATHODE-sized ensemble for benchmarks: about 1.7k "SR data" rows against 8.5k "samples", 3 Gaussian
    /// features, the SPEC 1.5 rotation (no sideband rows).
    /// </summary>
    public static (QuantileBinner Binner, BinnedFeatures X, double[] Labels, FoldSplit[] Folds) CathodeSizedTask(int dataSr = 1700, int samples = 8500)
    {
        int n = dataSr + samples;
        var cols = Enumerable.Range(0, 3).Select(f =>
        {
            var c = new double[n];
            Philox4x32.FillNormal(c, 5, (ulong)f);
            for (int i = 0; i < dataSr; i++) c[i] += 0.1;
            return c;
        }).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i < dataSr ? 1.0 : 0.0).ToArray();
        var binner = QuantileBinner.Fit(["f0", "f1", "f2"], cols);
        return (binner, binner.Transform(cols), labels, CathodeFolds.Make(dataSr, 0, samples));
    }
}
