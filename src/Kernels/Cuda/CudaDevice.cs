using System.Runtime.InteropServices;
using System.Text;
using static FastAD.Kernels.Cuda.CudaNative;

namespace FastAD.Kernels.Cuda;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API (P/Invoke to libcuda.so.1) with kernels compiled at run
/// time by NVRTC to PTX for the device's compute capability, cached on disk (<see cref="PtxCache"/>).
/// Uses the device's primary context and makes it current on whichever thread calls in. When the
/// driver works but NVRTC is missing the device is still listed; compiling then throws with the reason.
/// </summary>
public sealed unsafe class CudaDevice : ComputeDevice
{
    private readonly int _device;
    private nint _context;

    private CudaDevice(int ordinal, int device, int driverVersion, string? nvrtcVersion, string? nvrtcProblem)
    {
        Ordinal = ordinal;
        _device = device;
        var name = new byte[256];
        fixed (byte* p = name) Check(cuDeviceGetName(p, name.Length, device), "cuDeviceGetName");
        Name = Encoding.UTF8.GetString(name).TrimEnd('\0');
        nuint bytes;
        Check(cuDeviceTotalMem_v2(&bytes, device), "cuDeviceTotalMem");
        GlobalMemoryBytes = (long)bytes;
        ComputeUnits = Attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxWorkGroupSize = Math.Min(Attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK), 1024);
        SharedMemoryPerBlock = Attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        ComputeCapability = (Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        DriverVersion = $"{driverVersion / 1000}.{driverVersion % 1000 / 10}";
        NvrtcVersion = nvrtcVersion;
        NvrtcProblem = nvrtcProblem;
        nint ctx;
        Check(cuDevicePrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain");
        _context = ctx;
    }

    private int Attribute(int attribute)
    {
        int v;
        Check(cuDeviceGetAttribute(&v, attribute, _device), $"cuDeviceGetAttribute({attribute})");
        return v;
    }

    /// <inheritdoc />
    public override string Name { get; }
    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.Cuda;
    /// <inheritdoc />
    public override int Ordinal { get; }
    /// <inheritdoc />
    public override long GlobalMemoryBytes { get; }
    /// <inheritdoc />
    public override int ComputeUnits { get; }
    /// <inheritdoc />
    public override int MaxWorkGroupSize { get; }
    /// <summary>Static shared memory per block in bytes.</summary>
    public int SharedMemoryPerBlock { get; }
    /// <summary>Compute capability (major, minor).</summary>
    public (int Major, int Minor) ComputeCapability { get; }
    /// <summary>CUDA driver API version, e.g. "12.4".</summary>
    public string DriverVersion { get; }
    /// <summary>NVRTC version, or null when NVRTC is missing.</summary>
    public string? NvrtcVersion { get; }
    /// <summary>Why NVRTC is unusable, or null.</summary>
    public string? NvrtcProblem { get; }

    /// <inheritdoc />
    public override string Details =>
        $"sm_{ComputeCapability.Major}{ComputeCapability.Minor}, driver {DriverVersion}, " + (NvrtcVersion is null ? "no NVRTC" : $"NVRTC {NvrtcVersion}");

    /// <summary>
    /// Opens every CUDA device. Returns an empty list and the reason when the driver library is
    /// missing, cuInit fails or no device exists; a missing NVRTC is reported as a problem beside the devices.
    /// </summary>
    public static (IReadOnlyList<CudaDevice> Devices, string? Problem) Discover()
    {
        NativeLibraries.EnsureRegistered();
        var lib = NativeLibraries.Load(NativeLibraries.Cuda);
        if (lib.Handle == 0) return ([], "CUDA driver " + lib.Error);
        try
        {
            int status = cuInit(0);
            if (status != CUDA_SUCCESS) return ([], $"cuInit failed: {Describe(status)}");
            int driver, count;
            Check(cuDriverGetVersion(&driver), "cuDriverGetVersion");
            Check(cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0) return ([], "no CUDA device (driver loaded, cuDeviceGetCount = 0)");
            var (nvrtcVersion, nvrtcProblem) = ProbeNvrtc();
            var devices = new List<CudaDevice>();
            for (int i = 0; i < count; i++)
            {
                int dev;
                Check(cuDeviceGet(&dev, i), "cuDeviceGet");
                devices.Add(new CudaDevice(i, dev, driver, nvrtcVersion, nvrtcProblem));
            }
            return (devices, nvrtcProblem is null ? null : $"kernels cannot be compiled: {nvrtcProblem}");
        }
        catch (ComputeException e)
        {
            return ([], "CUDA driver error: " + e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            return ([], $"CUDA driver {lib.Path} lacks an entry point: {e.Message}");
        }
    }

    private static (string? Version, string? Problem) ProbeNvrtc()
    {
        var lib = NativeLibraries.Load(NativeLibraries.Nvrtc);
        if (lib.Handle == 0) return (null, "NVRTC " + lib.Error + "; set FASTAD_NVRTC_LIBRARY to libnvrtc.so.*");
        try
        {
            int major, minor;
            NvrtcNative.Check(NvrtcNative.nvrtcVersion(&major, &minor), "nvrtcVersion");
            return ($"{major}.{minor} ({Path.GetFileName(lib.Path)})", null);
        }
        catch (Exception e) when (e is ComputeException or EntryPointNotFoundException)
        {
            return (null, $"NVRTC {lib.Path} unusable: {e.Message}");
        }
    }

    private void MakeCurrent() => Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");

    /// <inheritdoc />
    protected override nint AllocateCore(long bytes)
    {
        MakeCurrent();
        ulong ptr;
        Check(cuMemAlloc_v2(&ptr, (nuint)bytes), $"cuMemAlloc({bytes} bytes)");
        return (nint)ptr;
    }

    /// <inheritdoc />
    protected override void FreeCore(nint handle)
    {
        MakeCurrent();
        cuMemFree_v2((ulong)handle);
    }

    /// <inheritdoc />
    protected override void WriteCore(nint handle, long byteOffset, void* source, long bytes)
    {
        MakeCurrent();
        Check(cuMemcpyHtoD_v2((ulong)handle + (ulong)byteOffset, source, (nuint)bytes), "cuMemcpyHtoD");
    }

    /// <inheritdoc />
    protected override void ReadCore(nint handle, long byteOffset, void* destination, long bytes)
    {
        MakeCurrent();
        Check(cuMemcpyDtoH_v2(destination, (ulong)handle + (ulong)byteOffset, (nuint)bytes), "cuMemcpyDtoH");
    }

    /// <inheritdoc />
    protected override void FillZeroCore(nint handle, long bytes)
    {
        MakeCurrent();
        Check(cuMemsetD8_v2((ulong)handle, 0, (nuint)bytes), "cuMemsetD8");
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        MakeCurrent();
        Check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <inheritdoc />
    protected override KernelProgram CompileCore(string fullSource, IReadOnlyList<string> options)
    {
        if (NvrtcVersion is null) throw new ComputeException($"Cannot compile for CUDA device '{Name}': {NvrtcProblem}.");
        var all = new List<string>
        {
            $"--gpu-architecture=compute_{ComputeCapability.Major}{ComputeCapability.Minor}",
            "--std=c++14",
        };
        all.AddRange(options);
        string key = PtxCache.Key(fullSource, all, $"{Name}/sm_{ComputeCapability.Major}{ComputeCapability.Minor}/{DriverVersion}", NvrtcVersion);
        var ptx = PtxCache.GetOrCompile(key, () => CompilePtx(fullSource, all));
        MakeCurrent();
        nint module;
        int status;
        fixed (byte* p = ptx) status = cuModuleLoadData(&module, p);
        if (status == CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
            throw new ComputeException($"The CUDA driver {DriverVersion} cannot load PTX from NVRTC {NvrtcVersion}: NVRTC is newer than the driver. " +
                                       "Point FASTAD_NVRTC_LIBRARY at an NVRTC no newer than the driver.");
        Check(status, "cuModuleLoadData");
        return new CudaProgram(this, module, all);
    }

    private byte[] CompilePtx(string source, List<string> options)
    {
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var name = "fastad.cu\0"u8.ToArray();
        nint program;
        fixed (byte* s = src)
        fixed (byte* n = name)
            NvrtcNative.Check(NvrtcNative.nvrtcCreateProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram");
        try
        {
            var encoded = options.Select(o => Marshal.StringToCoTaskMemUTF8(o)).ToArray();
            int status;
            try
            {
                fixed (nint* opts = encoded) status = NvrtcNative.nvrtcCompileProgram(program, encoded.Length, (byte**)opts);
            }
            finally
            {
                foreach (var e in encoded) Marshal.FreeCoTaskMem(e);
            }
            if (status != NvrtcNative.NVRTC_SUCCESS)
                throw new KernelBuildException($"CUDA device '{Name}' (NVRTC {NvrtcVersion})", options, Log(program));
            nuint size;
            NvrtcNative.Check(NvrtcNative.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx) NvrtcNative.Check(NvrtcNative.nvrtcGetPTX(program, p), "nvrtcGetPTX");
            return ptx;
        }
        finally
        {
            NvrtcNative.nvrtcDestroyProgram(&program);
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (NvrtcNative.nvrtcGetProgramLogSize(program, &size) != 0 || size == 0) return "(no log)";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) NvrtcNative.nvrtcGetProgramLog(program, p);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    internal void Launch(nint function, LaunchGrid grid, ReadOnlySpan<KernelArg> args, string name)
    {
        MakeCurrent();
        int count = args.Length;
        ulong* values = stackalloc ulong[Math.Max(count, 1)];
        void** pointers = stackalloc void*[Math.Max(count, 1)];
        for (int i = 0; i < count; i++)
        {
            values[i] = args[i].Buffer is { } b ? (ulong)b.Handle : args[i].Bits;
            pointers[i] = &values[i];
        }
        if (grid.GroupsX > int.MaxValue || grid.GroupsY > 65535)
            throw new ArgumentOutOfRangeException(nameof(grid), $"Grid of {grid.GroupsX} x {grid.GroupsY} blocks exceeds CUDA's limits.");
        Check(cuLaunchKernel(function, (uint)grid.GroupsX, (uint)grid.GroupsY, 1, (uint)grid.LocalX, (uint)grid.LocalY, 1, 0, 0, pointers, null),
            $"cuLaunchKernel({name})");
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        if (_context == 0) return;
        cuCtxSynchronize();
        cuDevicePrimaryCtxRelease_v2(_device);
        _context = 0;
    }

    private sealed class CudaProgram(CudaDevice device, nint module, IReadOnlyList<string> options) : KernelProgram
    {
        private nint _module = module;
        public override ComputeDevice Device => device;
        public override IReadOnlyList<string> Options => options;

        protected override Kernel CreateKernelCore(string name)
        {
            device.MakeCurrent();
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            nint function;
            int status;
            fixed (byte* p = bytes) status = cuModuleGetFunction(&function, _module, p);
            if (status != CUDA_SUCCESS) throw new ComputeException($"CUDA kernel '{name}' not found in module: {Describe(status)}.");
            return new CudaKernel(device, function, name);
        }

        protected override void DisposeCore()
        {
            if (_module == 0) return;
            device.MakeCurrent();
            cuModuleUnload(_module);
            _module = 0;
        }
    }

    private sealed class CudaKernel(CudaDevice device, nint function, string name) : Kernel
    {
        public override string Name => name;
        public override ComputeDevice Device => device;
        protected override void LaunchCore(LaunchGrid grid, ReadOnlySpan<KernelArg> args) => device.Launch(function, grid, args, name);
    }
}
