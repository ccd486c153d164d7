using System.Numerics;

namespace FastAD.Flows;

/// <summary>
/// The small matrix products of the flow and classifier layers: C[m, n] += Σ_k A[m, k]·B[k, n] with C and B
/// row-major and A given by a row and a column stride (so Aᵀ of a row-major matrix costs nothing). The fast
/// path holds a 4 × 2-vector tile of C in registers (System.Numerics.Vector, 256-bit on AVX2 machines) and
/// broadcasts A; it is chosen when <see cref="Vector.IsHardwareAccelerated"/>, otherwise <see cref="Reference"/>
/// runs (also the definition the fast path is tested against). Large products split the rows of C over the
/// cores: each row's sum is formed in the same order either way.
/// </summary>
internal static unsafe class SmallGemm
{
    /// <summary>Multiply-adds below this many run on the calling thread.</summary>
    internal const long ParallelThreshold = 1 << 19;

    /// <summary>True when the vector path runs.</summary>
    internal static bool Accelerated => Vector.IsHardwareAccelerated && Vector<double>.Count >= 2;

    /// <summary>
    /// C[m, n] += Σ_k A[m·ars + k·acs]·B[k·ldb + n] for m &lt; rows, n &lt; cols, k &lt; depth; <paramref name="parallel"/>
    /// false keeps it on the calling thread (callers that already split work over the cores). With
    /// <paramref name="overwrite"/> C's old values are ignored (C = AB); with <paramref name="tanh"/> the result
    /// goes through tanh before it is stored (C = tanh(C + AB)).
    /// </summary>
    public static void MultiplyAdd(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        int rows, int cols, int depth, bool parallel = true, bool overwrite = false, bool tanh = false)
    {
        if (rows <= 0 || cols <= 0) return;
        fixed (double* pa = a)
        fixed (double* pb = b)
        fixed (double* pc = c)
        {
            long work = (long)rows * cols * depth;
            if (!parallel || work < ParallelThreshold || rows < 8 || Environment.ProcessorCount < 2)
            {
                Run(pa, ars, acs, pb, ldb, pc, ldc, 0, rows, cols, depth, overwrite, tanh);
                return;
            }
            int parts = Math.Min(Environment.ProcessorCount, rows / 4);
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            Parallel.For(0, parts, part =>
            {
                int r0 = (int)((long)rows * part / parts) & ~3, r1 = part == parts - 1 ? rows : (int)((long)rows * (part + 1) / parts) & ~3;
                Run((double*)ia, ars, acs, (double*)ib, ldb, (double*)ic, ldc, r0, r1, cols, depth, overwrite, tanh);
            });
        }
    }

    /// <summary>The scalar definition (used when vectors are not accelerated, and by the tests).</summary>
    public static void Reference(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        int rows, int cols, int depth, bool overwrite = false, bool tanh = false)
    {
        for (int m = 0; m < rows; m++)
            for (int n = 0; n < cols; n++)
            {
                double s = overwrite ? 0 : c[m * ldc + n];
                for (int k = 0; k < depth; k++) s += a[m * ars + k * acs] * b[k * ldb + n];
                c[m * ldc + n] = tanh ? Math.Tanh(s) : s;
            }
    }

