using System.Diagnostics;
using FastAD.Data;
using FastAD.Flows;
using FastAD.Kernels.Random;

namespace FastAD.Analyses.Flows;

/// <summary>What <c>fastad train-flow</c> asks for.</summary>
public sealed record TrainFlowRequest(string DataFile, IReadOnlyList<string> Features, IReadOnlyList<string> Conditions, int Blocks, int Hidden,
    FlowTrainingOptions Options, double ValidationFraction = 0.2, IReadOnlyDictionary<string, string>? Where = null, string? FlowOut = null);

/// <summary>The result of a training run.</summary>
public sealed record TrainFlowReport(int TrainRows, int ValidationRows, int Epochs, int BestEpoch, double BestValidationLoss, double SecondsPerEpoch, string? FlowFile);

/// <summary>Trains a conditional MAF on standardised columns of a table, with a Philox-seeded validation split.</summary>
public static class TrainFlowJob
{
    /// <summary>Runs the training.</summary>
    public static TrainFlowReport Run(TrainFlowRequest r, IProgress<(int Epoch, double Train, double Validation)>? progress = null)
    {
        if (r.Features.Count < 2) throw new ArgumentException("--features: a MAF needs at least two feature columns.");
        if (!(r.ValidationFraction > 0 && r.ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(r), "--validation must be in (0, 1).");
        var table = DelimitedTable.Read(r.DataFile);
        var mask = r.Where is { Count: > 0 } ? table.Where(r.Where) : Enumerable.Repeat(true, table.RowCount).ToArray();
        var rows = Enumerable.Range(0, table.RowCount).Where(i => mask[i]).ToArray();
        if (rows.Length < 10) throw new InvalidDataException($"{r.DataFile}: only {rows.Length} rows selected; a flow needs more.");
        double[] Columns(IReadOnlyList<string> names)
        {
            var cols = names.Select(n => table.GetDoubles(n)).ToArray();
            var data = new double[rows.Length * names.Count];
            for (int k = 0; k < rows.Length; k++)
                for (int j = 0; j < names.Count; j++)
                {
                    double v = cols[j][rows[k]];
                    if (!double.IsFinite(v)) throw new InvalidDataException($"{r.DataFile}, line {table.LineOf(rows[k])}, column '{names[j]}': {v}; flows need finite inputs.");
                    data[k * names.Count + j] = v;
                }
            return data;
        }
        int d = r.Features.Count, c = r.Conditions.Count;
        var x = Columns(r.Features);
        var cond = c > 0 ? Columns(r.Conditions) : new double[rows.Length];
        var (fm, fs) = Standardization.Of(x, d);
        var (cm, cs) = c > 0 ? Standardization.Of(cond, c) : (Array.Empty<double>(), Array.Empty<double>());
        Standardization.Apply(x, fm, fs);
        if (c > 0) Standardization.Apply(cond, cm, cs);
        // Philox-seeded split.
        var u = new double[rows.Length];
        Philox4x32.FillUniform(u, r.Options.Seed, 0x5EED);
        var val = Enumerable.Range(0, rows.Length).Where(i => u[i] < r.ValidationFraction).ToArray();
        var train = Enumerable.Range(0, rows.Length).Where(i => u[i] >= r.ValidationFraction).ToArray();
        if (val.Length == 0) throw new InvalidDataException("The validation split is empty; raise --validation or use more rows.");
        int cw = Math.Max(c, 1);
        static double[] Take(double[] data, int width, int[] idx)
        {
            var result = new double[idx.Length * width];
            for (int k = 0; k < idx.Length; k++) Array.Copy(data, idx[k] * width, result, k * width, width);
            return result;
        }
        var flow = new MaskedAutoregressiveFlow(d, c, r.Hidden, r.Blocks, r.Options.Seed);
        var sw = Stopwatch.StartNew();
        var result = FlowTrainer.Train(flow, Take(x, d, train), Take(cond, cw, train), Take(x, d, val), Take(cond, cw, val), r.Options, progress);
        double perEpoch = sw.Elapsed.TotalSeconds / result.TrainLoss.Length;
        if (r.FlowOut is not null) FlowFile.Save(r.FlowOut, flow, new Standardization(fm, fs, cm, cs));
        return new TrainFlowReport(train.Length, val.Length, result.TrainLoss.Length, result.BestEpoch, result.ValidationLoss[result.BestEpoch], perEpoch, r.FlowOut);
    }
}
