using FastAD.Kernels.Cpu;
using FastAD.Kernels.Cuda;
using FastAD.Kernels.OpenCL;

namespace FastAD.Kernels;

/// <summary>What one backend offers on this machine: its devices, or why it has none.</summary>
/// <param name="Kind">The backend.</param>
/// <param name="Devices">Devices found (possibly empty).</param>
/// <param name="Problem">Why the backend is missing or partly broken; null when all is well.</param>
public sealed record BackendReport(DeviceKind Kind, IReadOnlyList<ComputeDevice> Devices, string? Problem);

/// <summary>
/// Finds the compute devices of this machine and resolves <c>--device</c> selectors:
/// <c>auto</c> (CUDA, then an OpenCL GPU, then the managed CPU), <c>cpu</c>, <c>opencl[:N]</c>, <c>cuda[:N]</c>.
/// Disposing the registry releases every device it opened except the shared CPU device.
/// </summary>
public sealed class DeviceRegistry : IDisposable
{
    private DeviceRegistry(IReadOnlyList<BackendReport> backends) => Backends = backends;

    /// <summary>One report per backend: CPU, OpenCL, CUDA.</summary>
    public IReadOnlyList<BackendReport> Backends { get; }

    /// <summary>Every device found, CPU first.</summary>
    public IEnumerable<ComputeDevice> Devices => Backends.SelectMany(b => b.Devices);

    /// <summary>Probes every backend. Never throws for a missing backend; the reason is in its report.</summary>
    public static DeviceRegistry Discover(bool openCl = true, bool cuda = true)
    {
        var reports = new List<BackendReport> { new(DeviceKind.Cpu, [CpuDevice.Instance], null) };
        if (openCl)
        {
            var (devices, problem) = OpenClDevice.Discover();
            reports.Add(new BackendReport(DeviceKind.OpenCL, devices, problem));
        }
        else reports.Add(new BackendReport(DeviceKind.OpenCL, [], "not probed"));
        if (cuda)
        {
            var (devices, problem) = CudaDevice.Discover();
            reports.Add(new BackendReport(DeviceKind.Cuda, devices, problem));
        }
        else reports.Add(new BackendReport(DeviceKind.Cuda, [], "not probed"));
        return new DeviceRegistry(reports);
    }

    /// <summary>The report of one backend.</summary>
    public BackendReport this[DeviceKind kind] => Backends.First(b => b.Kind == kind);

    /// <summary>
    /// Resolves a selector. Unknown selectors and unavailable devices throw <see cref="ArgumentException"/>
    /// whose message says what exists and why the asked-for backend is missing.
    /// </summary>
    public ComputeDevice Select(string? selector)
    {
        string s = (selector ?? "auto").Trim().ToLowerInvariant();
        if (s is "" or "auto")
        {
            var cudaDevice = this[DeviceKind.Cuda].Devices.FirstOrDefault();
            if (cudaDevice is not null) return cudaDevice;
            var gpu = this[DeviceKind.OpenCL].Devices.OfType<OpenClDevice>().FirstOrDefault(d => d.IsGpu);
            return gpu is not null ? gpu : CpuDevice.Instance;
        }
        if (s == "cpu") return CpuDevice.Instance;
        string[] parts = s.Split(':');
        DeviceKind? kind = parts[0] switch { "opencl" or "ocl" => DeviceKind.OpenCL, "cuda" => DeviceKind.Cuda, _ => null };
        if (kind is null || parts.Length > 2)
            throw new ArgumentException($"Unknown device '{selector}'. Expected auto, cpu, opencl[:N] or cuda[:N].");
        int index = 0;
        if (parts.Length == 2 && !int.TryParse(parts[1], out index))
            throw new ArgumentException($"Device index in '{selector}' must be a number, as in {parts[0]}:0.");
        var report = this[kind.Value];
        if (report.Devices.Count == 0)
            throw new ArgumentException($"No {kind} device: {report.Problem ?? "none found"}.");
        if (index < 0 || index >= report.Devices.Count)
            throw new ArgumentException($"No device {kind.Value.ToString().ToLowerInvariant()}:{index}; found {report.Devices.Count} ({string.Join(", ", report.Devices.Select(d => d.Id))}).");
        return report.Devices[index];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var d in Devices)
            if (d is not CpuDevice) d.Dispose();
    }
}
