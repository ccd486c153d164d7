using FastAD.Kernels.Random;

namespace FastAD.Data.Synthetic;

/// <summary>
/// Deterministic per-row random numbers for the synthetic generators. Rows are cut into blocks of
/// <see cref="BlockRows"/>; block <c>b</c> of a sample draws its uniforms from Philox stream
/// <c>(sample &lt;&lt; 40) | (0 &lt;&lt; 32) | b</c> and its normals from <c>(sample &lt;&lt; 40) | (1 &lt;&lt; 32) | b</c>,
/// row <c>r</c> of the block taking a fixed number of each. Blocks are independent, so they run in
/// parallel and the output does not depend on the thread count (same seed, same bytes on a given platform).
/// </summary>
internal static class SyntheticRows
{
    /// <summary>Rows per block (one pair of Philox streams per block).</summary>
    internal const int BlockRows = 8192;

    /// <summary>One row's draws: <paramref name="U"/> uniforms in [0,1) and <paramref name="Z"/> standard normals.</summary>
    internal delegate void RowAction(int row, ReadOnlySpan<double> U, ReadOnlySpan<double> Z);

    /// <summary>Calls <paramref name="action"/> for rows 0..<paramref name="rows"/>-1 with <paramref name="uniforms"/> and <paramref name="normals"/> draws each.</summary>
    internal static void ForEachRow(int rows, ulong seed, uint sample, int uniforms, int normals, RowAction action)
    {
        int blocks = (rows + BlockRows - 1) / BlockRows;
        Parallel.For(0, blocks, b =>
        {
            int start = b * BlockRows, count = Math.Min(BlockRows, rows - start);
            var u = new double[Math.Max(1, count * uniforms)];
            var z = new double[Math.Max(1, count * normals)];
            ulong stream = ((ulong)sample << 40) | (uint)b;
            if (uniforms > 0) Philox4x32.FillUniform(u.AsSpan(0, count * uniforms), seed, stream);
            if (normals > 0) Philox4x32.FillNormal(z.AsSpan(0, count * normals), seed, stream | (1UL << 32));
            for (int r = 0; r < count; r++)
                action(start + r, u.AsSpan(r * uniforms, uniforms), z.AsSpan(r * normals, normals));
        });
    }

    /// <summary>
    /// Component labels with exact counts (<paramref name="counts"/>[k] rows of component k) in a random
    /// order drawn from Philox (seed, stream = <paramref name="sample"/> &lt;&lt; 40 | 2 &lt;&lt; 32).
    /// </summary>
    internal static byte[] ShuffledComponents(ulong seed, uint sample, params int[] counts)
    {
        int n = counts.Sum();
        var ordered = new byte[n];
        int at = 0;
        for (int k = 0; k < counts.Length; k++)
            for (int i = 0; i < counts[k]; i++) ordered[at++] = (byte)k;
        var perm = EventTable.Permutation(n, seed, ((ulong)sample << 40) | (2UL << 32));
        var result = new byte[n];
        for (int i = 0; i < n; i++) result[i] = ordered[perm[i]];
        return result;
    }

    /// <summary>Sinh–arcsinh transform of a normal score (Jones &amp; Pewsey): tail weight <paramref name="delta"/>, skew <paramref name="epsilon"/>.</summary>
    internal static double SinhArcsinh(double z, double delta, double epsilon) => Math.Sinh(delta * Math.Asinh(z) - epsilon);

    /// <summary>The logistic function.</summary>
    internal static double Logistic(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>Checks an event count option.</summary>
    internal static void CheckEvents(int events, string what)
    {
        if (events < 1) throw new ArgumentException($"--events must be at least 1 for {what} (got {events}).");
    }

    /// <summary>Checks a signal fraction option.</summary>
    internal static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction < 1)) throw new ArgumentException($"--signal-fraction must be in [0, 1) (got {fraction}).");
    }
}

/// <summary>
/// A falling mass spectrum <c>exp(c1 t + c2 t² + c3 t³)</c>, <c>t = (m - centre)/halfWidth</c>, on
/// [lo, hi], sampled by inverting its tabulated CDF (trapezoids on a fine grid, linear inside a cell).
/// </summary>
internal sealed class TabulatedSpectrum
{
    private readonly double[] _grid, _cdf;

    internal TabulatedSpectrum(double lo, double hi, double centre, double halfWidth, ReadOnlySpan<double> coefficients, int points = 8193)
    {
        _grid = new double[points];
        _cdf = new double[points];
        var c = coefficients.ToArray();
        double Density(double m)
        {
            double t = (m - centre) / halfWidth, e = 0, p = t;
            foreach (double ci in c) { e += ci * p; p *= t; }
            return Math.Exp(e);
        }
        double previous = 0;
        for (int i = 0; i < points; i++)
        {
            _grid[i] = lo + (hi - lo) * i / (points - 1);
            double d = Density(_grid[i]);
            _cdf[i] = i == 0 ? 0 : _cdf[i - 1] + 0.5 * (d + previous) * (_grid[i] - _grid[i - 1]);
            previous = d;
        }
        double total = _cdf[^1];
        for (int i = 0; i < points; i++) _cdf[i] /= total;
    }

    /// <summary>The mass at cumulative probability <paramref name="u"/> ∈ [0,1).</summary>
    internal double Quantile(double u)
    {
        int i = Array.BinarySearch(_cdf, u);
        if (i >= 0) return _grid[i];
        i = ~i;
        if (i <= 0) return _grid[0];
        if (i >= _cdf.Length) return _grid[^1];
        double f = (u - _cdf[i - 1]) / (_cdf[i] - _cdf[i - 1]);
        return _grid[i - 1] + f * (_grid[i] - _grid[i - 1]);
    }

    /// <summary>The fraction of the spectrum below <paramref name="m"/>.</summary>
    internal double Cdf(double m)
    {
        int i = Array.BinarySearch(_grid, m);
        if (i >= 0) return _cdf[i];
        i = ~i;
        if (i <= 0) return 0;
        if (i >= _grid.Length) return 1;
        double f = (m - _grid[i - 1]) / (_grid[i] - _grid[i - 1]);
        return _cdf[i - 1] + f * (_cdf[i] - _cdf[i - 1]);
    }
}
