using FastAD.Kernels;
using Xunit;

namespace FastAD.TestSupport;

/// <summary>
/// The devices tests run on. Theories take a backend name ("cpu", "opencl", "cuda") from
/// <see cref="Backends"/> and call <see cref="Get"/>, which skips with the reason when the backend is
/// missing. Environment:
/// <list type="bullet">
/// <item>FASTAD_REQUIRE_OPENCL=1 turns a missing OpenCL device into a failure (CI sets it: the OpenCL
/// tests must really run on PoCL there).</item>
/// <item>FASTAD_REQUIRE_CUDA=1 does the same for CUDA (for a GPU machine).</item>
/// <item>FASTAD_TEST_BACKENDS=cpu,opencl limits the backends (the no-SIMD pass runs cpu only).</item>
/// </list>
/// </summary>
public static class TestDevices
{
    private static readonly Lazy<DeviceRegistry> Registry = new(() => DeviceRegistry.Discover());

    /// <summary>Theory data: one row per backend.</summary>
    public static TheoryData<string> Backends => new(BackendNames);

    /// <summary>The backend names.</summary>
    public static readonly string[] BackendNames = ["cpu", "opencl", "cuda"];

    /// <summary>The shared registry of this test process.</summary>
    public static DeviceRegistry All => Registry.Value;

    /// <summary>The first device of a backend, or a skip (a failure where the environment requires it).</summary>
    public static ComputeDevice Get(string backend)
    {
        var allowed = Environment.GetEnvironmentVariable("FASTAD_TEST_BACKENDS");
        if (!string.IsNullOrWhiteSpace(allowed) && !allowed.Split(',').Select(s => s.Trim()).Contains(backend, StringComparer.OrdinalIgnoreCase))
            Skip.If(true, $"backend '{backend}' excluded by FASTAD_TEST_BACKENDS={allowed}");
        var kind = backend switch
        {
            "cpu" => DeviceKind.Cpu,
            "opencl" => DeviceKind.OpenCL,
            "cuda" => DeviceKind.Cuda,
            _ => throw new ArgumentException($"unknown backend {backend}"),
        };
        var report = All[kind];
        if (report.Devices.Count > 0) return report.Devices[0];
        string reason = $"no {kind} device: {report.Problem}";
        string requireVar = kind == DeviceKind.OpenCL ? "FASTAD_REQUIRE_OPENCL" : "FASTAD_REQUIRE_CUDA";
        if (Environment.GetEnvironmentVariable(requireVar) == "1")
            throw new InvalidOperationException($"{requireVar}=1 but {reason}");
        Skip.If(true, reason);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// Opens a new device object of the backend (a new context for OpenCL) that the caller owns and
    /// disposes; for tests that count what a device holds.
    /// </summary>
    public static ComputeDevice OpenFresh(string backend)
    {
        if (backend == "cpu") return new FastAD.Kernels.Cpu.CpuDevice();
        var registry = DeviceRegistry.Discover(openCl: backend == "opencl", cuda: backend == "cuda");
        var device = registry.Select(backend);
        foreach (var other in registry.Devices.Where(d => !ReferenceEquals(d, device) && d is not FastAD.Kernels.Cpu.CpuDevice)) other.Dispose();
        return device;
    }
}
