namespace FastAD.Trees;

/// <summary>
/// Rows of a binned matrix with 0/1 labels and positive weights, as a booster sees them. Several sets
/// (folds, train/validation) can share one binned matrix through different row lists.
/// </summary>
public sealed class TrainingSet
{
    /// <summary>Creates and validates a set: labels must be 0 or 1 and weights finite and positive.</summary>
    public TrainingSet(BinnedFeatures x, double[] labels, double[]? weights = null, int[]? rows = null, string name = "training")
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != x.Rows) throw new ArgumentException($"{name}: {labels.Length} labels for {x.Rows} rows.");
        if (weights is not null && weights.Length != x.Rows) throw new ArgumentException($"{name}: {weights.Length} weights for {x.Rows} rows.");
        X = x;
        Labels = labels;
        Weights = weights ?? Enumerable.Repeat(1.0, x.Rows).ToArray();
        Rows = rows ?? Enumerable.Range(0, x.Rows).ToArray();
        Name = name;
        if (Rows.Length == 0) throw new ArgumentException($"The {name} set is empty.");
        foreach (int r in Rows)
        {
            if ((uint)r >= (uint)x.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"{name}: row {r} is outside the {x.Rows} rows.");
            double y = labels[r], w = Weights[r];
            if (y != 0 && y != 1) throw new ArgumentException($"{name}: label of row {r + 1} is {y}; labels must be 0 or 1.");
            if (!(w > 0) || !double.IsFinite(w)) throw new ArgumentException($"{name}: weight of row {r + 1} is {w}; weights must be finite and positive.");
        }
    }

    /// <summary>The binned matrix.</summary>
    public BinnedFeatures X { get; }
    /// <summary>Labels (0/1) of every row of X.</summary>
    public double[] Labels { get; }
    /// <summary>Weights of every row of X.</summary>
    public double[] Weights { get; }
    /// <summary>The rows of X in this set.</summary>
    public int[] Rows { get; }
    /// <summary>Name for messages.</summary>
    public string Name { get; }

    /// <summary>Σw of label 1 over Σw: the weighted positive fraction.</summary>
    public double PositiveFraction()
    {
        double pos = 0, all = 0;
        foreach (int r in Rows)
        {
            all += Weights[r];
            pos += Weights[r] * Labels[r];
        }
        return pos / all;
    }
}
