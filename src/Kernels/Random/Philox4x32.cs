using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastAD.Kernels.Random;

/// <summary>
/// Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, SC'11), identical to the
/// kernel version in <c>common.cl</c>. A stream is addressed by (seed, stream id, position):
/// block <c>b</c> of stream <c>s</c> is Philox(counter = (b, s), key = seed), giving 4 words.
/// <list type="bullet">
/// <item>Uniform float: word <c>j</c> of the stream, <c>(w &gt;&gt; 8) · 2⁻²⁴ ∈ [0, 1)</c>.</item>
/// <item>Uniform double: block <c>j/2</c>, words (0,1) or (2,3), 53 bits, <c>∈ [0, 1)</c>.</item>
/// <item>Normal float: Box–Muller on the word pair <c>(2p, 2p+1)</c> of block <c>j/4</c>
/// (p = (j mod 4)/2), even j cosine, odd j sine, evaluated in double then rounded.</item>
/// <item>Normal double: Box–Muller on block <c>j/2</c> (two 53-bit uniforms), even j cosine, odd j sine.</item>
/// </list>
/// Raw words and uniforms are bit-identical on every backend; normals agree to the rounding of
/// the platform's log/sin/cos (about 1e-15 relative in double).
/// </summary>
public static class Philox4x32
{
    private const uint M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;

