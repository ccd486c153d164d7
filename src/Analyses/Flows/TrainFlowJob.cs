using System.Diagnostics;
using FastAD.Flows;
using FastAD.Kernels.Random;

namespace FastAD.Analyses.Flows;

/// <summary>What <c>fastad train-flow</c> asks for.</summary>
public sealed record TrainFlowRequest(string DataFile, IReadOnlyList<string> Features, IReadOnlyList<string> Conditions, FlowSettings Settings,
    IReadOnlyDictionary<string, string>? Where = null, string? FlowOut = null);

/// <summary>
/// The result of a training run: best validation NLL (the members' mean for an ensemble, each member's in
/// <see cref="MemberValidationLoss"/>), and how many validation rows have conditions outside the training range.
/// </summary>
public sealed record TrainFlowReport(int TrainRows, int ValidationRows, int Epochs, int BestEpoch, double BestValidationLoss, double SecondsPerEpoch, string? FlowFile,
    double[] MemberValidationLoss, int ValidationConditionsOutside = 0, ConditionRange? TrainingConditionRange = null);

/// <summary>
/// Trains a conditional flow (or a concurrently trained ensemble) on standardised columns of a table, with a Philox-seeded
/// validation split; the flow file records the standardisation and the training conditions' range (standardised units).
/// </summary>
public static class TrainFlowJob
{
    /// <summary>Runs the training.</summary>
    public static TrainFlowReport Run(TrainFlowRequest r, IProgress<(int Member, int Epoch, double Train, double Validation)>? progress = null)
    {
        var settings = r.Settings;
        if (r.Features.Count < 2) throw new ArgumentException("--features: a MAF needs at least two feature columns.");
        if (!(settings.ValidationFraction > 0 && settings.ValidationFraction < 1)) throw new ArgumentException("--validation must be in (0, 1).");
        if (settings.Ensemble < 1) throw new ArgumentException("--ensemble must be at least 1.");
        if (settings.Options.Epochs < 1 || settings.Options.BatchSize < 1) throw new ArgumentException("--epochs and --batch must be positive.");
        var a = settings.Architecture;
        if (a.Blocks < 1 || a.Hidden < 1 || a.HiddenLayers < 1) throw new ArgumentException("--blocks, --hidden and --hidden-layers must be positive.");
        if (a.Kind == FlowKind.RationalQuadratic && (a.Bins < 2 || !(a.TailBound > 0)))
            throw new ArgumentException($"--bins must be at least 2 and --tail-bound positive (got {a.Bins} and {a.TailBound}).");
        var (x, cond, rowCount) = FlowTable.Read(r.DataFile, r.Where, r.Features, r.Conditions);
        if (rowCount < 10) throw new InvalidDataException($"{r.DataFile}: only {rowCount} rows selected; a flow needs more.");
        int d = r.Features.Count, c = r.Conditions.Count;
        var (fm, fs) = Standardization.Of(x, d);
        var (cm, cs) = c > 0 ? Standardization.Of(cond, c) : (Array.Empty<double>(), Array.Empty<double>());
        Standardization.Apply(x, fm, fs);
        if (c > 0) Standardization.Apply(cond, cm, cs);
        // Philox-seeded split.
        var u = new double[rowCount];
        Philox4x32.FillUniform(u, settings.Options.Seed, 0x5EED);
        var val = Enumerable.Range(0, rowCount).Where(i => u[i] < settings.ValidationFraction).ToArray();
        var train = Enumerable.Range(0, rowCount).Where(i => u[i] >= settings.ValidationFraction).ToArray();
        if (val.Length == 0) throw new InvalidDataException("The validation split is empty; raise --validation or use more rows.");
        int cw = Math.Max(c, 1);
        static double[] Take(double[] data, int width, int[] idx)
        {
            var result = new double[idx.Length * width];
            for (int k = 0; k < idx.Length; k++) Array.Copy(data, idx[k] * width, result, k * width, width);
            return result;
        }
        var (xTrain, cTrain, xVal, cVal) = (Take(x, d, train), Take(cond, cw, train), Take(x, d, val), Take(cond, cw, val));
        var sw = Stopwatch.StartNew();
        var (ensemble, results) = FlowEnsemble.Train(settings.Ensemble, i => a.Create(d, c, settings.Options.Seed + (ulong)i),
            xTrain, cTrain, xVal, cVal, settings.Options, progress: progress);
        int epochs = results.Max(t => t.TrainLoss.Length);
        double perEpoch = sw.Elapsed.TotalSeconds / epochs;
        // The file's identity: what trained it and a digest of its columns, data, architecture, seed and epochs.
        var identity = r.FlowOut is null ? null : new FastAD.Kernels.IO.ModelIdentity("train-flow", null, null, ModelFingerprint.Of("train-flow v1",
            string.Join(",", r.Features), string.Join(",", r.Conditions), a.ToString(), settings.Options.Seed, settings.Options.Epochs, settings.Ensemble,
            xTrain, cTrain, xVal, cVal));
        if (r.FlowOut is not null) FlowFile.Save(r.FlowOut, ensemble, new Standardization(fm, fs, cm, cs), r.Features, r.Conditions, identity);
        var memberLoss = results.Select(t => t.BestEpoch >= 0 ? t.ValidationLoss[t.BestEpoch] : double.NaN).ToArray();
        int outside = ensemble.ConditionRange?.CountOutside(cVal, val.Length) ?? 0;
        var range = ensemble.ConditionRange?.Unstandardised(cm, cs);
        return new TrainFlowReport(train.Length, val.Length, epochs, results[0].BestEpoch, memberLoss.Average(), perEpoch, r.FlowOut, memberLoss, outside, range);
    }
}
