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
    /// false keeps it on the calling thread (callers that already split work over the cores).
    /// </summary>
    public static void MultiplyAdd(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        int rows, int cols, int depth, bool parallel = true)
    {
        if (rows <= 0 || cols <= 0 || depth <= 0) return;
        fixed (double* pa = a)
        fixed (double* pb = b)
        fixed (double* pc = c)
        {
            long work = (long)rows * cols * depth;
            if (!parallel || work < ParallelThreshold || rows < 8 || Environment.ProcessorCount < 2)
            {
                Run(pa, ars, acs, pb, ldb, pc, ldc, 0, rows, cols, depth);
                return;
            }
            int parts = Math.Min(Environment.ProcessorCount, rows / 4);
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            Parallel.For(0, parts, part =>
            {
                int r0 = (int)((long)rows * part / parts) & ~3, r1 = part == parts - 1 ? rows : (int)((long)rows * (part + 1) / parts) & ~3;
                Run((double*)ia, ars, acs, (double*)ib, ldb, (double*)ic, ldc, r0, r1, cols, depth);
            });
        }
    }

    /// <summary>The scalar definition (used when vectors are not accelerated, and by the tests).</summary>
    public static void Reference(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        int rows, int cols, int depth)
    {
        for (int m = 0; m < rows; m++)
            for (int n = 0; n < cols; n++)
            {
                double s = 0;
                for (int k = 0; k < depth; k++) s += a[m * ars + k * acs] * b[k * ldb + n];
                c[m * ldc + n] += s;
            }
    }

    private static void Run(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int r0, int r1, int cols, int depth)
    {
        int n = 0;
        if (Accelerated)
        {
            int w = Vector<double>.Count;
            for (; n + 2 * w <= cols; n += 2 * w)
            {
                int m = r0;
                for (; m + 4 <= r1; m += 4) Tile4x2(a + m * ars, ars, acs, b + n, ldb, c + m * ldc + n, ldc, depth);
                for (; m < r1; m++) Tile1x2(a + m * ars, acs, b + n, ldb, c + m * ldc + n, depth);
            }
            for (; n + w <= cols; n += w)
            {
                int m = r0;
                for (; m + 4 <= r1; m += 4) Tile4x1(a + m * ars, ars, acs, b + n, ldb, c + m * ldc + n, ldc, depth);
                for (; m < r1; m++) Tile1x1(a + m * ars, acs, b + n, ldb, c + m * ldc + n, depth);
            }
        }
        for (; n < cols; n++)
            for (int m = r0; m < r1; m++)
            {
                double s = 0;
                double* ar = a + m * ars;
                for (int k = 0; k < depth; k++) s += ar[k * acs] * b[k * ldb + n];
                c[m * ldc + n] += s;
            }
    }

    private static Vector<double> Load(double* p) => *(Vector<double>*)p;

    private static void Store(double* p, Vector<double> v) => *(Vector<double>*)p = v;

    private static void Tile4x2(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int depth)
    {
        int w = Vector<double>.Count;
        var c00 = Load(c); var c01 = Load(c + w);
        var c10 = Load(c + ldc); var c11 = Load(c + ldc + w);
        var c20 = Load(c + 2 * ldc); var c21 = Load(c + 2 * ldc + w);
        var c30 = Load(c + 3 * ldc); var c31 = Load(c + 3 * ldc + w);
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
        Store(c, c00); Store(c + w, c01);
        Store(c + ldc, c10); Store(c + ldc + w, c11);
        Store(c + 2 * ldc, c20); Store(c + 2 * ldc + w, c21);
        Store(c + 3 * ldc, c30); Store(c + 3 * ldc + w, c31);
    }

    private static void Tile4x1(double* a, int ars, int acs, double* b, int ldb, double* c, int ldc, int depth)
    {
        var c0 = Load(c); var c1 = Load(c + ldc); var c2 = Load(c + 2 * ldc); var c3 = Load(c + 3 * ldc);
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
        Store(c, c0); Store(c + ldc, c1); Store(c + 2 * ldc, c2); Store(c + 3 * ldc, c3);
    }

    private static void Tile1x2(double* a, int acs, double* b, int ldb, double* c, int depth)
    {
        int w = Vector<double>.Count;
        var c0 = Load(c); var c1 = Load(c + w);
        for (int k = 0; k < depth; k++)
        {
            var x = new Vector<double>(a[k * acs]);
            c0 = Vector.FusedMultiplyAdd(x, Load(b), c0);
            c1 = Vector.FusedMultiplyAdd(x, Load(b + w), c1);
            b += ldb;
        }
        Store(c, c0); Store(c + w, c1);
    }

    private static void Tile1x1(double* a, int acs, double* b, int ldb, double* c, int depth)
    {
        var c0 = Load(c);
        for (int k = 0; k < depth; k++)
        {
            c0 = Vector.FusedMultiplyAdd(new Vector<double>(a[k * acs]), Load(b), c0);
            b += ldb;
        }
        Store(c, c0);
    }
}
