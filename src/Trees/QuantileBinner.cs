using FastAD.Kernels.Random;

namespace FastAD.Trees;

/// <summary>
/// Features binned to bytes, one column per feature (column-major: <c>Bins[feature * Rows + row]</c>).
/// Bins 0..254 hold values, <see cref="QuantileBinner.MissingBin"/> (255) holds NaN.
/// </summary>
public sealed class BinnedFeatures
{
    internal BinnedFeatures(int rows, int features, byte[] bins)
    {
        Rows = rows;
        Features = features;
        Bins = bins;
    }

    /// <summary>Rows.</summary>
    public int Rows { get; }
    /// <summary>Features.</summary>
    public int Features { get; }
    /// <summary>Column-major bin indices.</summary>
    public byte[] Bins { get; }

    /// <summary>The bins of one feature.</summary>
    public ReadOnlySpan<byte> Column(int feature) => Bins.AsSpan(feature * Rows, Rows);

    private byte[]? _rowMajor;

    /// <summary>The same bins row-major (<c>[row * Features + feature]</c>), made once: a row's features in one cache line.</summary>
    internal byte[] RowMajor
    {
        get
        {
            if (_rowMajor is not null) return _rowMajor;
            var r = new byte[Bins.Length];
            for (int f = 0; f < Features; f++)
                for (int i = 0; i < Rows; i++) r[i * Features + f] = Bins[f * Rows + i];
            return _rowMajor = r;
        }
    }
}

/// <summary>
/// Quantile binning as scikit-learn's HistGradientBoosting does it: at most 255 value bins per feature
/// plus one bin for missing values (NaN). Thresholds come from at most 2·10⁵ rows (a Philox-seeded
/// subsample beyond that): with ≤ 255 distinct values, the midpoints between them; otherwise the
/// k/255 quantiles (midpoint interpolation), duplicates removed. A value goes to the first bin whose
/// threshold is ≥ the value, so "bin ≤ b" means "value ≤ threshold b". The same thresholds bin training,
/// validation and test data.
/// </summary>
public sealed class QuantileBinner
{
    /// <summary>Largest number of value bins.</summary>
    public const int MaxBins = 255;
    /// <summary>The bin of missing values.</summary>
    public const byte MissingBin = 255;
    /// <summary>Rows used to find thresholds.</summary>
    public const int MaxSampleRows = 200_000;

    /// <summary>Creates a binner from known thresholds (e.g. loaded from a model file).</summary>
    public QuantileBinner(IReadOnlyList<string> featureNames, IReadOnlyList<double[]> thresholds)
    {
        if (featureNames.Count != thresholds.Count) throw new ArgumentException("One threshold list per feature is needed.");
        FeatureNames = featureNames.ToArray();
        Thresholds = thresholds.Select(t => t.ToArray()).ToArray();
        foreach (var t in Thresholds)
            if (t.Length > MaxBins - 1) throw new ArgumentException($"At most {MaxBins - 1} thresholds per feature.");
    }

    /// <summary>Feature names, in column order.</summary>
    public string[] FeatureNames { get; }
    /// <summary>Ascending thresholds per feature.</summary>
    public double[][] Thresholds { get; }

    /// <summary>Finds thresholds from feature columns (each of the same length).</summary>
    public static QuantileBinner Fit(IReadOnlyList<string> names, IReadOnlyList<double[]> columns, int maxBins = MaxBins, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("No features to bin.");
        if (maxBins < 2 || maxBins > MaxBins) throw new ArgumentOutOfRangeException(nameof(maxBins), $"Bins must be 2..{MaxBins} (got {maxBins}).");
        int rows = columns[0].Length;
        if (rows == 0) throw new ArgumentException("No rows to bin.");
        foreach (var c in columns)
            if (c.Length != rows) throw new ArgumentException("Feature columns have different lengths.");
        int[]? sample = null;
        if (rows > MaxSampleRows)
        {
            // A Philox-driven partial Fisher-Yates shuffle picks the rows.
            var idx = Enumerable.Range(0, rows).ToArray();
            var u = new double[MaxSampleRows];
            Philox4x32.FillUniform(u, seed, 0xB1);
            for (int i = 0; i < MaxSampleRows; i++)
            {
                int j = i + (int)(u[i] * (rows - i));
                (idx[i], idx[j]) = (idx[j], idx[i]);
            }
            sample = idx[..MaxSampleRows];
            Array.Sort(sample);
        }
        var thresholds = new double[columns.Count][];
        for (int f = 0; f < columns.Count; f++)
        {
            var col = columns[f];
            var values = (sample is null ? col : sample.Select(i => col[i])).Where(v => !double.IsNaN(v)).ToArray();
            if (values.Any(double.IsInfinity))
                throw new ArgumentException($"Feature '{names[f]}' has infinite values; use NaN for missing values.");
            thresholds[f] = FindThresholds(values, maxBins);
        }
        return new QuantileBinner(names, thresholds);
    }

    private static double[] FindThresholds(double[] values, int maxBins)
    {
        if (values.Length == 0) return [];
        Array.Sort(values);
        var distinct = new List<double>();
        foreach (var v in values)
            if (distinct.Count == 0 || v != distinct[^1]) distinct.Add(v);
        if (distinct.Count <= maxBins)
        {
            var mids = new double[distinct.Count - 1];
            for (int i = 0; i + 1 < distinct.Count; i++) mids[i] = 0.5 * (distinct[i] + distinct[i + 1]);
            return mids;
        }
        var result = new List<double>();
        int n = values.Length;
        for (int k = 1; k < maxBins; k++)
        {
            // numpy.percentile(method="midpoint") at 100·k/maxBins.
            double pos = (n - 1) * (double)k / maxBins;
            int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
            double q = 0.5 * (values[lo] + values[hi]);
            if (result.Count == 0 || q > result[^1]) result.Add(q);
        }
        return result.ToArray();
    }

    /// <summary>Bins feature columns with these thresholds.</summary>
    public BinnedFeatures Transform(IReadOnlyList<double[]> columns)
    {
        if (columns.Count != Thresholds.Length)
            throw new ArgumentException($"{columns.Count} feature columns given; the binner was fitted on {Thresholds.Length} ({string.Join(", ", FeatureNames)}).");
        int rows = columns.Count == 0 ? 0 : columns[0].Length;
        var bins = new byte[columns.Count * rows];
        Parallel.For(0, columns.Count, f =>
        {
            var col = columns[f];
            if (col.Length != rows) throw new ArgumentException("Feature columns have different lengths.");
            var t = Thresholds[f];
            var dest = bins.AsSpan(f * rows, rows);
            for (int i = 0; i < rows; i++) dest[i] = BinOf(t, col[i]);
        });
        return new BinnedFeatures(rows, columns.Count, bins);
    }

    internal static byte BinOf(double[] thresholds, double v)
    {
        if (double.IsNaN(v)) return MissingBin;
        // First threshold >= v.
        int lo = 0, hi = thresholds.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (thresholds[mid] < v) lo = mid + 1; else hi = mid;
        }
        return (byte)lo;
    }
}
