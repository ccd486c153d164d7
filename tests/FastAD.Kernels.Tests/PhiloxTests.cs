using FastAD.Kernels;
using FastAD.Kernels.Primitives;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Kernels.Tests;

public class PhiloxTests
{
    // Known-answer vectors of philox4x32-10 from Random123's kat_vectors (counter, key, expected output).
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void ManagedMatchesKnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        Assert.Equal((e0, e1, e2, e3), Philox4x32.Block(c0, c1, c2, c3, k0, k1));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void KernelMatchesKnownAnswersThroughTheStreamLayout(string backend)
    {
        var device = TestDevices.Get(backend);
        var prims = Primitives.Primitives.For(device);
        // Stream layout: block b of stream s under seed k is Philox(counter = (b_lo, b_hi, s_lo, s_hi), key = (k_lo, k_hi)),
        // so seed 0, stream 0, block 0 is the all-zero known answer; (seed, stream, block) = (2^32 - 1 ...) the all-ones one.
        using var words = device.Allocate<uint>(4);
        prims.FillUInt32(words, 0, 0, 0);
        Assert.Equal(new uint[] { 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u }, device.Download(words));
        ulong seed = 0x299f31d0a4093822UL, stream = 0x0370734413198a2eUL;
        const long block = 0x05a308d3243f6a88L; // top bit of the KAT counter cleared to fit a position
        prims.FillUInt32(words, seed, stream, block * 4);
        var (e0, e1, e2, e3) = Philox4x32.Block(0x243f6a88u, 0x05a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
        Assert.Equal(new[] { e0, e1, e2, e3 }, device.Download(words));
    }

    [Fact]
    public void FillsFollowTheDocumentedLayout()
    {
        const ulong seed = 0x1234_5678_9ABC_DEF0UL, stream = 0xFEDC_BA98UL;
        static uint W((uint, uint, uint, uint) b, int k) => k switch { 0 => b.Item1, 1 => b.Item2, 2 => b.Item3, _ => b.Item4 };
        foreach (long offset in new long[] { 0, 1, 2, 3, 5, 1L << 40 })
        {
            const int n = 23;
            var u = new uint[n]; Philox4x32.FillUInt32(u, seed, stream, offset);
            var f = new float[n]; Philox4x32.FillUniform(f, seed, stream, offset);
            var d = new double[n]; Philox4x32.FillUniform(d, seed, stream, offset);
            var nf = new float[n]; Philox4x32.FillNormal(nf, seed, stream, offset);
            var nd = new double[n]; Philox4x32.FillNormal(nd, seed, stream, offset);
            for (int i = 0; i < n; i++)
            {
                long j = offset + i;
                var b4 = Philox4x32.Block(seed, stream, (ulong)(j / 4));
                uint word = W(b4, (int)(j % 4));
                Assert.Equal(word, u[i]);
                Assert.Equal((word >> 8) / 16777216.0f, f[i]);
                var b2 = Philox4x32.Block(seed, stream, (ulong)(j / 2));
                int h = (int)(j % 2) * 2;
                Assert.Equal((((ulong)W(b2, h) << 21) | (W(b2, h + 1) >> 11)) / 9007199254740992.0, d[i]);
                int p = (int)(j % 4) / 2 * 2;
                double r = Math.Sqrt(-2 * Math.Log(((W(b4, p) >> 8) + 1) / 16777216.0));
                double t = 2 * Math.PI * ((W(b4, p + 1) >> 8) / 16777216.0);
                Assert.Equal((float)(j % 2 == 0 ? r * Math.Cos(t) : r * Math.Sin(t)), nf[i]);
                double r2 = Math.Sqrt(-2 * Math.Log(((((ulong)b2.Item1 << 21) | (b2.Item2 >> 11)) + 1) / 9007199254740992.0));
                double t2 = 2 * Math.PI * ((((ulong)b2.Item3 << 21) | (b2.Item4 >> 11)) / 9007199254740992.0);
                Assert.Equal(j % 2 == 0 ? r2 * Math.Cos(t2) : r2 * Math.Sin(t2), nd[i]);
            }
        }
    }

    [Fact]
    public void OffsetsAddressTheSameStream()
    {
        var whole = new float[1000];
        Philox4x32.FillUniform(whole, 42, 7);
        var part = new float[333];
        Philox4x32.FillUniform(part, 42, 7, 501);
        Assert.Equal(whole.AsSpan(501, 333).ToArray(), part);
        var d = new double[77];
        Philox4x32.FillNormal(d, 42, 7);
        var d2 = new double[10];
        Philox4x32.FillNormal(d2, 42, 7, 13);
        Assert.Equal(d.AsSpan(13, 10).ToArray(), d2);
    }

    [Fact]
    public void UniformDoublesAreTheSameWhateverTheLengthAndOffset()
    {
        // The fill runs eight draws at a time in SIMD lanes when it can; every length, offset parity and a block
        // counter crossing 2^32 (the carry into the counter's second word) must give the scalar layout's draws.
        const ulong seed = 0xDEAD_BEEF_0123_4567UL, stream = 0x1_0000_0003UL;
        foreach (long offset in new long[] { 0, 1, 6, 2L * (uint.MaxValue - 3), 2L * (uint.MaxValue - 3) + 1 })
            for (int n = 0; n <= 41; n++)
            {
                var d = new double[n];
                Philox4x32.FillUniform(d, seed, stream, offset);
                for (int i = 0; i < n; i++)
                {
                    long j = offset + i;
                    var b = Philox4x32.Block(seed, stream, (ulong)(j / 2));
                    double expected = j % 2 == 0 ? Philox4x32.UnitDouble(b.Item1, b.Item2) : Philox4x32.UnitDouble(b.Item3, b.Item4);
                    Assert.True(expected == d[i], $"offset {offset}, length {n}, draw {i}: {d[i]} instead of {expected}");
                }
            }
    }

    [Fact]
    public void StreamsAndSeedsDiffer()
    {
        var a = new uint[64];
        var b = new uint[64];
        var c = new uint[64];
        Philox4x32.FillUInt32(a, 1, 0);
        Philox4x32.FillUInt32(b, 1, 1);
        Philox4x32.FillUInt32(c, 2, 0);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void UniformAndNormalHaveTheRightMoments()
    {
        const int n = 1 << 20;
        var u = new double[n];
        Philox4x32.FillUniform(u, 2026, 3);
        Assert.All(u, v => Assert.InRange(v, 0.0, 1.0 - 1e-17));
        Assert.InRange(u.Average(), 0.5 - 5 * Math.Sqrt(1.0 / 12 / n), 0.5 + 5 * Math.Sqrt(1.0 / 12 / n));
        var z = new float[n];
        Philox4x32.FillNormal(z, 2026, 4);
        double mean = z.Average(v => (double)v);
        double var = z.Average(v => (double)v * v) - mean * mean;
        Assert.InRange(mean, -5.0 / Math.Sqrt(n), 5.0 / Math.Sqrt(n));
        Assert.InRange(var, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        // Tail fraction beyond 2 sigma: 4.55%.
        double tail = z.Count(v => Math.Abs(v) > 2) / (double)n;
        Assert.InRange(tail, 0.0455 - 5 * Math.Sqrt(0.0455 * 0.9545 / n), 0.0455 + 5 * Math.Sqrt(0.0455 * 0.9545 / n));
    }

    [SkippableTheory]
    [MemberData(nameof(TestDevices.Backends), MemberType = typeof(TestDevices))]
    public void DeviceStreamsMatchManaged(string backend)
    {
        var device = TestDevices.Get(backend);
        var prims = Primitives.Primitives.For(device);
        foreach (int n in new[] { 1, 3, 4, 5, 255, 1001, 70_001 })
        {
            const ulong seed = 0xDEADBEEFCAFEUL, stream = 11;
            const long offset = 5;
            using var w = device.Allocate<uint>(n);
            using var uf = device.Allocate<float>(n);
            using var ud = device.Allocate<double>(n);
            using var nf = device.Allocate<float>(n);
            using var nd = device.Allocate<double>(n);
            prims.FillUInt32(w, seed, stream, offset);
            prims.FillUniform(uf, seed, stream, offset);
            prims.FillUniform(ud, seed, stream, offset);
            prims.FillNormal(nf, seed, stream, offset);
            prims.FillNormal(nd, seed, stream, offset);

            var ew = new uint[n]; Philox4x32.FillUInt32(ew, seed, stream, offset);
            var euf = new float[n]; Philox4x32.FillUniform(euf, seed, stream, offset);
            var eud = new double[n]; Philox4x32.FillUniform(eud, seed, stream, offset);
            var enf = new float[n]; Philox4x32.FillNormal(enf, seed, stream, offset);
            var end = new double[n]; Philox4x32.FillNormal(end, seed, stream, offset);

            // Words and uniforms are integer arithmetic and exact conversions: bit-identical.
            Assert.Equal(ew, device.Download(w));
            Assert.Equal(euf, device.Download(uf));
            Assert.Equal(eud, device.Download(ud));
            // Normals go through the platform's log/sin/cos: equal to their rounding.
            Close.All(end, device.Download(nd), 1e-13, 1e-14, $"normal f64 n={n}");
            var gotNf = device.Download(nf);
            var expNf = Array.ConvertAll(enf, v => (double)v);
            Close.All(expNf, gotNf, 2e-7, 1e-7, $"normal f32 n={n}");
        }
    }
}
