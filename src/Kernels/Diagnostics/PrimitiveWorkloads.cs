using FastAD.Kernels.Primitives;
using FastAD.Kernels.Random;

namespace FastAD.Kernels.Diagnostics;

/// <summary>
/// One benchmarkable operation on device-resident data: what it computes, how many floating-point
/// operations and bytes of memory traffic one run costs. Shared by <c>fastad bench</c> and the
/// BenchmarkDotNet project so both measure exactly the same thing.
/// </summary>
public sealed class PrimitiveWorkload : IDisposable
{
    private readonly Action _run;
    private readonly IDisposable[] _owned;

    private PrimitiveWorkload(string name, string size, double flops, double bytes, double items, ComputeDevice device, Action run, params IDisposable[] owned)
    {
        Name = name;
        Size = size;
        Flops = flops;
        Bytes = bytes;
        Items = items;
        Device = device;
        _run = run;
        _owned = owned;
    }

    /// <summary>
    /// A workload of another engine (for its <c>fastad bench</c> suite): <paramref name="items"/> results per
    /// run (toys, fits, rows), and the device buffers it owns.
    /// </summary>
    public static PrimitiveWorkload Create(string name, string size, ComputeDevice device, double items, Action run, params IDisposable[] owned)
        => new(name, size, 0, 0, items, device, run, owned);

    /// <summary>Operation name.</summary>
    public string Name { get; }
    /// <summary>Problem size in words.</summary>
    public string Size { get; }
    /// <summary>Floating-point operations per run (0 when not meaningful).</summary>
    public double Flops { get; }
    /// <summary>Bytes read plus written per run (compulsory traffic).</summary>
    public double Bytes { get; }
    /// <summary>Elements produced or consumed per run.</summary>
    public double Items { get; }
    /// <summary>Device it runs on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Runs once and waits for completion.</summary>
    public void Run()
    {
        _run();
        Device.Synchronize();
    }

    /// <summary>Frees the device buffers.</summary>
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }

    private static float[] Data(int n, ulong stream)
    {
        var x = new float[n];
        Philox4x32.FillUniform(x, 12345, stream);
        return x;
    }

    /// <summary>Batched matmul C[b] = A[b]·B[b] with square matrices.</summary>
    public static PrimitiveWorkload MatMul(ComputeDevice device, int batch, int size)
    {
        var shape = new MatMulShape(batch, size, size, size);
        var prims = Primitives.Primitives.For(device);
        var a = device.Upload<float>(Data((int)(batch * shape.ASize), 1));
        var b = device.Upload<float>(Data((int)(batch * shape.BSize), 2));
        var c = device.Allocate<float>(batch * shape.CSize);
        return new PrimitiveWorkload("batched matmul", $"{batch} x {size}x{size}x{size}", shape.Flops,
            4.0 * batch * (shape.ASize + shape.BSize + shape.CSize), shape.Flops / 2, device, () => prims.BatchedMatMul(shape, a, b, c), a, b, c);
    }

    /// <summary>Weighted histogram of n values into the given number of uniform bins.</summary>
    public static PrimitiveWorkload Histogram(ComputeDevice device, int n, int bins)
    {
        var prims = Primitives.Primitives.For(device);
        var edges = BinEdges.Linear(0, 1, bins);
        var v = device.Upload<float>(Data(n, 3));
        var w = device.Upload<float>(Data(n, 4));
        return new PrimitiveWorkload("weighted histogram", $"{n:N0} values, {bins} bins", 0, 8.0 * n, n, device,
            () => prims.Histogram(v, w, edges), v, w);
    }

    /// <summary>Fused map y = tanh(a x + b).</summary>
    public static PrimitiveWorkload Map(ComputeDevice device, int n)
    {
        var prims = Primitives.Primitives.For(device);
        var x = device.Upload<float>(Data(n, 5));
        var y = device.Allocate<float>(n);
        return new PrimitiveWorkload("map tanh(ax+b)", $"{n:N0}", 3.0 * n, 8.0 * n, n, device,
            () => prims.Map(UnaryOp.Tanh, x, y, 0.5f, 0.1f), x, y);
    }

    /// <summary>Mean and variance (two passes).</summary>
    public static PrimitiveWorkload Moments(ComputeDevice device, int n)
    {
        var prims = Primitives.Primitives.For(device);
        var x = device.Upload<float>(Data(n, 6));
        return new PrimitiveWorkload("mean+variance", $"{n:N0}", 3.0 * n, 8.0 * n, n, device, () => prims.Moments(x), x);
    }

    /// <summary>Philox standard normal floats.</summary>
    public static PrimitiveWorkload Normals(ComputeDevice device, int n)
    {
        var prims = Primitives.Primitives.For(device);
        var x = device.Allocate<float>(n);
        return new PrimitiveWorkload("philox normal f32", $"{n:N0}", 0, 4.0 * n, n, device, () => prims.FillNormal(x, 7, 1), x);
    }

    /// <summary>The primitives suite: standard sizes (or small ones for a quick check).</summary>
    public static IEnumerable<Func<ComputeDevice, PrimitiveWorkload>> Suite(bool quick)
    {
        int n = quick ? 1 << 20 : 1 << 24;
        yield return d => MatMul(d, quick ? 64 : 1024, 64);
        yield return d => MatMul(d, quick ? 2 : 16, 256);
        yield return d => MatMul(d, quick ? 256 : 4096, 20);
        yield return d => Histogram(d, n, 64);
        yield return d => Map(d, n);
        yield return d => Moments(d, n);
        yield return d => Normals(d, n);
    }
}

/// <summary>The measured speed of one workload.</summary>
/// <param name="Workload">Operation.</param>
/// <param name="Size">Problem size.</param>
/// <param name="Device">Device id and name.</param>
/// <param name="MedianSeconds">Median wall time of one run (device synchronised).</param>
/// <param name="Runs">Timed runs.</param>
/// <param name="GFlops">GFLOP/s, or NaN.</param>
/// <param name="GBytes">GB/s of compulsory traffic.</param>
/// <param name="GItems">Giga-elements per second.</param>
public sealed record BenchmarkResult(string Workload, string Size, string Device, double MedianSeconds, int Runs, double GFlops, double GBytes, double GItems);

/// <summary>A small wall-clock harness for <c>fastad bench</c> on machines without the .NET SDK.</summary>
public static class WorkloadTimer
{
    /// <summary>Warms up (compiles kernels), then times runs until <paramref name="budgetSeconds"/> or 50 runs; reports the median.</summary>
    public static BenchmarkResult Measure(PrimitiveWorkload w, double budgetSeconds = 1.0)
    {
        w.Run();
        w.Run();
        var times = new List<double>();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (times.Count < 3 || (total.Elapsed.TotalSeconds < budgetSeconds && times.Count < 50))
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            w.Run();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        return new BenchmarkResult(w.Name, w.Size, w.Device.Id, median, times.Count,
            w.Flops > 0 ? w.Flops / median / 1e9 : double.NaN, w.Bytes > 0 ? w.Bytes / median / 1e9 : double.NaN, w.Items / median / 1e9);
    }
}