    /// <summary>One Philox4x32-10 bijection of the 128-bit counter under the 64-bit key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int r = 0; r < 10; r++)
        {
            if (r > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>Block <paramref name="block"/> of stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint, uint, uint, uint) Block(ulong seed, ulong stream, ulong block)
        => Block((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));

    /// <summary>Uniform [0,1) from the top 24 bits of a word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UnitFloat(uint w) => (w >> 8) * 5.9604644775390625e-8f;

    /// <summary>Uniform [0,1) from 53 bits of two words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UnitDouble(uint hi, uint lo) => (((ulong)hi << 21) | (lo >> 11)) * 1.1102230246251565e-16;

    private static double UnitDoubleOpen(uint hi, uint lo) => ((((ulong)hi << 21) | (lo >> 11)) + 1.0) * 1.1102230246251565e-16;

    private static double UnitOpen24(uint w) => ((w >> 8) + 1.0) * 5.9604644775390625e-8;

    private static uint Word((uint, uint, uint, uint) b, long i) => (i & 3) switch
    {
        0 => b.Item1,
        1 => b.Item2,
        2 => b.Item3,
        _ => b.Item4,
    };

    /// <summary>Fills <paramref name="destination"/> with raw 32-bit words <c>offset, offset+1, ...</c> of the stream.</summary>
    public static void FillUInt32(Span<uint> destination, ulong seed, ulong stream, long offset = 0)
    {
        for (int i = 0; i < destination.Length;)
        {
            long j = offset + i;
            var b = Block(seed, stream, (ulong)(j >> 2));
            for (long k = j & 3; k < 4 && i < destination.Length; k++, i++) destination[i] = Word(b, k);
        }
    }

    /// <summary>Fills with uniform floats in [0,1): element i is draw <c>offset + i</c> of the stream.</summary>
    public static void FillUniform(Span<float> destination, ulong seed, ulong stream, long offset = 0)
    {
        for (int i = 0; i < destination.Length;)
        {
            long j = offset + i;
            var b = Block(seed, stream, (ulong)(j >> 2));
            for (long k = j & 3; k < 4 && i < destination.Length; k++, i++) destination[i] = UnitFloat(Word(b, k));
        }
    }

    /// <summary>Fills with uniform doubles in [0,1).</summary>
    public static void FillUniform(Span<double> destination, ulong seed, ulong stream, long offset = 0)
    {
        if (Vector256.IsHardwareAccelerated && (offset & 1) == 0 && destination.Length >= 8)
        {
            // Four blocks (eight doubles) per step in SIMD lanes, bit-identical to the scalar path; the rest below.
            int vectorised = destination.Length & ~7;
            FillUniform8(destination[..vectorised], seed, stream, (ulong)(offset >> 1));
            destination = destination[vectorised..];
            offset += vectorised;
        }
        for (int i = 0; i < destination.Length;)
        {
            long j = offset + i;
            var b = Block(seed, stream, (ulong)(j >> 1));
            if ((j & 1) == 0) destination[i++] = UnitDouble(b.Item1, b.Item2);
            if (i < destination.Length) destination[i++] = UnitDouble(b.Item3, b.Item4);
        }
    }

    /// <summary>
    /// Uniform doubles from blocks <paramref name="firstBlock"/>, … (length a multiple of 8): each 64-bit lane holds one
    /// block's 32-bit word, so the 32 × 32 → 64-bit products of the rounds are lane-wise multiplies.
    /// </summary>
    private static void FillUniform8(Span<double> destination, ulong seed, ulong stream, ulong firstBlock)
    {
        var m0 = Vector256.Create((ulong)M0);
        var m1 = Vector256.Create((ulong)M1);
        var low = Vector256.Create(0xFFFFFFFFUL);
        var s0 = Vector256.Create((ulong)(uint)stream);
        var s1 = Vector256.Create(stream >> 32);
        var lanes = Vector256.Create(0UL, 1, 2, 3);
        for (int i = 0; i < destination.Length; i += 8)
        {
            var block = Vector256.Create(firstBlock + (ulong)(i >> 1)) + lanes;
            Vector256<ulong> c0 = block & low, c1 = block >>> 32, c2 = s0, c3 = s1;
            uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
            for (int r = 0; r < 10; r++)
            {
                if (r > 0) { k0 += W0; k1 += W1; }
                var p0 = Mul32(c0, m0);
                var p1 = Mul32(c2, m1);
                var n0 = (p1 >>> 32) ^ c1 ^ Vector256.Create((ulong)k0);
                var n2 = (p0 >>> 32) ^ c3 ^ Vector256.Create((ulong)k1);
                c1 = p1 & low;
                c3 = p0 & low;
                c0 = n0;
                c2 = n2;
            }
            // Draw 2b from words (0, 1) of block b, draw 2b + 1 from words (2, 3).
            var even = Vector256.ConvertToDouble((c0 << 21) | (c1 >>> 11)) * 1.1102230246251565e-16;
            var odd = Vector256.ConvertToDouble((c2 << 21) | (c3 >>> 11)) * 1.1102230246251565e-16;
            var dst = destination.Slice(i, 8);
            for (int k = 0; k < 4; k++)
            {
                dst[2 * k] = even.GetElement(k);
                dst[2 * k + 1] = odd.GetElement(k);
            }
        }
    }

    /// <summary>Lane-wise product of the low 32 bits of each lane (the full 64-bit result).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mul32(Vector256<ulong> a, Vector256<ulong> b) =>
        Avx2.IsSupported ? Avx2.Multiply(a.AsUInt32(), b.AsUInt32()) : a * b;

    /// <summary>Fills with standard normal floats.</summary>
    public static void FillNormal(Span<float> destination, ulong seed, ulong stream, long offset = 0)
    {
        for (int i = 0; i < destination.Length;)
        {
            long j = offset + i;
            var b = Block(seed, stream, (ulong)(j >> 2));
            // Two Box-Muller pairs per block: words (0,1) give draws 0 and 1, words (2,3) draws 2 and 3.
            for (int p = (int)(j & 2); p < 4 && i < destination.Length; p += 2)
            {
                uint a = p == 0 ? b.Item1 : b.Item3, c = p == 0 ? b.Item2 : b.Item4;
                double r = Math.Sqrt(-2.0 * Math.Log(UnitOpen24(a)));
                double t = 2.0 * Math.PI * UnitFloat(c);
                if (((offset + i) & 1) == 0) destination[i++] = (float)(r * Math.Cos(t));
                if (i < destination.Length) destination[i++] = (float)(r * Math.Sin(t));
            }
        }
    }

    /// <summary>Fills with standard normal doubles.</summary>
    public static void FillNormal(Span<double> destination, ulong seed, ulong stream, long offset = 0)
    {
        for (int i = 0; i < destination.Length;)
        {
            long j = offset + i;
            var b = Block(seed, stream, (ulong)(j >> 1));
            double r = Math.Sqrt(-2.0 * Math.Log(UnitDoubleOpen(b.Item1, b.Item2)));
            double t = 2.0 * Math.PI * UnitDouble(b.Item3, b.Item4);
            if ((j & 1) == 0) destination[i++] = r * Math.Cos(t);
            if (i < destination.Length) destination[i++] = r * Math.Sin(t);
        }
    }
}
