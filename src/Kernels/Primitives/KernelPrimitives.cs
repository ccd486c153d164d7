using System.Globalization;

namespace FastAD.Kernels.Primitives;

/// <summary>
/// Primitives as kernels from the embedded sources, on an OpenCL or CUDA device. Programs are
/// specialised with -D defines (op, transposes, bin count) and cached per device.
/// </summary>
public sealed class KernelPrimitives : Primitives
{
    private const int Wg = 256;
    private const int Tile = 16;
    private readonly ComputeDevice _device;

    /// <summary>Creates kernel primitives for a device that supports kernels.</summary>
    public KernelPrimitives(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' does not run kernels; use ManagedPrimitives.", nameof(device));
        _device = device;
    }

    /// <inheritdoc />
    public override ComputeDevice Device => _device;

    private static string S(int v) => v.ToString(CultureInfo.InvariantCulture);

    private int GroupSize => Math.Min(Wg, _device.MaxWorkGroupSize);

    /// <inheritdoc />
    protected override void MapCore(UnaryOp op, DeviceBuffer<float> x, DeviceBuffer<float> y, float alpha, float beta)
        => _device.GetProgram("elementwise.cl", new Dictionary<string, string> { ["OP"] = S((int)op) })
            .GetKernel("map_f32").Launch(LaunchGrid.Linear(x.Length, GroupSize), x, y, x.Length, alpha, beta);

    /// <inheritdoc />
    protected override void CombineCore(UnaryOp op, float a, DeviceBuffer<float> x, float b, DeviceBuffer<float> y, float c, DeviceBuffer<float> z)
        => _device.GetProgram("elementwise.cl", new Dictionary<string, string> { ["OP"] = S((int)op) })
            .GetKernel("combine_f32").Launch(LaunchGrid.Linear(x.Length, GroupSize), x, y, z, x.Length, a, b, c);

    private int Groups(long n, int cap) => (int)Math.Clamp((n + GroupSize - 1) / GroupSize, 1, cap);

    /// <inheritdoc />
    protected override double SumCore(DeviceBuffer<float> x, double shift, bool squared)
    {
        int wg = GroupSize;
        int groups = Groups(x.Length, 4 * Math.Max(1, _device.ComputeUnits) * 8);
        using var partials = _device.Allocate<double>(groups);
        _device.GetProgram("reduce.cl", new Dictionary<string, string> { ["WG"] = S(wg) })
            .GetKernel("sum_partials_f32").Launch(LaunchGrid.Linear((long)groups * wg, wg), x, x.Length, shift, squared ? 1 : 0, partials);
        double total = 0;
        foreach (var p in _device.Download(partials)) total += p;
        return total;
    }

    /// <inheritdoc />
    protected override void BatchedMatMulCore(MatMulShape s, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> c)
    {
        int tilesM = (s.M + Tile - 1) / Tile;
        var program = _device.GetProgram("matmul.cl", new Dictionary<string, string>
        {
            ["TILE"] = S(Tile),
            ["TRANS_A"] = s.TransposeA ? "1" : "0",
            ["TRANS_B"] = s.TransposeB ? "1" : "0",
        });
        program.GetKernel("batched_matmul_f32").Launch(
            LaunchGrid.Planar(s.N, (long)s.Batch * tilesM * Tile, Tile, Tile), a, b, c, s.M, s.N, s.K, tilesM);
    }

    /// <inheritdoc />
    protected override void HistogramCore(DeviceBuffer<float> values, DeviceBuffer<float>? weights, BinEdges edges, HistogramResult result)
    {
        int bins = edges.Count;
        if (bins > 1024)
            throw new NotSupportedException($"Kernel histograms hold at most 1024 bins in local memory (asked for {bins}).");
        int wg = GroupSize;
        int slots = bins + 1;
        int groups = Groups(values.Length, 2 * Math.Max(1, _device.ComputeUnits) * 8);
        var program = _device.GetProgram("histogram.cl", new Dictionary<string, string> { ["NBINS"] = S(bins), ["WG"] = S(wg) });
        using var edgeBuffer = _device.Upload<double>(edges.Edges);
        using var pCount = _device.Allocate<int>((long)groups * slots);
        using var pSum = _device.Allocate<double>((long)groups * slots);
        using var pSum2 = _device.Allocate<double>((long)groups * slots);
        using var count = _device.Allocate<long>(slots);
        using var sum = _device.Allocate<double>(slots);
        using var sum2 = _device.Allocate<double>(slots);
        // A one-element stand-in keeps the argument list fixed when there are no weights.
        using var noWeights = weights is null ? _device.Allocate<float>(1) : null;
        program.GetKernel("histogram_partials").Launch(LaunchGrid.Linear((long)groups * wg, wg),
            values, weights ?? noWeights!, weights is null ? 0 : 1, values.Length, edgeBuffer, edges.InverseMeanWidth, pCount, pSum, pSum2);
        program.GetKernel("histogram_reduce").Launch(LaunchGrid.Linear(slots, Math.Min(64, wg)), pCount, pSum, pSum2, groups, count, sum, sum2);
        var c = _device.Download(count);
        var s1 = _device.Download(sum);
        var s2 = _device.Download(sum2);
        Array.Copy(c, result.Counts, bins);
        Array.Copy(s1, result.SumWeights, bins);
        Array.Copy(s2, result.SumWeightsSquared, bins);
        result.Outside = c[bins];
    }

    /// <inheritdoc />
    protected override void FillCore(RandomKind kind, DeviceBuffer x, ulong seed, ulong stream, long offset)
    {
        int perBlock = kind is RandomKind.UniformF64 or RandomKind.NormalF64 ? 2 : 4;
        long blocks = (offset + x.Length - 1) / perBlock - offset / perBlock + 1;
        string name = kind switch
        {
            RandomKind.UInt32 => "philox_uint32",
            RandomKind.UniformF32 => "philox_uniform_f32",
            RandomKind.UniformF64 => "philox_uniform_f64",
            RandomKind.NormalF32 => "philox_normal_f32",
            _ => "philox_normal_f64",
        };
        _device.GetProgram("random.cl").GetKernel(name).Launch(LaunchGrid.Linear(blocks, GroupSize), x, x.Length, seed, stream, offset);
    }

    /// <inheritdoc />
    protected override void FillPoissonCore(DeviceBuffer<int> output, DeviceBuffer<double> means, ulong seed, ulong firstStream)
        => _device.GetProgram("random.cl").GetKernel("philox_poisson_fill")
            .Launch(LaunchGrid.Linear(output.Length, GroupSize), output, means, output.Length, seed, firstStream);
}
