using FastAD.Kernels.Cpu;

namespace FastAD.Kernels.Primitives;

/// <summary>
/// The first building blocks the engines need, on one device: fused elementwise maps, reductions,
/// batched small matrix products, weighted histograms and Philox random fills.
/// <see cref="ManagedPrimitives"/> runs them as SIMD managed code on the CPU device;
/// <see cref="KernelPrimitives"/> runs the embedded kernels on OpenCL or CUDA devices. Both are tested
/// against <see cref="ScalarReference"/>. Public members validate and delegate to the <c>...Core</c> members.
/// </summary>
public abstract class Primitives
{
    /// <summary>Creates the primitives for a device: managed on the CPU device, kernels elsewhere.</summary>
    public static Primitives For(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device is CpuDevice cpu ? new ManagedPrimitives(cpu) : new KernelPrimitives(device);
    }

    /// <summary>The device the primitives run on.</summary>
    public abstract ComputeDevice Device { get; }

    /// <summary>Fused map: y[i] = op(alpha·x[i] + beta). <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void Map(UnaryOp op, DeviceBuffer<float> x, DeviceBuffer<float> y, float alpha = 1f, float beta = 0f)
    {
        Check(x, nameof(x));
        Check(y, nameof(y), x.Length);
        if (x.Length > 0) MapCore(op, x, y, alpha, beta);
    }

    /// <summary>Fused combination: z[i] = op(a·x[i] + b·y[i] + c). <paramref name="z"/> may alias an input.</summary>
    public void Combine(UnaryOp op, float a, DeviceBuffer<float> x, float b, DeviceBuffer<float> y, float c, DeviceBuffer<float> z)
    {
        Check(x, nameof(x));
        Check(y, nameof(y), x.Length);
        Check(z, nameof(z), x.Length);
        if (x.Length > 0) CombineCore(op, a, x, b, y, c, z);
    }

    /// <summary>Σx accumulated in double precision.</summary>
    public double Sum(DeviceBuffer<float> x)
    {
        Check(x, nameof(x));
        return x.Length == 0 ? 0.0 : SumCore(x, 0.0, squared: false);
    }

    /// <summary>Count, sum, mean and population variance (two-pass, double accumulation).</summary>
    public Moments Moments(DeviceBuffer<float> x)
    {
        Check(x, nameof(x));
        if (x.Length == 0) return new Moments(0, 0, double.NaN, double.NaN);
        double sum = SumCore(x, 0.0, squared: false);
        double mean = sum / x.Length;
        double ss = SumCore(x, mean, squared: true);
        return new Moments(x.Length, sum, mean, ss / x.Length);
    }

    /// <summary>C[b] = op(A[b]) · op(B[b]) for every batch; see <see cref="MatMulShape"/> for layouts.</summary>
    public void BatchedMatMul(MatMulShape shape, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> c)
    {
        shape.Validate();
        Check(a, nameof(a), shape.Batch * shape.ASize);
        Check(b, nameof(b), shape.Batch * shape.BSize);
        Check(c, nameof(c), shape.Batch * shape.CSize);
        if (ReferenceEquals(c, a) || ReferenceEquals(c, b))
            throw new ArgumentException("The product cannot be written over one of its inputs.", nameof(c));
        BatchedMatMulCore(shape, a, b, c);
    }

    /// <summary>Weighted histogram of <paramref name="values"/>; <paramref name="weights"/> null means weight 1.</summary>
    public HistogramResult Histogram(DeviceBuffer<float> values, DeviceBuffer<float>? weights, BinEdges edges)
    {
        Check(values, nameof(values));
        if (weights is not null) Check(weights, nameof(weights), values.Length);
        ArgumentNullException.ThrowIfNull(edges);
        var result = new HistogramResult(edges);
        if (values.Length > 0) HistogramCore(values, weights, edges, result);
        return result;
    }

    /// <summary>Fills with uniform [0,1) floats: element i is draw (offset + i) of Philox stream (seed, stream).</summary>
    public void FillUniform(DeviceBuffer<float> x, ulong seed, ulong stream, long offset = 0) => Fill(RandomKind.UniformF32, x, seed, stream, offset);

