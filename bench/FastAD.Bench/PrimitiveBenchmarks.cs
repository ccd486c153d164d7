using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FastAD.Kernels;
using FastAD.Kernels.Diagnostics;

namespace FastAD.Bench;

/// <summary>
/// The primitives suite under BenchmarkDotNet: the same workloads as <c>fastad bench</c>
/// (<see cref="PrimitiveWorkload"/>), on the managed CPU and on every OpenCL device found, with
/// GFLOP/s and GB/s columns derived from each workload's operation and byte counts.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class PrimitiveBenchmarks
{
    private DeviceRegistry? _registry;
    private PrimitiveWorkload? _workload;

    [ParamsSource(nameof(DeviceIds))]
    public string Device { get; set; } = "cpu";

    [Params("matmul 1024x64^3", "matmul 16x256^3", "histogram 16M/64", "map tanh 16M", "moments 16M")]
    public string Workload { get; set; } = "";

    public static IEnumerable<string> DeviceIds()
    {
        yield return "cpu";
        using var registry = DeviceRegistry.Discover(cuda: false);
        foreach (var d in registry[DeviceKind.OpenCL].Devices) yield return d.Id;
    }

    [GlobalSetup]
    public void Setup()
    {
        _registry = DeviceRegistry.Discover();
        var device = _registry.Select(Device);
        _workload = Create(device, Workload);
        _workload.Run();
    }

    internal static PrimitiveWorkload Create(ComputeDevice device, string name) => name switch
    {
        "matmul 1024x64^3" => PrimitiveWorkload.MatMul(device, 1024, 64),
        "matmul 16x256^3" => PrimitiveWorkload.MatMul(device, 16, 256),
        "histogram 16M/64" => PrimitiveWorkload.Histogram(device, 1 << 24, 64),
        "map tanh 16M" => PrimitiveWorkload.Map(device, 1 << 24),
        "moments 16M" => PrimitiveWorkload.Moments(device, 1 << 24),
        _ => throw new ArgumentException($"unknown workload {name}"),
    };

    [Benchmark]
    public void Run() => _workload!.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _registry?.Dispose();
    }
}

/// <summary>Adds GFLOP/s and GB/s columns computed from the workloads' counts and the measured mean.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(new ThroughputColumn("GFLOP/s", w => w.Flops), new ThroughputColumn("GB/s", w => w.Bytes));
    }
}

internal sealed class ThroughputColumn(string name, Func<PrimitiveWorkload, double> amount) : IColumn
{
    private readonly Dictionary<(string, string), double> _amounts = new();

    public string Id => "FastAD." + name;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"{name} from the workload's operation/byte count and the mean time";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "-";
        string device = (string)benchmarkCase.Parameters["Device"];
        string workload = (string)benchmarkCase.Parameters["Workload"];
        if (!_amounts.TryGetValue((device, workload), out double a))
        {
            // Sizes only: the counts do not depend on the device, so build the workload on the CPU.
            using var w = PrimitiveBenchmarks.Create(FastAD.Kernels.Cpu.CpuDevice.Instance, workload);
            _amounts[(device, workload)] = a = amount(w);
        }
        double seconds = report.ResultStatistics.Mean * 1e-9;
        return a > 0 ? (a / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "-";
    }
}
