using System.Numerics;
using System.Numerics.Tensors;
using FastAD.Kernels.Cpu;
using FastAD.Kernels.Random;

namespace FastAD.Kernels.Primitives;

/// <summary>
/// Primitives as managed code on the CPU device: System.Numerics.Tensors (TensorPrimitives picks
/// Vector512/256/128 or scalar code from what the hardware accelerates), System.Numerics.Vector for
/// double-precision accumulation, and Parallel.For over fixed chunks so results do not depend on
/// the thread count.
/// </summary>
public sealed class ManagedPrimitives(CpuDevice device) : Primitives
{
    private const int Chunk = 1 << 14;

    /// <inheritdoc />
    public override ComputeDevice Device => device;

    private static int Chunks(long n) => (int)((n + Chunk - 1) / Chunk);

    private static void ForChunks(long n, Action<int, int> body)
    {
        int chunks = Chunks(n);
        void Run(int c)
        {
            int start = c * Chunk;
            body(start, (int)Math.Min(Chunk, n - start));
        }
        if (chunks == 1) Run(0);
        else Parallel.For(0, chunks, Run);
    }

    /// <inheritdoc />
    protected override void MapCore(UnaryOp op, DeviceBuffer<float> x, DeviceBuffer<float> y, float alpha, float beta)
    {
        ForChunks(x.Length, (start, count) =>
        {
            var src = x.AsSpan().Slice(start, count);
            var dst = y.AsSpan().Slice(start, count);
            if (alpha != 1f) TensorPrimitives.Multiply(src, alpha, dst);
            else if (!src.Overlaps(dst)) src.CopyTo(dst);
            if (beta != 0f) TensorPrimitives.Add(dst, beta, dst);
            Apply(op, dst);
        });
    }

    /// <inheritdoc />
    protected override void CombineCore(UnaryOp op, float a, DeviceBuffer<float> x, float b, DeviceBuffer<float> y, float c, DeviceBuffer<float> z)
    {
        ForChunks(x.Length, (start, count) =>
        {
            Span<float> tmp = count <= 4096 ? stackalloc float[count] : new float[count];
            var xs = x.AsSpan().Slice(start, count);
            var ys = y.AsSpan().Slice(start, count);
            TensorPrimitives.Multiply(ys, b, tmp);
            TensorPrimitives.MultiplyAdd(xs, a, tmp, tmp);
            var zs = z.AsSpan().Slice(start, count);
            TensorPrimitives.Add(tmp, c, zs);
            Apply(op, zs);
        });
    }

    private static void Apply(UnaryOp op, Span<float> v)
    {
        switch (op)
        {
            case UnaryOp.Identity: break;
            case UnaryOp.Exp: TensorPrimitives.Exp(v, v); break;
            case UnaryOp.Log: TensorPrimitives.Log(v, v); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(v, v); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(v, v); break;
            case UnaryOp.Relu: TensorPrimitives.Max(v, 0f, v); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(v, v, v); break;
            case UnaryOp.Softplus:
                for (int i = 0; i < v.Length; i++)
                {
                    float t = v[i];
                    v[i] = MathF.Max(t, 0f) + (float)Math.Log(1.0 + Math.Exp(-Math.Abs((double)t)));
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown elementwise op.");
        }
    }

    /// <inheritdoc />
    protected override double SumCore(DeviceBuffer<float> x, double shift, bool squared)
    {
        var partial = new double[Chunks(x.Length)];
        ForChunks(x.Length, (start, count) => partial[start / Chunk] = SumChunk(x.AsSpan().Slice(start, count), shift, squared));
        double total = 0;
        foreach (var p in partial) total += p;
        return total;
    }

    private static double SumChunk(ReadOnlySpan<float> v, double shift, bool squared)
    {
        int i = 0;
        double total = 0;
        if (Vector.IsHardwareAccelerated && v.Length >= Vector<float>.Count)
        {
            var acc0 = Vector<double>.Zero;
            var acc1 = Vector<double>.Zero;
            var s = new Vector<double>(shift);
            for (; i <= v.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(v.Slice(i)), out var lo, out var hi);
                lo -= s;
                hi -= s;
                if (squared) { acc0 += lo * lo; acc1 += hi * hi; }
                else { acc0 += lo; acc1 += hi; }
            }
            total = Vector.Sum(acc0 + acc1);
        }
        for (; i < v.Length; i++)
        {
            double d = v[i] - shift;
            total += squared ? d * d : d;
        }
        return total;
    }

