using System.Diagnostics;
using FastAD.Kernels.Primitives;
using FastAD.Kernels.Random;

namespace FastAD.Kernels.Diagnostics;

/// <summary>One line of <c>fastad selftest</c>.</summary>
/// <param name="Check">What was checked.</param>
/// <param name="Passed">Within tolerance.</param>
/// <param name="MaxError">Worst error seen, relative to the tolerance's scale (0 for exact checks).</param>
/// <param name="Tolerance">The allowed error (0 for bit-exact checks).</param>
/// <param name="Detail">Sizes covered, or what went wrong.</param>
/// <param name="Seconds">Wall time of the check.</param>
public sealed record SelfTestResult(string Check, bool Passed, double MaxError, double Tolerance, string Detail, double Seconds);

/// <summary>
/// Runs every primitive of a device against the scalar double-precision reference: the way to check
/// a GPU machine that has no .NET SDK (the self-contained <c>fastad</c> carries it).
/// </summary>
public static class SelfTest
{
    private static readonly int[] Sizes = [1, 3, 7, 8, 15, 17, 31, 64, 100, 255, 256, 257, 1000, 4099, 16385, 100_003];

    /// <summary>Runs all checks; failures (including build errors) become failed rows, never exceptions.</summary>
    public static IReadOnlyList<SelfTestResult> Run(ComputeDevice device, IProgress<string>? progress = null)
    {
        var prims = Primitives.Primitives.For(device);
        var results = new List<SelfTestResult>();
        void Check(string name, double tolerance, string detail, Func<double> body)
        {
            progress?.Report(name);
            var sw = Stopwatch.StartNew();
            try
            {
                double err = body();
                results.Add(new SelfTestResult(name, err <= tolerance, err, tolerance, detail, sw.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (e is ComputeException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                results.Add(new SelfTestResult(name, false, double.NaN, tolerance, e.Message, sw.Elapsed.TotalSeconds));
            }
        }

        string sizes = $"n = 1 .. {Sizes[^1]:N0} ({Sizes.Length} sizes)";
        Check("philox uint32 / uniform (bit-exact)", 0, sizes, () => Sizes.Max(n => RandomMismatch(device, prims, n)));
        Check("philox normal f32/f64", 1e-6, sizes, () => Sizes.Max(n => NormalError(device, prims, n)));
        foreach (var op in Enum.GetValues<UnaryOp>())
            Check($"map {op.ToString().ToLowerInvariant()}(a x + b)", 2e-6, sizes, () => Sizes.Max(n => MapError(device, prims, op, n)));
        Check("combine a x + b y + c", 2e-6, sizes, () => Sizes.Max(n => CombineError(device, prims, n)));
        Check("sum / mean / variance", 1e-9, sizes, () => Sizes.Max(n => MomentsError(device, prims, n)));
        var shapes = new[] { new MatMulShape(3, 5, 7, 9), new MatMulShape(4, 17, 33, 15, true, false), new MatMulShape(2, 64, 64, 64, false, true),
                             new MatMulShape(1, 256, 256, 256, true, true), new MatMulShape(64, 20, 20, 3), new MatMulShape(2, 255, 3, 129) };
        Check("batched matmul (with transposes)", 1.0, $"{shapes.Length} shapes up to 256^3; error / (2 K eps sum|a||b|)", () => shapes.Max(s => MatMulError(device, prims, s)));
        Check("weighted histogram", 1e-12, sizes + ", uneven bins, NaN and edge values", () => Sizes.Max(n => HistogramError(device, prims, n)));
        return results;
    }

    private static float[] Uniform(int n, ulong stream, float lo, float hi)
    {
        var x = new float[n];
        Philox4x32.FillUniform(x, 4242, stream);
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
        return x;
    }

    private static double MaxRel(ReadOnlySpan<double> expected, ReadOnlySpan<float> got, double floor)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(got[i] - expected[i]) / (Math.Abs(expected[i]) + floor));
        return double.IsNaN(worst) ? double.PositiveInfinity : worst;
    }

    private static double RandomMismatch(ComputeDevice d, Primitives.Primitives p, int n)
    {
        using var w = d.Allocate<uint>(n);
        using var u = d.Allocate<float>(n);
        using var ud = d.Allocate<double>(n);
        p.FillUInt32(w, 77, 3, 9);
        p.FillUniform(u, 77, 3, 9);
        p.FillUniform(ud, 77, 3, 9);
        var ew = new uint[n]; Philox4x32.FillUInt32(ew, 77, 3, 9);
        var eu = new float[n]; Philox4x32.FillUniform(eu, 77, 3, 9);
        var eud = new double[n]; Philox4x32.FillUniform(eud, 77, 3, 9);
        bool same = d.Download(w).AsSpan().SequenceEqual(ew) && d.Download(u).AsSpan().SequenceEqual(eu) && d.Download(ud).AsSpan().SequenceEqual(eud);
        return same ? 0 : 1;
    }

    private static double NormalError(ComputeDevice d, Primitives.Primitives p, int n)
    {
        using var f = d.Allocate<float>(n);
        using var g = d.Allocate<double>(n);
        p.FillNormal(f, 5, 8);
        p.FillNormal(g, 5, 8);
        var ef = new float[n]; Philox4x32.FillNormal(ef, 5, 8);
        var eg = new double[n]; Philox4x32.FillNormal(eg, 5, 8);
        var gotG = d.Download(g);
        double worst = MaxRel(Array.ConvertAll(ef, v => (double)v), d.Download(f), 1e-3);
        for (int i = 0; i < n; i++) worst = Math.Max(worst, Math.Abs(gotG[i] - eg[i]) / (Math.Abs(eg[i]) + 1e-3));
        return worst;
    }

    private static double MapError(ComputeDevice d, Primitives.Primitives p, UnaryOp op, int n)
    {
        var x = op == UnaryOp.Log ? Uniform(n, 1, 0.01f, 5f) : Uniform(n, 1, -6f, 6f);
        using var xb = d.Upload<float>(x);
        using var yb = d.Allocate<float>(n);
        p.Map(op, xb, yb, 1.5f, 0.25f);
        return MaxRel(ScalarReference.Map(op, x, 1.5, 0.25), d.Download(yb), 1.0);
    }

    private static double CombineError(ComputeDevice d, Primitives.Primitives p, int n)
    {
        var x = Uniform(n, 2, -1f, 1f);
        var y = Uniform(n, 3, -1f, 1f);
        using var xb = d.Upload<float>(x);
        using var yb = d.Upload<float>(y);
        using var zb = d.Allocate<float>(n);
        p.Combine(UnaryOp.Sigmoid, 0.5f, xb, -2f, yb, 0.25f, zb);
        return MaxRel(ScalarReference.Combine(UnaryOp.Sigmoid, 0.5, x, -2, y, 0.25), d.Download(zb), 1.0);
    }

    private static double MomentsError(ComputeDevice d, Primitives.Primitives p, int n)
    {
        var x = Uniform(n, 4, 1000f, 1001f);
        using var xb = d.Upload<float>(x);
        var m = p.Moments(xb);
        var r = ScalarReference.Moments(x);
        return Math.Max(Math.Abs(m.Mean - r.Mean) / Math.Abs(r.Mean), Math.Abs(m.Variance - r.Variance) / (r.Variance + 1e-12));
    }

    private static double MatMulError(ComputeDevice d, Primitives.Primitives p, MatMulShape s)
    {
        var a = Uniform((int)(s.Batch * s.ASize), 5, -1f, 1f);
        var b = Uniform((int)(s.Batch * s.BSize), 6, -1f, 1f);
        using var ab = d.Upload<float>(a);
        using var bb = d.Upload<float>(b);
        using var cb = d.Allocate<float>(s.Batch * s.CSize);
        p.BatchedMatMul(s, ab, bb, cb);
        var c = d.Download(cb);
        var e = ScalarReference.BatchedMatMul(s, a, b);
        var mag = ScalarReference.BatchedMatMulMagnitude(s, a, b);
        double worst = 0;
        for (int i = 0; i < c.Length; i++) worst = Math.Max(worst, Math.Abs(c[i] - e[i]) / (2 * s.K * 6e-8 * mag[i] + 1e-30));
        return worst;
    }

    private static double HistogramError(ComputeDevice d, Primitives.Primitives p, int n)
    {
        var edges = new BinEdges([5.0, 6.5, 9.0, 9.1454545, 10.6, 12.0, 16.0]);
        var v = Uniform(n, 7, 4f, 17f);
        var w = Uniform(n, 8, 0f, 3f);
        float[] special = [5f, 16f, float.NaN, 10.6f];
        for (int i = 0; i < Math.Min(n, special.Length); i++) v[i] = special[i];
        using var vb = d.Upload<float>(v);
        using var wb = d.Upload<float>(w);
        var got = p.Histogram(vb, wb, edges);
        var exp = ScalarReference.Histogram(v, w, edges);
        if (!got.Counts.AsSpan().SequenceEqual(exp.Counts) || got.Outside != exp.Outside) return double.PositiveInfinity;
        double worst = 0;
        for (int k = 0; k < edges.Count; k++)
        {
            worst = Math.Max(worst, Math.Abs(got.SumWeights[k] - exp.SumWeights[k]) / (exp.SumWeights[k] + 1e-12));
            worst = Math.Max(worst, Math.Abs(got.SumWeightsSquared[k] - exp.SumWeightsSquared[k]) / (exp.SumWeightsSquared[k] + 1e-12));
        }
        return worst;
    }
}
