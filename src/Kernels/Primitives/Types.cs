namespace FastAD.Kernels.Primitives;

/// <summary>Elementwise function applied after the affine part of a fused map.</summary>
public enum UnaryOp
{
    /// <summary>f(t) = t.</summary>
    Identity = 0,
    /// <summary>f(t) = exp(t).</summary>
    Exp = 1,
    /// <summary>f(t) = ln(t).</summary>
    Log = 2,
    /// <summary>f(t) = tanh(t).</summary>
    Tanh = 3,
    /// <summary>f(t) = 1 / (1 + exp(-t)).</summary>
    Sigmoid = 4,
    /// <summary>f(t) = max(t, 0).</summary>
    Relu = 5,
    /// <summary>f(t) = ln(1 + exp(t)), computed stably.</summary>
    Softplus = 6,
    /// <summary>f(t) = t².</summary>
    Square = 7,
}

/// <summary>Count, mean and population variance of a buffer, accumulated in double precision.</summary>
/// <param name="Count">Number of elements.</param>
/// <param name="Sum">Sum of the elements.</param>
/// <param name="Mean">Mean.</param>
/// <param name="Variance">Population variance (divide by n).</param>
public readonly record struct Moments(long Count, double Sum, double Mean, double Variance)
{
    /// <summary>Unbiased sample variance (divide by n - 1).</summary>
    public double SampleVariance => Count > 1 ? Variance * Count / (Count - 1) : double.NaN;
}

/// <summary>
/// The shape of a batched matrix product C[b] = op(A[b]) · op(B[b]), all row-major and packed one
/// batch after the other. op(A) is M×K (A stored K×M when <see cref="TransposeA"/>), op(B) is K×N
/// (B stored N×K when <see cref="TransposeB"/>), C is M×N.
/// </summary>
public readonly record struct MatMulShape(int Batch, int M, int N, int K, bool TransposeA = false, bool TransposeB = false)
{
    /// <summary>Elements of A per batch.</summary>
    public long ASize => (long)M * K;
    /// <summary>Elements of B per batch.</summary>
    public long BSize => (long)K * N;
    /// <summary>Elements of C per batch.</summary>
    public long CSize => (long)M * N;
    /// <summary>Floating-point operations of the whole product (2·B·M·N·K).</summary>
    public double Flops => 2.0 * Batch * M * N * K;

    internal void Validate()
    {
        if (Batch < 1 || M < 1 || N < 1 || K < 1)
            throw new ArgumentOutOfRangeException(nameof(MatMulShape), $"Batched matmul needs positive sizes (got batch {Batch}, M {M}, N {N}, K {K}).");
    }
}

/// <summary>
/// Histogram bin edges: strictly increasing and finite. Bin i is [e_i, e_{i+1}); the last bin also
/// holds its upper edge (numpy's convention). Values outside, and NaN, are counted as outside.
/// </summary>
public sealed class BinEdges
{
    /// <summary>Creates bins from explicit edges.</summary>
    public BinEdges(IReadOnlyList<double> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (edges.Count < 2) throw new ArgumentException($"A histogram needs at least 2 bin edges (got {edges.Count}).", nameof(edges));
        for (int i = 0; i < edges.Count; i++)
        {
            if (!double.IsFinite(edges[i])) throw new ArgumentException($"Bin edge {i} is {edges[i]}; edges must be finite.", nameof(edges));
            if (i > 0 && !(edges[i] > edges[i - 1]))
                throw new ArgumentException($"Bin edges must increase strictly (edge {i - 1} = {edges[i - 1]}, edge {i} = {edges[i]}).", nameof(edges));
        }
        Edges = edges.ToArray();
        InverseMeanWidth = Count / (Edges[^1] - Edges[0]);
    }

    /// <summary><paramref name="bins"/> equal bins over [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public static BinEdges Linear(double low, double high, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), $"Need at least one bin (got {bins}).");
        var e = new double[bins + 1];
        for (int i = 0; i <= bins; i++) e[i] = low + (high - low) * i / bins;
        e[bins] = high;
        return new BinEdges(e);
    }

    /// <summary>The edges.</summary>
    public double[] Edges { get; }

    /// <summary>Number of bins.</summary>
    public int Count => Edges.Length - 1;

    /// <summary>Bins per unit of the variable: the first guess of <see cref="Find"/> for near-uniform bins.</summary>
    public double InverseMeanWidth { get; }

    /// <summary>The bin holding <paramref name="value"/>, or -1 when outside (or NaN).</summary>
    public int Find(double value)
    {
        var e = Edges;
        if (!(value >= e[0] && value <= e[^1])) return -1;
        // Guess from the mean bin width and accept the guess only if the edges confirm it, so the
        // answer is exactly the edge comparison whatever the rounding of the guess (the kernel does the same).
        int n = e.Length - 1;
        int guess = Math.Min((int)((value - e[0]) * InverseMeanWidth), n - 1);
        if (e[guess] <= value && (value < e[guess + 1] || guess == n - 1)) return guess;
        // Largest i with e[i] <= value.
        int lo = 0, hi = n;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >> 1;
            if (e[mid] <= value) lo = mid; else hi = mid;
        }
        return lo;
    }
}

/// <summary>A weighted histogram: counts, sum of weights and sum of squared weights per bin.</summary>
public sealed class HistogramResult
{
    /// <summary>Creates an empty histogram for the given bins.</summary>
    public HistogramResult(BinEdges edges)
    {
        Edges = edges;
        Counts = new long[edges.Count];
        SumWeights = new double[edges.Count];
        SumWeightsSquared = new double[edges.Count];
    }

    /// <summary>The bins.</summary>
    public BinEdges Edges { get; }
    /// <summary>Entries per bin.</summary>
    public long[] Counts { get; }
    /// <summary>Σw per bin.</summary>
    public double[] SumWeights { get; }
    /// <summary>Σw² per bin.</summary>
    public double[] SumWeightsSquared { get; }
    /// <summary>Entries outside the edges or NaN.</summary>
    public long Outside { get; set; }
}
