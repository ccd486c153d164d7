namespace FastAD.TestSupport;

/// <summary>Two-sample statistics for comparing generated and reference samples.</summary>
public static class SampleStatistics
{
    /// <summary>Two-sample Kolmogorov–Smirnov distance sup |F_a − F_b| (ties handled by stepping both samples).</summary>
    public static double KsDistance(IEnumerable<double> a, IEnumerable<double> b)
    {
        var x = a.Order().ToArray();
        var y = b.Order().ToArray();
        if (x.Length == 0 || y.Length == 0) throw new ArgumentException("KS distance needs two non-empty samples.");
        double d = 0;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] == v) i++;
            while (j < y.Length && y[j] == v) j++;
            d = Math.Max(d, Math.Abs(i / (double)x.Length - j / (double)y.Length));
        }
        return d;
    }

    /// <summary>
    /// Critical value of the two-sample KS distance at level <paramref name="alpha"/> (asymptotic):
    /// √(−ln(α/2)/2) · √((n + m)/(n m)).
    /// </summary>
    public static double KsCritical(int n, int m, double alpha) => Math.Sqrt(-Math.Log(alpha / 2) / 2) * Math.Sqrt((n + m) / ((double)n * m));

    /// <summary>Spearman rank correlation (average ranks for ties).</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var r = new double[v.Count];
        int k = 0;
        while (k < order.Length)
        {
            int j = k;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[k]]) j++;
            for (int t = k; t <= j; t++) r[order[t]] = (k + j) / 2.0;
            k = j + 1;
        }
        return r;
    }

    /// <summary>Median of a sample.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
