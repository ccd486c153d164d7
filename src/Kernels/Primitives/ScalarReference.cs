namespace FastAD.Kernels.Primitives;

/// <summary>
/// Plain scalar double-precision versions of the primitives: the yardstick every fast path
/// (managed SIMD, OpenCL, CUDA) is compared with in the tests and in <c>fastad selftest</c>.
/// </summary>
public static class ScalarReference
{
    /// <summary>op(t) in double precision.</summary>
    public static double Apply(UnaryOp op, double t) => op switch
    {
        UnaryOp.Identity => t,
        UnaryOp.Exp => Math.Exp(t),
        UnaryOp.Log => Math.Log(t),
        UnaryOp.Tanh => Math.Tanh(t),
        UnaryOp.Sigmoid => 1.0 / (1.0 + Math.Exp(-t)),
        UnaryOp.Relu => Math.Max(t, 0.0),
        UnaryOp.Softplus => Math.Max(t, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(t))),
        UnaryOp.Square => t * t,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>y = op(alpha x + beta).</summary>
    public static double[] Map(UnaryOp op, ReadOnlySpan<float> x, double alpha, double beta)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = Apply(op, alpha * x[i] + beta);
        return y;
    }

    /// <summary>z = op(a x + b y + c).</summary>
    public static double[] Combine(UnaryOp op, double a, ReadOnlySpan<float> x, double b, ReadOnlySpan<float> y, double c)
    {
        var z = new double[x.Length];
        for (int i = 0; i < x.Length; i++) z[i] = Apply(op, a * x[i] + b * y[i] + c);
        return z;
    }

    /// <summary>Count, sum, mean, population variance (two-pass).</summary>
    public static Moments Moments(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return new Moments(0, 0, double.NaN, double.NaN);
        double sum = 0;
        foreach (var v in x) sum += v;
        double mean = sum / x.Length, ss = 0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        return new Moments(x.Length, sum, mean, ss / x.Length);
    }

    /// <summary>The batched product in double precision.</summary>
    public static double[] BatchedMatMul(MatMulShape s, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var c = new double[s.Batch * s.CSize];
        for (int batch = 0; batch < s.Batch; batch++)
        {
            var am = a.Slice((int)(batch * s.ASize), (int)s.ASize);
            var bm = b.Slice((int)(batch * s.BSize), (int)s.BSize);
            for (int i = 0; i < s.M; i++)
                for (int j = 0; j < s.N; j++)
                {
                    double acc = 0;
                    for (int k = 0; k < s.K; k++)
                    {
                        double aik = s.TransposeA ? am[k * s.M + i] : am[i * s.K + k];
                        double bkj = s.TransposeB ? bm[j * s.K + k] : bm[k * s.N + j];
                        acc += aik * bkj;
                    }
                    c[batch * s.CSize + i * s.N + j] = acc;
                }
        }
        return c;
    }

    /// <summary>Σ|op(A)|·|op(B)| per element of C: the scale against which float rounding is judged.</summary>
    public static double[] BatchedMatMulMagnitude(MatMulShape s, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var absA = new float[a.Length];
        var absB = new float[b.Length];
        for (int i = 0; i < a.Length; i++) absA[i] = Math.Abs(a[i]);
        for (int i = 0; i < b.Length; i++) absB[i] = Math.Abs(b[i]);
        return BatchedMatMul(s, absA, absB);
    }

    /// <summary>Histogram by linear search over the edges (independent of the binary search used elsewhere).</summary>
    public static HistogramResult Histogram(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, BinEdges edges)
    {
        var r = new HistogramResult(edges);
        var e = edges.Edges;
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            int bin = -1;
            for (int k = 0; k < edges.Count; k++)
            {
                bool last = k == edges.Count - 1;
                if (v >= e[k] && (v < e[k + 1] || (last && v == e[k + 1]))) { bin = k; break; }
            }
            if (bin < 0) { r.Outside++; continue; }
            double w = weights.IsEmpty ? 1.0 : weights[i];
            r.Counts[bin]++;
            r.SumWeights[bin] += w;
            r.SumWeightsSquared[bin] += w * w;
        }
        return r;
    }
}
