using System.Runtime.CompilerServices;

namespace FastAD.Trees;

/// <summary>
/// One regression tree on binned features, stored flat. Node n is a leaf when <see cref="Left"/>[n] &lt; 0;
/// otherwise rows with bin ≤ <see cref="Threshold"/>[n] of <see cref="Feature"/>[n] go left, missing
/// values go left when <see cref="DefaultLeft"/>[n]. Leaf values already include the learning rate.
/// </summary>
public sealed class Tree
{
    /// <summary>Creates a tree from its arrays.</summary>
    public Tree(int[] feature, byte[] threshold, bool[] defaultLeft, int[] left, int[] right, double[] value)
    {
        Feature = feature; Threshold = threshold; DefaultLeft = defaultLeft; Left = left; Right = right; Value = value;
        _siblings = true;
        for (int n = 0; n < left.Length; n++) if (left[n] >= 0 && right[n] != left[n] + 1) _siblings = false;
    }

    /// <summary>Every right child directly follows its left sibling (as the trainers lay trees out): descents can be branch-free.</summary>
    private readonly bool _siblings;

    /// <summary>Split feature per node.</summary>
    public int[] Feature { get; }
    /// <summary>Split bin per node.</summary>
    public byte[] Threshold { get; }
    /// <summary>Missing values go left.</summary>
    public bool[] DefaultLeft { get; }
    /// <summary>Left child, or −1 at leaves.</summary>
    public int[] Left { get; }
    /// <summary>Right child, or −1 at leaves.</summary>
    public int[] Right { get; }
    /// <summary>Leaf output (margin contribution) per node.</summary>
    public double[] Value { get; }
    /// <summary>Number of leaves.</summary>
    public int Leaves => Left.Count(l => l < 0);

    /// <summary>The tree's output for one row of binned features.</summary>
    public double Predict(BinnedFeatures x, int row)
    {
        int n = 0;
        var bins = x.Bins;
        int rows = x.Rows;
        while (Left[n] >= 0)
        {
            byte b = bins[Feature[n] * rows + row];
            bool left = b == QuantileBinner.MissingBin ? DefaultLeft[n] : b <= Threshold[n];
            n = left ? Left[n] : Right[n];
        }
        return Value[n];
    }

    /// <summary>The tree's output for row <paramref name="row"/> of row-major bins (<c>bins[row * features + f]</c>).</summary>
    internal double Predict(byte[] bins, int features, int row) => Descend(bins, row * features);

    /// <summary>Adds the tree's output to <paramref name="margin"/>[i] for every row i of row-major bins (<c>bins[i * features + f]</c>).</summary>
    internal void AddTo(double[] margin, byte[] bins, int features)
    {
        for (int i = 0; i < margin.Length; i++) margin[i] += Descend(bins, i * features);
    }

    /// <summary>Adds the tree's output to <paramref name="margin"/>[r] for the rows r listed.</summary>
    internal void AddTo(double[] margin, byte[] bins, int features, ReadOnlySpan<int> rows)
    {
        foreach (int r in rows) margin[r] += Descend(bins, r * features);
    }

    /// <summary>The leaf value of the row whose bins start at <paramref name="row"/> of row-major bins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Descend(byte[] bins, int row)
    {
        int n = 0;
        if (_siblings)
        {
            // Branch-free: go right (child left + 1) when the bin is above the threshold, except a missing value (the
            // highest bin, above every threshold) of a node whose default is left.
            while (Left[n] >= 0)
            {
                int b = bins[row + Feature[n]];
                n = Left[n] + ((b > Threshold[n] ? 1 : 0) & ~((b == QuantileBinner.MissingBin ? 1 : 0) & (DefaultLeft[n] ? 1 : 0)));
            }
            return Value[n];
        }
        while (Left[n] >= 0)
        {
            byte b = bins[row + Feature[n]];
            bool left = b == QuantileBinner.MissingBin ? DefaultLeft[n] : b <= Threshold[n];
            n = left ? Left[n] : Right[n];
        }
        return Value[n];
    }
}

/// <summary>A boosted binary classifier: baseline log-odds plus the sum of its trees' outputs.</summary>
public sealed class BoostedModel
{
    /// <summary>Creates a model.</summary>
    public BoostedModel(QuantileBinner binner, double baseline, IReadOnlyList<Tree> trees, BoostingParameters parameters, int roundsTrained)
    {
        Binner = binner;
        Baseline = baseline;
        Trees = trees.ToArray();
        Parameters = parameters;
        RoundsTrained = roundsTrained;
    }

    /// <summary>The binning of the inputs.</summary>
    public QuantileBinner Binner { get; }
    /// <summary>Initial margin (log-odds of the weighted label mean).</summary>
    public double Baseline { get; }
    /// <summary>Trees kept (truncated to the best iteration under early stopping).</summary>
    public Tree[] Trees { get; }
    /// <summary>Hyperparameters used.</summary>
    public BoostingParameters Parameters { get; }
    /// <summary>Rounds trained before stopping (≥ Trees.Length).</summary>
    public int RoundsTrained { get; }

    /// <summary>Margins (log-odds) of rows, using trees [first, last).</summary>
    public double[] PredictMargin(BinnedFeatures x, int first = 0, int last = -1)
    {
        if (last < 0 || last > Trees.Length) last = Trees.Length;
        if (first < 0 || first > last) throw new ArgumentOutOfRangeException(nameof(first));
        var margin = new double[x.Rows];
        Parallel.For(0, (x.Rows + 4095) / 4096, chunk =>
        {
            int end = Math.Min(x.Rows, (chunk + 1) * 4096);
            for (int r = chunk * 4096; r < end; r++)
            {
                double m = first == 0 ? Baseline : 0;
                for (int t = first; t < last; t++) m += Trees[t].Predict(x, r);
                margin[r] = m;
            }
        });
        return margin;
    }

    /// <summary>Probabilities of class 1.</summary>
    public double[] PredictProbability(BinnedFeatures x) => PredictMargin(x).Select(Sigmoid).ToArray();

    internal static double Sigmoid(double m) => 1.0 / (1.0 + Math.Exp(-m));
}