    /// <summary>Fills with uniform [0,1) doubles.</summary>
    public void FillUniform(DeviceBuffer<double> x, ulong seed, ulong stream, long offset = 0) => Fill(RandomKind.UniformF64, x, seed, stream, offset);

    /// <summary>Fills with standard normal floats.</summary>
    public void FillNormal(DeviceBuffer<float> x, ulong seed, ulong stream, long offset = 0) => Fill(RandomKind.NormalF32, x, seed, stream, offset);

    /// <summary>Fills with standard normal doubles.</summary>
    public void FillNormal(DeviceBuffer<double> x, ulong seed, ulong stream, long offset = 0) => Fill(RandomKind.NormalF64, x, seed, stream, offset);

    /// <summary>Fills with raw 32-bit Philox words.</summary>
    public void FillUInt32(DeviceBuffer<uint> x, ulong seed, ulong stream, long offset = 0) => Fill(RandomKind.UInt32, x, seed, stream, offset);

    /// <summary>
    /// out[i] ~ Poisson(means[i]), drawn from Philox stream (<paramref name="seed"/>, <paramref name="firstStream"/> + i)
    /// with <see cref="Random.PhiloxPoisson"/>; means must be finite and non-negative.
    /// </summary>
    public void FillPoisson(DeviceBuffer<int> output, DeviceBuffer<double> means, ulong seed, ulong firstStream)
    {
        Check(output, nameof(output));
        Check(means, nameof(means), output.Length);
        if (output.Length > 0) FillPoissonCore(output, means, seed, firstStream);
    }

    /// <summary>Backend Poisson fill.</summary>
    protected abstract void FillPoissonCore(DeviceBuffer<int> output, DeviceBuffer<double> means, ulong seed, ulong firstStream);

    private void Fill(RandomKind kind, DeviceBuffer x, ulong seed, ulong stream, long offset)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!ReferenceEquals(x.Device, Device)) throw new ArgumentException($"Buffer belongs to '{x.Device.Id}', not '{Device.Id}'.", nameof(x));
        x.ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (x.Length > 0) FillCore(kind, x, seed, stream, offset);
    }

    /// <summary>Which random fill.</summary>
    protected internal enum RandomKind
    {
        /// <summary>Raw words.</summary>
        UInt32 = 0,
        /// <summary>Uniform float.</summary>
        UniformF32 = 1,
        /// <summary>Uniform double.</summary>
        UniformF64 = 2,
        /// <summary>Normal float.</summary>
        NormalF32 = 3,
        /// <summary>Normal double.</summary>
        NormalF64 = 4,
    }

    /// <summary>Backend map.</summary>
    protected abstract void MapCore(UnaryOp op, DeviceBuffer<float> x, DeviceBuffer<float> y, float alpha, float beta);
    /// <summary>Backend combination.</summary>
    protected abstract void CombineCore(UnaryOp op, float a, DeviceBuffer<float> x, float b, DeviceBuffer<float> y, float c, DeviceBuffer<float> z);
    /// <summary>Σ(x - shift) or Σ(x - shift)² in double.</summary>
    protected abstract double SumCore(DeviceBuffer<float> x, double shift, bool squared);
    /// <summary>Backend batched matmul.</summary>
    protected abstract void BatchedMatMulCore(MatMulShape shape, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> c);
    /// <summary>Backend histogram, accumulating into <paramref name="result"/>.</summary>
    protected abstract void HistogramCore(DeviceBuffer<float> values, DeviceBuffer<float>? weights, BinEdges edges, HistogramResult result);
    /// <summary>Backend random fill.</summary>
    protected abstract void FillCore(RandomKind kind, DeviceBuffer x, ulong seed, ulong stream, long offset);

    private void Check<T>(DeviceBuffer<T> buffer, string name, long? length = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        buffer.ThrowIfDisposed();
        if (!ReferenceEquals(buffer.Device, Device))
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Id}', not '{Device.Id}'.", name);
        if (length is long n && buffer.Length != n)
            throw new ArgumentException($"Buffer '{name}' has {buffer.Length} elements; expected {n}.", name);
    }
}
