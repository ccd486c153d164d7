using FastAD.Kernels.IO;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>The SR (label 1) and sideband (label 0) rows of one set of events in a classifier matrix, with each event's multiplicity (null: once each).</summary>
internal sealed record ClassifierBlock(CathodeChannelData Events, int[] SrRows, int[] SbRows, double[]? Multiplicity = null)
{
    /// <summary>The block of <paramref name="events"/> split by the configured bands.</summary>
    public static ClassifierBlock Of(CathodeChannelData events, CathodeConfig c, double[]? multiplicity = null)
    {
        var band = CathodeAnalysis.Bands(events, c);
        return new(events, Enumerable.Range(0, band.Length).Where(i => band[i] == MassBand.Sr).ToArray(),
            Enumerable.Range(0, band.Length).Where(i => band[i] is MassBand.Sbl or MassBand.Sbh).ToArray(), multiplicity);
    }

    /// <summary>Rows of the block: SR then sideband events.</summary>
    public int Rows => SrRows.Length + SbRows.Length;
}

/// <summary>
/// The SPEC 1.5 classifier matrix, built once: blocks of events (SR rows labelled 1, sideband rows 0) and the flow
/// samples (label 0), in the given order; the k-fold rotation of each block over its own rows and the shared samples;
/// and the scatter of out-of-fold scores back to each block's events. The analysis trains one block against the samples
/// ([data | samples]); a batch of pseudoexperiments trains many blocks in one ensemble call ([samples | pseudo 1 | …]).
/// </summary>
internal sealed class ClassifierMatrix
{
    private readonly int[] _offsets;
    private readonly int _samplesOffset, _samples;

    private ClassifierMatrix(ClassifierBlock[] blocks, int[] offsets, int samplesOffset, int samples, double[][] columns, double[] labels, double[]? frequencies)
    {
        (Blocks, _offsets, _samplesOffset, _samples, Columns, Labels, Frequencies) = (blocks, offsets, samplesOffset, samples, columns, labels, frequencies);
    }

    /// <summary>The blocks, in matrix order.</summary>
    public ClassifierBlock[] Blocks { get; }

    /// <summary>The matrix, column-major (features × rows).</summary>
    public double[][] Columns { get; }

    /// <summary>1 for SR rows, 0 for sideband rows and samples.</summary>
    public double[] Labels { get; }

    /// <summary>Frequency weights (multiplicities; samples 1), or null when every event counts once.</summary>
    public double[]? Frequencies { get; }

    /// <summary>Builds the matrix of <paramref name="blocks"/> and the samples (row-major, <paramref name="d"/> features), samples first or last.</summary>
    public static ClassifierMatrix Build(IReadOnlyList<ClassifierBlock> blocks, double[] samples, int d, bool samplesFirst)
    {
        int nSamples = samples.Length / d;
        var offsets = new int[blocks.Count];
        int rows = samplesFirst ? nSamples : 0;
        for (int b = 0; b < blocks.Count; b++)
        {
            offsets[b] = rows;
            rows += blocks[b].Rows;
        }
        int samplesOffset = samplesFirst ? 0 : rows;
        rows += samplesFirst ? 0 : nSamples;
        var columns = Enumerable.Range(0, d).Select(_ => new double[rows]).ToArray();
        var labels = new double[rows];
        bool weighted = blocks.Any(b => b.Multiplicity is not null);
        var frequencies = weighted ? Enumerable.Repeat(1.0, rows).ToArray() : null;
        for (int b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            var events = block.Events;
            int o = offsets[b];
            foreach (var (eventRows, first, label) in new[] { (block.SrRows, 0, 1.0), (block.SbRows, block.SrRows.Length, 0.0) })
                for (int i = 0; i < eventRows.Length; i++)
                {
                    int e = eventRows[i], row = o + first + i;
                    for (int j = 0; j < d; j++) columns[j][row] = events.Features[e * d + j];
                    labels[row] = label;
                    if (frequencies is not null && block.Multiplicity is { } m) frequencies[row] = m[e];
                }
        }
        for (int i = 0; i < nSamples; i++)
            for (int j = 0; j < d; j++) columns[j][samplesOffset + i] = samples[i * d + j];
        return new ClassifierMatrix([.. blocks], offsets, samplesOffset, nSamples, columns, labels, frequencies);
    }

    /// <summary>The SPEC 1.5 rotation of block <paramref name="block"/>'s rows and the samples, in matrix rows.</summary>
    public FoldSplit[] Folds(int block, int folds, ulong seed)
    {
        var b = Blocks[block];
        int nSr = b.SrRows.Length, nSb = b.SbRows.Length, o = _offsets[block];
        int Map(int r) => r < nSr + nSb ? o + r : _samplesOffset + r - nSr - nSb;
        return CathodeFolds.Make(nSr, nSb, _samples, folds, seed)
            .Select(f => new FoldSplit(f.Train.Select(Map).ToArray(), f.Validation.Select(Map).ToArray(), f.Test.Select(Map).ToArray())).ToArray();
    }

