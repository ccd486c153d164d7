using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Exp<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return Vector.Exp(v.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float)) return Vector.Exp(v.As<T, float>()).As<float, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>
    /// C[m, n] += Σ_k A[m·ars + k·acs]·B[k·ldb + n] for m &lt; rows, n &lt; cols, k &lt; depth; <paramref name="parallel"/>
    /// false keeps it on the calling thread (callers that already split work over the cores). With
    /// <paramref name="overwrite"/> C's old values are ignored (C = AB); with <paramref name="tanh"/> the result
    /// goes through tanh before it is stored (C = tanh(C + AB)).
    /// </summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, int ars, int acs, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc,
        int rows, int cols, int depth, bool parallel = true, bool overwrite = false, bool tanh = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || cols <= 0) return;
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            long work = (long)rows * cols * depth;
            if (!parallel || work < ParallelThreshold || rows < 8 || Environment.ProcessorCount < 2 || FlowParallelism.IsSerial)
            {
                Run(pa, ars, acs, pb, ldb, pc, ldc, 0, rows, cols, depth, overwrite, tanh);
                return;
            }
            int parts = Math.Min(Environment.ProcessorCount, rows / 4);
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            Parallel.For(0, parts, part =>
            {
                int r0 = (int)((long)rows * part / parts) & ~3, r1 = part == parts - 1 ? rows : (int)((long)rows * (part + 1) / parts) & ~3;
                Run((T*)ia, ars, acs, (T*)ib, ldb, (T*)ic, ldc, r0, r1, cols, depth, overwrite, tanh);
            });
        }
    }

    /// <summary>
    /// <see cref="MultiplyAdd{T}"/> with the products formed in single precision: A and B are rounded to float
    /// (packed contiguously), multiplied with float tiles (twice the lanes), and the product added to C in
    /// double. Each product then carries a relative error of about depth·2⁻²⁴ of the magnitude of its terms,
    /// the precision PyTorch trains with; used only where that is enough (training passes), never by the
    /// gradient checks. Falls back to double when the product is too thin for the packing to pay.
    /// </summary>
    public static void MultiplyAddSingle(ReadOnlySpan<double> a, int ars, int acs, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        int rows, int cols, int depth, bool parallel = true)
    {
        if (cols < SingleMinimum || depth < SingleMinimum || rows < 4)
        {
            MultiplyAdd(a, ars, acs, b, ldb, c, ldc, rows, cols, depth, parallel);
            return;
        }
        var pool = System.Buffers.ArrayPool<float>.Shared;
        float[] af = pool.Rent(rows * depth), bf = pool.Rent(depth * cols), cf = pool.Rent(rows * cols);
        try
        {
            if (acs == 1 && ars == depth) TensorPrimitives.ConvertTruncating(a[..(rows * depth)], af.AsSpan(0, rows * depth));
            else
                for (int m = 0; m < rows; m++)
                    for (int k = 0; k < depth; k++) af[m * depth + k] = (float)a[m * ars + k * acs];
            if (ldb == cols) TensorPrimitives.ConvertTruncating(b[..(depth * cols)], bf.AsSpan(0, depth * cols));
            else
                for (int k = 0; k < depth; k++) TensorPrimitives.ConvertTruncating(b.Slice(k * ldb, cols), bf.AsSpan(k * cols, cols));
            MultiplyAdd<float>(af, depth, 1, bf, cols, cf, cols, rows, cols, depth, parallel, overwrite: true);
            Span<double> widened = cols <= 1024 ? stackalloc double[cols] : new double[cols];
            for (int m = 0; m < rows; m++)
            {
                TensorPrimitives.ConvertTruncating<float, double>(cf.AsSpan(m * cols, cols), widened);
                var cr = c.Slice(m * ldc, cols);
                TensorPrimitives.Add(cr, widened, cr);
            }
        }
        finally
        {
            pool.Return(af);
            pool.Return(bf);
            pool.Return(cf);
        }
    }

    /// <summary>Both the width and the depth of a product must reach this for <see cref="MultiplyAddSingle"/> to use floats.</summary>
    internal const int SingleMinimum = 32;

    /// <summary>The scalar definition (used when vectors are not accelerated, and by the tests).</summary>
    public static void Reference<T>(ReadOnlySpan<T> a, int ars, int acs, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc,
        int rows, int cols, int depth, bool overwrite = false, bool tanh = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int m = 0; m < rows; m++)
            for (int n = 0; n < cols; n++)
            {
                T s = overwrite ? T.Zero : c[m * ldc + n];
                for (int k = 0; k < depth; k++) s += a[m * ars + k * acs] * b[k * ldb + n];
                c[m * ldc + n] = tanh ? T.Tanh(s) : s;
            }
    }

    private static void Run<T>(T* a, int ars, int acs, T* b, int ldb, T* c, int ldc, int r0, int r1, int cols, int depth, bool overwrite, bool tanh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        a += r0 * ars;
        c += r0 * ldc;
        r1 -= r0;
        if (!Accelerated)
        {
            Reference(new ReadOnlySpan<T>(a, (r1 - 1) * ars + Math.Max(depth - 1, 0) * acs + 1), ars, acs,
                new ReadOnlySpan<T>(b, Math.Max(depth - 1, 0) * ldb + cols), ldb, new Span<T>(c, (r1 - 1) * ldc + cols), ldc,
                r1, cols, depth, overwrite, tanh);
            return;
        }
        int w = Vector<T>.Count, n = 0;
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
        T[]? rented = size > 2048 ? System.Buffers.ArrayPool<T>.Shared.Rent(size) : null;
        Span<T> packed = rented ?? stackalloc T[Math.Max(size, 1)];
        packed[..size].Clear();
        for (int k = 0; k < depth; k++)
            for (int j = 0; j < rem; j++) packed[k * w + j] = b[k * ldb + n + j];
        Span<T> tile = stackalloc T[4 * w];
        fixed (T* pp = packed)
        fixed (T* pt = tile)
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
                        ref T target = ref c[(m + r) * ldc + n + j];
                        T v = (overwrite ? T.Zero : target) + pt[r * w + j];
                        target = tanh ? T.Tanh(v) : v;
                    }
            }
        }
        if (rented is not null) System.Buffers.ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>tanh on a vector: (1 − e^{−2|v|}) / (1 + e^{−2|v|}) with the sign of v.</summary>
    internal static Vector<T> Tanh<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = Exp(Vector.Abs(v) * T.CreateTruncating(-2.0));
        var t = (Vector<T>.One - e) / (Vector<T>.One + e);
        return Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), -t, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Start<T>(T* c, bool overwrite) where T : unmanaged, IFloatingPointIeee754<T> => overwrite ? Vector<T>.Zero : Load(c);

    /// <summary>
    /// tanh in place on <paramref name="rows"/> × <paramref name="vectors"/> vectors of C (rows at stride ldc) — applied after a
    /// tile's accumulators are stored, so that none of them is live across the call (the register allocator would otherwise
    /// keep every accumulator on the stack inside the loop: 2–3× slower tiles).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TanhTile<T>(T* c, int ldc, int rows, int vectors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < vectors; j++)
            {
                T* p = c + r * ldc + j * w;
                Store(p, Tanh(Load(p)));
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(T* p) where T : unmanaged => *(Vector<T>*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* p, Vector<T> v) where T : unmanaged => *(Vector<T>*)p = v;

    private static void Tile4x2<T>(T* a, int ars, int acs, T* b, int ldb, T* c, int ldc, int depth, bool overwrite, bool tanh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var c00 = Start(c, overwrite); var c01 = Start(c + w, overwrite);
        var c10 = Start(c + ldc, overwrite); var c11 = Start(c + ldc + w, overwrite);
        var c20 = Start(c + 2 * ldc, overwrite); var c21 = Start(c + 2 * ldc + w, overwrite);
        var c30 = Start(c + 3 * ldc, overwrite); var c31 = Start(c + 3 * ldc + w, overwrite);
        T* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Load(b); var b1 = Load(b + w);
            b += ldb;
            int o = k * acs;
            var x = new Vector<T>(a0[o]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = new Vector<T>(a1[o]);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = new Vector<T>(a2[o]);
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = new Vector<T>(a3[o]);
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
        }
        Store(c, c00); Store(c + w, c01);
        Store(c + ldc, c10); Store(c + ldc + w, c11);
        Store(c + 2 * ldc, c20); Store(c + 2 * ldc + w, c21);
        Store(c + 3 * ldc, c30); Store(c + 3 * ldc + w, c31);
        if (tanh) TanhTile(c, ldc, 4, 2);
    }

    private static void Tile4x1<T>(T* a, int ars, int acs, T* b, int ldb, T* c, int ldc, int depth, bool overwrite, bool tanh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c0 = Start(c, overwrite); var c1 = Start(c + ldc, overwrite); var c2 = Start(c + 2 * ldc, overwrite); var c3 = Start(c + 3 * ldc, overwrite);
        T* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Load(b);
            b += ldb;
            int o = k * acs;
            c0 = Fma(new Vector<T>(a0[o]), b0, c0);
            c1 = Fma(new Vector<T>(a1[o]), b0, c1);
            c2 = Fma(new Vector<T>(a2[o]), b0, c2);
            c3 = Fma(new Vector<T>(a3[o]), b0, c3);
        }
        Store(c, c0); Store(c + ldc, c1); Store(c + 2 * ldc, c2); Store(c + 3 * ldc, c3);
        if (tanh) TanhTile(c, ldc, 4, 1);
    }

    private static void Tile1<T>(T* a, int acs, T* b, int ldb, T* c, int depth, bool overwrite, bool tanh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c0 = Start(c, overwrite);
        for (int k = 0; k < depth; k++)
        {
            c0 = Fma(new Vector<T>(a[k * acs]), Load(b), c0);
            b += ldb;
        }
        Store(c, c0);
        if (tanh) TanhTile(c, 0, 1, 1);
    }
}