    /// <inheritdoc />
    protected override void BatchedMatMulCore(MatMulShape s, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> c)
    {
        // op(B) rows must be contiguous for the row-times-matrix update; transpose B once per batch if needed.
        float[]? bt = null;
        if (s.TransposeB)
        {
            bt = new float[s.Batch * s.BSize];
            Parallel.For(0, s.Batch, batch =>
            {
                var src = b.AsSpan().Slice((int)(batch * s.BSize), (int)s.BSize);
                var dst = bt.AsSpan((int)(batch * s.BSize), (int)s.BSize);
                for (int n = 0; n < s.N; n++)
                    for (int k = 0; k < s.K; k++)
                        dst[k * s.N + n] = src[n * s.K + k];
            });
        }
        long rows = (long)s.Batch * s.M;
        int rowsPerTask = Math.Max(1, (int)Math.Min(rows, 65536 / Math.Max(1, s.N * s.K / 64 + 1)));
        int tasks = (int)((rows + rowsPerTask - 1) / rowsPerTask);
        Parallel.For(0, tasks, t =>
        {
            Span<float> bAll = bt is null ? b.AsSpan() : bt;
            var aAll = a.AsSpan();
            var cAll = c.AsSpan();
            long end = Math.Min(rows, (long)(t + 1) * rowsPerTask);
            for (long r = (long)t * rowsPerTask; r < end; r++)
            {
                int batch = (int)(r / s.M), i = (int)(r % s.M);
                var cRow = cAll.Slice((int)(batch * s.CSize + (long)i * s.N), s.N);
                var bMat = bAll.Slice((int)(batch * s.BSize), (int)s.BSize);
                var aMat = aAll.Slice((int)(batch * s.ASize), (int)s.ASize);
                cRow.Clear();
                for (int k = 0; k < s.K; k++)
                {
                    float aik = s.TransposeA ? aMat[k * s.M + i] : aMat[i * s.K + k];
                    TensorPrimitives.MultiplyAdd(bMat.Slice(k * s.N, s.N), aik, cRow, cRow);
                }
            }
        });
    }

    /// <inheritdoc />
    protected override void HistogramCore(DeviceBuffer<float> values, DeviceBuffer<float>? weights, BinEdges edges, HistogramResult result)
    {
        int bins = edges.Count;
        int chunks = Chunks(values.Length);
        var partial = new (long[] N, double[] W, double[] W2, long Out)[chunks];
        ForChunks(values.Length, (start, count) =>
        {
            var v = values.AsSpan().Slice(start, count);
            var w = weights is null ? default : weights.AsSpan().Slice(start, count);
            var n = new long[bins];
            var sw = new double[bins];
            var sw2 = new double[bins];
            long outside = 0;
            for (int i = 0; i < v.Length; i++)
            {
                int bin = edges.Find(v[i]);
                if (bin < 0) { outside++; continue; }
                n[bin]++;
                if (!w.IsEmpty)
                {
                    double wi = w[i];
                    sw[bin] += wi;
                    sw2[bin] += wi * wi;
                }
            }
            if (w.IsEmpty)
                for (int k = 0; k < bins; k++) sw[k] = sw2[k] = n[k];
            partial[start / Chunk] = (n, sw, sw2, outside);
        });
        foreach (var p in partial)
        {
            for (int k = 0; k < bins; k++)
            {
                result.Counts[k] += p.N[k];
                result.SumWeights[k] += p.W[k];
                result.SumWeightsSquared[k] += p.W2[k];
            }
            result.Outside += p.Out;
        }
    }

    /// <inheritdoc />
    protected override void FillCore(RandomKind kind, DeviceBuffer x, ulong seed, ulong stream, long offset)
    {
        ForChunks(x.Length, (start, count) =>
        {
            long o = offset + start;
            switch (kind)
            {
                case RandomKind.UInt32: Philox4x32.FillUInt32(((DeviceBuffer<uint>)x).AsSpan().Slice(start, count), seed, stream, o); break;
                case RandomKind.UniformF32: Philox4x32.FillUniform(((DeviceBuffer<float>)x).AsSpan().Slice(start, count), seed, stream, o); break;
                case RandomKind.UniformF64: Philox4x32.FillUniform(((DeviceBuffer<double>)x).AsSpan().Slice(start, count), seed, stream, o); break;
                case RandomKind.NormalF32: Philox4x32.FillNormal(((DeviceBuffer<float>)x).AsSpan().Slice(start, count), seed, stream, o); break;
                case RandomKind.NormalF64: Philox4x32.FillNormal(((DeviceBuffer<double>)x).AsSpan().Slice(start, count), seed, stream, o); break;
            }
        });
    }

    /// <inheritdoc />
    protected override void FillPoissonCore(DeviceBuffer<int> output, DeviceBuffer<double> means, ulong seed, ulong firstStream)
    {
        ForChunks(output.Length, (start, count) =>
        {
            var o = output.AsSpan().Slice(start, count);
            var m = means.AsSpan().Slice(start, count);
            for (int i = 0; i < count; i++) o[i] = PhiloxPoisson.Sample(m[i], seed, firstStream + (ulong)(start + i));
        });
    }
}