    /// <summary>Per event of block <paramref name="block"/>, its value among the matrix-row values <paramref name="perRow"/> (NaN for events outside the bands).</summary>
    public double[] Scatter(int block, double[] perRow)
    {
        var b = Blocks[block];
        var result = new double[b.Events.Rows];
        Array.Fill(result, double.NaN);
        for (int i = 0; i < b.SrRows.Length; i++) result[b.SrRows[i]] = perRow[_offsets[block] + i];
        for (int i = 0; i < b.SbRows.Length; i++) result[b.SbRows[i]] = perRow[_offsets[block] + b.SrRows.Length + i];
        return result;
    }

    /// <summary>The block event of a matrix row, or −1 for a sample.</summary>
    public int EventOf(int block, int row)
    {
        var b = Blocks[block];
        int r = row - _offsets[block];
        if (r < 0 || r >= b.Rows) return -1;
        return r < b.SrRows.Length ? b.SrRows[r] : b.SbRows[r - b.SrRows.Length];
    }
}

/// <summary>
/// The classifier stage of CATHODE (SPEC 1.5) for one channel: the k-fold BDT ensemble of SR data against sideband data
/// and the flow samples (trained through the boosting seam, saved and reused through the model store), the out-of-fold
/// score and test fold of every data event, and the ensemble's scores of the independent ROC samples.
/// </summary>
internal static class CathodeClassifier
{
    /// <summary>What the stage gives the statistics.</summary>
    internal sealed record Scored(Ensemble Ensemble, double[] Scores, int[] Fold, double[] RocSampleScores);

    /// <summary>Trains (or reuses) the channel's ensemble on the data and <paramref name="bg"/>'s samples.</summary>
    public static Scored Train(RunContext run, CathodeConfig c, CathodeChannelData data, CathodeBackground.BackgroundSamples bg, bool flowsReused)
    {
        int d = data.D;
        var matrix = ClassifierMatrix.Build([ClassifierBlock.Of(data, c)], bg.TrainingSamples, d, samplesFirst: false);
        // The BDTs depend on the flows (through their samples), the data and the classifier configuration.
        string inputs = CathodeModels.BdtInputs(c, bg, data);
        string stage = $"BDTs {data.Channel}";
        var ensemble = run.Time($"bdt ({data.Channel})", () =>
        {
            var saved = run.Models.OpenSingle(run, stage, CathodeModels.BdtFile(data.Channel), CathodeModels.BdtGroup(data.Channel), inputs,
                path => ModelFile.Load(path, CathodeModels.BdtIdentity(data.Channel, inputs)), upstreamReused: flowsReused);
            if (saved is not null) return saved;
            var seeds = CathodeBackground.Seeds(c, data.Channel)["bdt"];
            var binner = QuantileBinner.Fit(data.FeatureNames, matrix.Columns, seed: seeds["binning"].Seed);
            var x = binner.Transform(matrix.Columns);
            var folds = matrix.Folds(0, c.Bdt.Folds, seeds["folds"].Seed);
            int total = c.Bdt.Folds * c.Bdt.Members;
            var p = c.BoostingParameters(data.Channel);
            run.Report(stage, 0, total, $"{total} models {Ensemble.PathOn(run.Device, p)}");
            var bar = new CallbackProgress<int>(n => run.Report(stage, n, total));
            var e = Ensemble.Train(run.Device, binner, x, matrix.Labels, folds, c.Bdt.Members, p, bar, run.Cancel);
            run.Report(stage, total, total);
            run.Models.SaveSingle(CathodeModels.BdtFile(data.Channel), CathodeModels.BdtGroup(data.Channel), inputs,
                path => ModelFile.Save(path, e, CathodeModels.BdtIdentity(data.Channel, inputs)));
            return e;
        });
        var oof = ensemble.OutOfFoldScores(ensemble.Binner.Transform(matrix.Columns));
        var fold = new int[data.Rows];
        Array.Fill(fold, -1);
        for (int f = 0; f < ensemble.Folds.Length; f++)
            foreach (int r in ensemble.Folds[f].Test)
                if (matrix.EventOf(0, r) is var e and >= 0) fold[e] = f;
        return new Scored(ensemble, matrix.Scatter(0, oof), fold, MeanOverFolds(ensemble, bg.RocSamples, d));
    }

    /// <summary>Scores rows (row-major features) with every fold's models, averaged over folds.</summary>
    public static double[] MeanOverFolds(Ensemble ensemble, double[] features, int d)
    {
        var perFold = PerFold(ensemble, features, d);
        var mean = new double[features.Length / d];
        foreach (var s in perFold)
            for (int i = 0; i < mean.Length; i++) mean[i] += s[i] / perFold.Length;
        return mean;
    }

    /// <summary>Scores rows (row-major features) with each fold's models: [fold][row].</summary>
    public static double[][] PerFold(Ensemble ensemble, double[] features, int d)
    {
        int n = features.Length / d;
        var cols = Enumerable.Range(0, d).Select(j => Enumerable.Range(0, n).Select(i => features[i * d + j]).ToArray()).ToArray();
        var x = ensemble.Binner.Transform(cols);
        var all = Enumerable.Range(0, n).ToArray();
        return Enumerable.Range(0, ensemble.Folds.Length)
            .Select(f => new Ensemble(ensemble.Binner, [new FoldSplit([], [], all)], [ensemble.Models[f]]).OutOfFoldScores(x)).ToArray();
    }
}