    private static void Run(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int r0, int r1, int cols, int depth, bool overwrite, bool tanh)
    {
        a += r0 * ars;
        c += r0 * ldc;
        r1 -= r0;
        if (!Accelerated)
        {
            Reference(new ReadOnlySpan<double>(a, (r1 - 1) * ars + Math.Max(depth - 1, 0) * acs + 1), ars, acs,
                new ReadOnlySpan<double>(b, Math.Max(depth - 1, 0) * ldb + cols), ldb, new Span<double>(c, (r1 - 1) * ldc + cols), ldc,
                r1, cols, depth, overwrite, tanh);
            return;
        }
        int w = Vector<double>.Count, n = 0;
        for (; n + 2 * w <= cols; n += 2 * w)
        {
            int m = 0;
            for (; m + 4 <= r1; m += 4) Tile4x2(a + m * ars, ars, acs, b + n, ldb, c + m * ldc + n, ldc, depth, overwrite, tanh);
            for (; m < r1; m++) Tile1(a + m * ars, acs, b + n, ldb, c + m * ldc + n, depth, overwrite, tanh);
            for (m = m - (r1 % 4); m < r1; m++) Tile1(a + m * ars, acs, b + n + w, ldb, c + m * ldc + n + w, depth, overwrite, tanh);
        }
        for (; n + w <= cols; n += w)
        {
            int m = 0;
            for (; m + 4 <= r1; m += 4) Tile4x1(a + m * ars, ars, acs, b + n, ldb, c + m * ldc + n, ldc, depth, overwrite, tanh);
            for (; m < r1; m++) Tile1(a + m * ars, acs, b + n, ldb, c + m * ldc + n, depth, overwrite, tanh);
        }
        int rem = cols - n;
        if (rem == 0) return;
        // The last columns: B's columns packed into zero-padded vectors, the tile formed aside and its first lanes stored.
        int size = depth * w;
        double[]? rented = size > 2048 ? System.Buffers.ArrayPool<double>.Shared.Rent(size) : null;
        Span<double> packed = rented ?? stackalloc double[Math.Max(size, 1)];
        packed[..size].Clear();
        for (int k = 0; k < depth; k++)
            for (int j = 0; j < rem; j++) packed[k * w + j] = b[k * ldb + n + j];
        Span<double> tile = stackalloc double[4 * w];
        fixed (double* pp = packed)
        fixed (double* pt = tile)
        {
            int m = 0;
            for (; m < r1; m += 4)
            {
                int count = Math.Min(4, r1 - m);
                tile.Clear();
                if (count == 4) Tile4x1(a + m * ars, ars, acs, pp, w, pt, w, depth, overwrite: true, tanh: false);
                else for (int r = 0; r < count; r++) Tile1(a + (m + r) * ars, acs, pp, w, pt + r * w, depth, overwrite: true, tanh: false);
                for (int r = 0; r < count; r++)
                    for (int j = 0; j < rem; j++)
                    {
                        ref double target = ref c[(m + r) * ldc + n + j];
                        double v = (overwrite ? 0 : target) + pt[r * w + j];
                        target = tanh ? Math.Tanh(v) : v;
                    }
            }
        }
        if (rented is not null) System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    /// <summary>tanh on a vector: (1 − e^{−2|v|}) / (1 + e^{−2|v|}) with the sign of v.</summary>
    internal static Vector<double> Tanh(Vector<double> v)
    {
        var e = Vector.Exp(Vector.Abs(v) * -2.0);
        var t = (Vector<double>.One - e) / (Vector<double>.One + e);
        return Vector.ConditionalSelect(Vector.LessThan(v, Vector<double>.Zero), -t, t);
    }

    private static Vector<double> Start(double* c, bool overwrite) => overwrite ? Vector<double>.Zero : Load(c);

    private static void Finish(double* c, Vector<double> v, bool tanh) => Store(c, tanh ? Tanh(v) : v);

    private static Vector<double> Load(double* p) => *(Vector<double>*)p;

    private static void Store(double* p, Vector<double> v) => *(Vector<double>*)p = v;

    private static void Tile4x2(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int depth, bool overwrite, bool tanh)
    {
        int w = Vector<double>.Count;
        var c00 = Start(c, overwrite); var c01 = Start(c + w, overwrite);
        var c10 = Start(c + ldc, overwrite); var c11 = Start(c + ldc + w, overwrite);
        var c20 = Start(c + 2 * ldc, overwrite); var c21 = Start(c + 2 * ldc + w, overwrite);
        var c30 = Start(c + 3 * ldc, overwrite); var c31 = Start(c + 3 * ldc + w, overwrite);
        double* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Load(b); var b1 = Load(b + w);
            b += ldb;
            int o = k * acs;
            var x = new Vector<double>(a0[o]);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<double>(a1[o]);
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<double>(a2[o]);
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<double>(a3[o]);
            c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
        }
        Finish(c, c00, tanh); Finish(c + w, c01, tanh);
        Finish(c + ldc, c10, tanh); Finish(c + ldc + w, c11, tanh);
        Finish(c + 2 * ldc, c20, tanh); Finish(c + 2 * ldc + w, c21, tanh);
        Finish(c + 3 * ldc, c30, tanh); Finish(c + 3 * ldc + w, c31, tanh);
    }

    private static void Tile4x1(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int depth, bool overwrite, bool tanh)
    {
        var c0 = Start(c, overwrite); var c1 = Start(c + ldc, overwrite); var c2 = Start(c + 2 * ldc, overwrite); var c3 = Start(c + 3 * ldc, overwrite);
        double* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Load(b);
            b += ldb;
            int o = k * acs;
            c0 = Vector.FusedMultiplyAdd(new Vector<double>(a0[o]), b0, c0);
            c1 = Vector.FusedMultiplyAdd(new Vector<double>(a1[o]), b0, c1);
            c2 = Vector.FusedMultiplyAdd(new Vector<double>(a2[o]), b0, c2);
            c3 = Vector.FusedMultiplyAdd(new Vector<double>(a3[o]), b0, c3);
        }
        Finish(c, c0, tanh); Finish(c + ldc, c1, tanh); Finish(c + 2 * ldc, c2, tanh); Finish(c + 3 * ldc, c3, tanh);
    }

    private static void Tile1(double* a, int acs, double* b, int ldb, double* c, int depth, bool overwrite, bool tanh)
    {
        var c0 = Start(c, overwrite);
        for (int k = 0; k < depth; k++)
        {
            c0 = Vector.FusedMultiplyAdd(new Vector<double>(a[k * acs]), Load(b), c0);
            b += ldb;
        }
        Finish(c, c0, tanh);
    }
}
