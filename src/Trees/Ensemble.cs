namespace FastAD.Trees;

/// <summary>The rows of one fold: training, validation (early stopping) and test (out-of-fold scores).</summary>
public sealed record FoldSplit(int[] Train, int[] Validation, int[] Test);

/// <summary>Models trained per fold; out-of-fold scores average a fold's models on its test rows.</summary>
public sealed class Ensemble
{
    /// <summary>Creates an ensemble.</summary>
    public Ensemble(QuantileBinner binner, FoldSplit[] folds, BoostedModel[][] models)
    {
        Binner = binner;
        Folds = folds;
        Models = models;
    }

    /// <summary>The binning shared by every model.</summary>
    public QuantileBinner Binner { get; }
    /// <summary>The splits.</summary>
    public FoldSplit[] Folds { get; }
    /// <summary>Models[fold][member].</summary>
    public BoostedModel[][] Models { get; }

    /// <summary>
    /// Trains K models on each fold concurrently (parallel over all fold × member pairs). Class 1 gets the
    /// weight N0/N1 of the fold's training rows, on training and validation alike (SPEC 1.5); member m uses
    /// seed <c>p.Seed + m</c> for its row subsampling. <paramref name="frequencies"/> (optional, positive on every
    /// training and validation row) are frequency weights, e.g. bootstrap multiplicities: a row of frequency k counts as
    /// k copies in the gradients, the losses and N0/N1 (it is subsampled as one row).
    /// </summary>
    public static Ensemble Train(QuantileBinner binner, BinnedFeatures x, double[] labels, FoldSplit[] folds, int members, BoostingParameters p,
        IProgress<int>? progress = null, CancellationToken cancel = default, double[]? frequencies = null)
    {
        ArgumentNullException.ThrowIfNull(folds);
        if (members < 1) throw new ArgumentOutOfRangeException(nameof(members));
        var sets = folds.Select((f, i) =>
        {
            var w1 = PositiveClassWeight(labels, f.Train, frequencies, i);
            var w = new double[x.Rows];
            for (int r = 0; r < w.Length; r++) w[r] = (labels[r] == 1 ? w1 : 1.0) * (frequencies?[r] ?? 1.0);
            var train = new TrainingSet(x, labels, w, f.Train, $"fold {i} training");
            var validation = f.Validation.Length > 0 ? new TrainingSet(x, labels, w, f.Validation, $"fold {i} validation") : null;
            return (train, validation);
        }).ToArray();
        CheckFrequencies(frequencies, folds);
        var models = folds.Select(_ => new BoostedModel[members]).ToArray();
        int done = 0;
        Parallel.For(0, folds.Length * members, new ParallelOptions { CancellationToken = cancel }, job =>
        {
            int fold = job / members, member = job % members;
            var (train, validation) = sets[fold];
            var pm = p with { Seed = p.Seed + (ulong)member };
            if (validation is null && pm.Patience > 0) pm = pm with { Patience = 0 };
            models[fold][member] = HistogramBooster.Train(binner, train, validation, pm);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new Ensemble(binner, folds, models);
    }

    /// <summary>
    /// The boosting seam: trains on the fastest path <paramref name="device"/> has for <paramref name="p"/> — depth-wise
    /// (depth ≤ 8) and leaf-wise (≤ 128 leaves) growth in one launch on an OpenCL or CUDA device
    /// (<see cref="KernelEnsembleTrainer"/>), everything else on the managed reference — so that analyses never test the
    /// device themselves. <see cref="PathOn"/> says which and why.
    /// The kernel path reports progress once, at the end, and is not interrupted by <paramref name="cancel"/> (one launch).
    /// </summary>
    public static Ensemble Train(FastAD.Kernels.ComputeDevice device, QuantileBinner binner, BinnedFeatures x, double[] labels, FoldSplit[] folds,
        int members, BoostingParameters p, IProgress<int>? progress = null, CancellationToken cancel = default, double[]? frequencies = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(p);
        if (WhyManaged(device, p) is not null) return Train(binner, x, labels, folds, members, p, progress, cancel, frequencies);
        var e = KernelEnsembleTrainer.Train(device, binner, x, labels, folds, members, p, frequencies);
        progress?.Report(folds.Length * members);
        return e;
    }

    /// <summary>Whether the device overload of Train trains an ensemble with <paramref name="p"/> with kernels on <paramref name="device"/>.</summary>
    public static bool RunsKernels(FastAD.Kernels.ComputeDevice device, BoostingParameters p) => WhyManaged(device, p) is null;

    /// <summary>Where the device overload of Train trains an ensemble with <paramref name="p"/> on <paramref name="device"/>, and why.</summary>
    public static string PathOn(FastAD.Kernels.ComputeDevice device, BoostingParameters p) =>
        WhyManaged(device, p) is { } why ? $"on the managed CPU path ({why})"
        : $"in one launch on {device.Id} ({(p.Growth == GrowthPolicy.LeafWise ? "leaf-wise" : "depth-wise")} kernels)";

    private static string? WhyManaged(FastAD.Kernels.ComputeDevice device, BoostingParameters p) =>
        !device.SupportsKernels ? $"{device.Id} runs no kernels"
        : p.Growth == GrowthPolicy.DepthWise && p.MaxDepth > KernelEnsembleTrainer.MaxDepth ? $"the kernels grow trees of depth ≤ {KernelEnsembleTrainer.MaxDepth}, not {p.MaxDepth}"
        : p.Growth == GrowthPolicy.LeafWise && p.MaxLeafNodes > KernelEnsembleTrainer.MaxLeaves ? $"the kernels grow trees of ≤ {KernelEnsembleTrainer.MaxLeaves} leaves, not {p.MaxLeafNodes}"
        : null;

    /// <summary>
    /// N0/N1 over a fold's training rows, counting each row with its frequency; a clear error when a class is absent or a
    /// frequency is not positive and finite.
    /// </summary>
    internal static double PositiveClassWeight(double[] labels, int[] train, double[]? frequencies, int fold)
    {
        if (frequencies is not null && frequencies.Length != labels.Length)
            throw new ArgumentException($"{frequencies.Length} frequency weights for {labels.Length} rows.");
        double n1 = 0, n0 = 0;
        foreach (int r in train)
        {
            double k = frequencies?[r] ?? 1.0;
            if (!(k > 0) || !double.IsFinite(k)) throw new ArgumentException($"Fold {fold}: frequency weight of row {r + 1} is {k}; frequencies must be finite and positive.");
            if (labels[r] == 1) n1 += k;
            else n0 += k;
        }
        if (n1 == 0 || n0 == 0) throw new ArgumentException($"Fold {fold}: the training rows hold a single class.");
        return n0 / n1;
    }

    /// <summary>Frequencies must be finite and positive on the validation rows too (a NaN would silently stop early stopping).</summary>
    internal static void CheckFrequencies(double[]? frequencies, FoldSplit[] folds)
    {
        if (frequencies is null) return;
        for (int f = 0; f < folds.Length; f++)
            foreach (int r in folds[f].Validation)
                if (!(frequencies[r] > 0) || !double.IsFinite(frequencies[r]))
                    throw new ArgumentException($"Fold {f}: frequency weight of validation row {r + 1} is {frequencies[r]}; frequencies must be finite and positive.");
    }

    /// <summary>Out-of-fold probabilities for every test row (NaN for rows in no test set): the mean over the fold's members.</summary>
    public double[] OutOfFoldScores(BinnedFeatures x)
    {
        var scores = Enumerable.Repeat(double.NaN, x.Rows).ToArray();
        _ = x.RowMajor; // made once, before the parallel loops read it
        for (int f = 0; f < Folds.Length; f++)
        {
            var test = Folds[f].Test;
            var models = Models[f];
            // Rows in parallel; each row sums every member's trees in a fixed order (deterministic).
            Parallel.For(0, (test.Length + 1023) / 1024, chunk =>
            {
                int end = Math.Min(test.Length, (chunk + 1) * 1024);
                for (int i = chunk * 1024; i < end; i++) scores[test[i]] = SumOfProbabilities(models, x, test[i]) / models.Length;
            });
        }
        return scores;
    }

    /// <summary>
    /// Like <see cref="OutOfFoldScores"/>, but a row in the test sets of several folds gets the mean over all of those
    /// folds' models (each fold weighted by its member count); rows in no test set get NaN. Used when every fold is
    /// one model with its own training/validation split and the test sets overlap (CONRAD: each data half is scored
    /// by all the models trained on the other half).
    /// </summary>
    public double[] MeanTestScores(BinnedFeatures x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var sum = new double[x.Rows];
        _ = x.RowMajor; // made once, before the parallel loops read it
        var count = new int[x.Rows];
        for (int f = 0; f < Folds.Length; f++)
        {
            var test = Folds[f].Test;
            var models = Models[f];
            Parallel.For(0, (test.Length + 1023) / 1024, chunk =>
            {
                int end = Math.Min(test.Length, (chunk + 1) * 1024);
                for (int i = chunk * 1024; i < end; i++)
                {
                    sum[test[i]] += SumOfProbabilities(models, x, test[i]);
                    count[test[i]] += models.Length;
                }
            });
        }
        var scores = new double[x.Rows];
        for (int r = 0; r < scores.Length; r++) scores[r] = count[r] > 0 ? sum[r] / count[r] : double.NaN;
        return scores;
    }

    /// <summary>Σ over <paramref name="models"/> of the probability of <paramref name="row"/> (trees summed in a fixed order: deterministic).</summary>
    private static double SumOfProbabilities(BoostedModel[] models, BinnedFeatures x, int row)
    {
        double sum = 0;
        var bins = x.RowMajor;
        int features = x.Features;
        foreach (var m in models)
        {
            double margin = m.Baseline;
            foreach (var t in m.Trees) margin += t.Predict(bins, features, row);
            sum += BoostedModel.Sigmoid(margin);
        }
        return sum;
    }
}
