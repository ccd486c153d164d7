using FastAD.Kernels;
using FastAD.Kernels.Primitives;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;
using P = FastAD.Kernels.Primitives.Primitives;

namespace FastAD.Kernels.Tests;

/// <summary>Every primitive on every backend against the scalar double-precision reference.</summary>
public class PrimitiveTests
{
    // Every size 1..256 (all remainders modulo the vector widths 4, 8, 16 and the work-group size),
    // then sizes around the managed chunk (16384) and one large odd size.
    public static readonly int[] Sizes = [.. Enumerable.Range(1, 256), 257, 1000, 4099, 16383, 16385, 100_003];

    public static TheoryData<string, UnaryOp> BackendOps()
    {
        var data = new TheoryData<string, UnaryOp>();
        foreach (var b in TestDevices.BackendNames)
            foreach (var op in Enum.GetValues<UnaryOp>())
                data.Add(b, op);
        return data;
    }

    private static float[] Uniform(int n, ulong stream, float low, float high)
    {
        var x = new float[n];
        Philox4x32.FillUniform(x, 99, stream);
        for (int i = 0; i < n; i++) x[i] = low + (high - low) * x[i];
        return x;
    }

    [SkippableTheory]
    [MemberData(nameof(BackendOps))]
    public void MapMatchesReference(string backend, UnaryOp op)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        foreach (int n in Sizes)
        {
            // Log needs positive arguments after the affine step.
            var x = op == UnaryOp.Log ? Uniform(n, 1, 0.01f, 5f) : Uniform(n, 1, -6f, 6f);
            float alpha = op == UnaryOp.Log ? 1.5f : -0.75f, beta = op == UnaryOp.Log ? 0.25f : 0.5f;
            using var xb = device.Upload<float>(x);
            using var yb = device.Allocate<float>(n);
            prims.Map(op, xb, yb, alpha, beta);
            var expected = ScalarReference.Map(op, x, (double)alpha, (double)beta);
            Close.All(expected, device.Download(yb), 2e-6, 2e-6, $"{backend} {op} n={n}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(BackendOps))]
    public void CombineMatchesReferenceAndMayWorkInPlace(string backend, UnaryOp op)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        foreach (int n in new[] { 1, 5, 17, 256, 257, 16385 })
        {
            var x = Uniform(n, 2, 0.5f, 2f);
            var y = Uniform(n, 3, 0.5f, 2f);
            using var xb = device.Upload<float>(x);
            using var yb = device.Upload<float>(y);
            prims.Combine(op, 0.5f, xb, 1.25f, yb, op == UnaryOp.Log ? 0.1f : -1.5f, yb); // in place over y
            var expected = ScalarReference.Combine(op, 0.5, x, 1.25, y, op == UnaryOp.Log ? (double)0.1f : -1.5);
            Close.All(expected, device.Download(yb), 2e-6, 2e-6, $"{backend} {op} n={n}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void SumMeanVarianceMatchReference(string backend)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        foreach (int n in Sizes)
        {
            // An offset mean makes a one-pass variance lose digits; the two-pass one must not.
            var x = Uniform(n, 4, 1000f, 1001f);
            using var xb = device.Upload<float>(x);
            var m = prims.Moments(xb);
            var r = ScalarReference.Moments(x);
            Assert.Equal(r.Count, m.Count);
            Close.Scalar(r.Sum, prims.Sum(xb), 1e-12, 0, $"{backend} sum n={n}");
            Close.Scalar(r.Mean, m.Mean, 1e-12, 0, $"{backend} mean n={n}");
            Close.Scalar(r.Variance, m.Variance, 1e-9, 1e-12, $"{backend} variance n={n}");
        }
        using var empty = device.Allocate<float>(0);
        Assert.Equal(0.0, prims.Sum(empty));
        Assert.True(double.IsNaN(prims.Moments(empty).Mean));
    }

    public static TheoryData<string, int, int, int, int, bool, bool> MatMulCases()
    {
        var shapes = new (int B, int M, int N, int K)[]
        {
            (1, 1, 1, 1), (3, 5, 7, 9), (2, 16, 16, 16), (4, 17, 33, 15), (1, 256, 256, 256),
            (2, 255, 3, 129), (64, 20, 20, 3), (7, 3, 256, 1), (5, 1, 200, 31), (1, 100, 1, 256),
        };
        var data = new TheoryData<string, int, int, int, int, bool, bool>();
        foreach (var b in TestDevices.BackendNames)
            foreach (var s in shapes)
                foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                    data.Add(b, s.B, s.M, s.N, s.K, ta, tb);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(MatMulCases))]
    public void BatchedMatMulMatchesReference(string backend, int batch, int m, int n, int k, bool ta, bool tb)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        var shape = new MatMulShape(batch, m, n, k, ta, tb);
        var a = Uniform((int)(batch * shape.ASize), 5, -1f, 1f);
        var b = Uniform((int)(batch * shape.BSize), 6, -1f, 1f);
        using var ab = device.Upload<float>(a);
        using var bb = device.Upload<float>(b);
        using var cb = device.Allocate<float>(batch * shape.CSize);
        prims.BatchedMatMul(shape, ab, bb, cb);
        var expected = ScalarReference.BatchedMatMul(shape, a, b);
        var magnitude = ScalarReference.BatchedMatMulMagnitude(shape, a, b);
        var got = device.Download(cb);
        // Float accumulation: the error is bounded by about K·eps·Σ|a||b|; allow the rounding of K products.
        for (int i = 0; i < got.Length; i++)
        {
            double tol = 2 * k * 6e-8 * magnitude[i] + 1e-30;
            Assert.True(Math.Abs(got[i] - expected[i]) <= tol,
                $"{backend} {shape}: C[{i}] = {got[i]:R}, expected {expected[i]:R}, |error| {Math.Abs(got[i] - expected[i]):E3} > {tol:E3}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void WeightedHistogramMatchesReference(string backend)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        // The dimuon sideband/SR binning shape: uneven edges, half-open bins, closed last edge.
        var edges = new BinEdges([5.0, 6.5, 9.0, 9.1454545, 10.6, 12.0, 16.0]);
        foreach (int n in Sizes)
        {
            var v = Uniform(n, 7, 4f, 17f);
            var w = Uniform(n, 8, 0f, 3f);
            // Edge cases on the first elements: exact edges, the closed top edge, NaN, below, above.
            float[] special = [5f, 16f, float.NaN, 4.999f, 16.001f, 9f, 10.6f];
            for (int i = 0; i < Math.Min(n, special.Length); i++) v[i] = special[i];
            using var vb = device.Upload<float>(v);
            using var wb = device.Upload<float>(w);
            var got = prims.Histogram(vb, wb, edges);
            var exp = ScalarReference.Histogram(v, w, edges);
            Assert.Equal(exp.Counts, got.Counts);
            Assert.Equal(exp.Outside, got.Outside);
            Close.All(exp.SumWeights, got.SumWeights, 1e-12, 1e-12, $"{backend} sumw n={n}");
            Close.All(exp.SumWeightsSquared, got.SumWeightsSquared, 1e-12, 1e-12, $"{backend} sumw2 n={n}");
            var unweighted = prims.Histogram(vb, null, edges);
            Assert.Equal(exp.Counts, unweighted.Counts);
            Assert.Equal(Array.ConvertAll(exp.Counts, c => (double)c), unweighted.SumWeights);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void HistogramWithManyBinsMatchesReference(string backend)
    {
        var device = TestDevices.Get(backend);
        var prims = P.For(device);
        var edges = BinEdges.Linear(-3, 3, 1000);
        var v = new float[200_000];
        Philox4x32.FillNormal(v, 5, 5);
        using var vb = device.Upload<float>(v);
        var got = prims.Histogram(vb, null, edges);
        var exp = ScalarReference.Histogram(v, default, edges);
        Assert.Equal(exp.Counts, got.Counts);
        Assert.Equal(exp.Outside, got.Outside);
    }
}
