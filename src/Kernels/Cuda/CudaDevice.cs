using System.Runtime.InteropServices;
using System.Text;
using static FastAD.Kernels.Cuda.CudaNative;

namespace FastAD.Kernels.Cuda;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API (P/Invoke to libcuda.so.1 / nvcuda.dll). Kernels are
/// compiled at run time by NVRTC to PTX for the device's compute capability (cached on disk, see
/// <see cref="PtxCache"/>) and loaded with the driver's JIT. The device works in its primary context,
/// which every entry point makes current on the calling thread first, since .NET may run calls on any
/// thread-pool thread. Copies are synchronous; launches go to the default stream in order.
/// <para>
/// A GPU is only listed when NVRTC is usable too: every non-CPU device promises to compile kernels
/// (<see cref="ComputeDevice.SupportsKernels"/>), so without NVRTC <see cref="Discover"/> lists no device
/// and its problem names the GPUs found and the NVRTC files tried.
/// </para>
/// </summary>
public sealed unsafe class CudaDevice : ComputeDevice
{
    private readonly int _device;
    private readonly int _arch;
    private nint _context;

    private CudaDevice(int ordinal, int device, int driverVersion, Nvrtc nvrtc)
    {
        Ordinal = ordinal;
        _device = device;
        Name = DeviceName(device);
        nuint bytes;
        Check(cuDeviceTotalMem_v2(&bytes, device), "cuDeviceTotalMem");
        GlobalMemoryBytes = (long)bytes;
        ComputeUnits = Attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxWorkGroupSize = Math.Min(Attribute(device, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK), 1024);
        SharedMemoryPerBlock = Attribute(device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        ComputeCapability = (Attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), Attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        DriverVersion = $"{driverVersion / 1000}.{driverVersion % 1000 / 10}";
        NvrtcVersion = nvrtc.Version;
        NvrtcLibrary = nvrtc.Path;
        _arch = TargetArch(ComputeCapability.Major * 10 + ComputeCapability.Minor, nvrtc.Archs, Name, nvrtc.Version);
        nint ctx;
        Check(cuDevicePrimaryCtxRetain(&ctx, device), $"cuDevicePrimaryCtxRetain({Name})");
        _context = ctx;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.Cuda;

    /// <inheritdoc />
    public override int Ordinal { get; }

    /// <inheritdoc />
    public override long GlobalMemoryBytes { get; }

    /// <summary>Streaming multiprocessors (SMs).</summary>
    public override int ComputeUnits { get; }

    /// <summary>Maximum threads per block, capped at 1024.</summary>
    public override int MaxWorkGroupSize { get; }

    /// <summary>Static shared memory per block in bytes.</summary>
    public int SharedMemoryPerBlock { get; }

    /// <summary>Compute capability (major, minor), e.g. (9, 0) for an H100.</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>The CUDA version the driver supports, e.g. "12.4" (from cuDriverGetVersion).</summary>
    public string DriverVersion { get; }

    /// <summary>The NVRTC version, e.g. "12.4".</summary>
    public string NvrtcVersion { get; }

    /// <summary>The NVRTC library file that loaded.</summary>
    public string NvrtcLibrary { get; }

    /// <summary>
    /// The virtual architecture kernels are compiled for, e.g. <c>compute_90</c>: the device's compute
    /// capability, or the newest one NVRTC knows below it when NVRTC is older than the GPU.
    /// </summary>
    public string TargetArchitecture => $"compute_{_arch}";

    /// <inheritdoc />
    public override string Details =>
        $"compute capability {ComputeCapability.Major}.{ComputeCapability.Minor}, CUDA driver {DriverVersion}, NVRTC {NvrtcVersion}" +
        (_arch != ComputeCapability.Major * 10 + ComputeCapability.Minor ? $" (targets {TargetArchitecture})" : "");

    /// <summary>
    /// Opens every CUDA device. Returns an empty list and the reason when the driver library is missing,
    /// <c>cuInit</c> fails, no device exists or NVRTC is missing; never throws for a missing backend.
    /// A device that fails to open is left out and its error joins the problem.
    /// </summary>
    public static (IReadOnlyList<CudaDevice> Devices, string? Problem) Discover()
    {
        NativeLibraries.EnsureRegistered();
        var lib = NativeLibraries.Load(NativeLibraries.Cuda);
        if (lib.Handle == 0) return ([], "CUDA driver " + lib.Error);
        try
        {
            int status = cuInit(0);
            if (status != CUDA_SUCCESS) return ([], $"cuInit failed: {Describe(status)} (driver {lib.Path})");
            int driver, count;
            Check(cuDriverGetVersion(&driver), "cuDriverGetVersion");
            Check(cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0) return ([], $"no CUDA device (driver {lib.Path} reports none)");
            var nvrtc = Nvrtc.Probe();
            if (nvrtc.Problem is not null)
            {
                var names = new List<string>();
                for (int i = 0; i < count; i++)
                {
                    int dev;
                    if (cuDeviceGet(&dev, i) == CUDA_SUCCESS) names.Add(DeviceName(dev));
                }
                return ([], $"{nvrtc.Problem}; without it the CUDA device{(count == 1 ? "" : "s")} " +
                            $"({string.Join(", ", names.Select(n => "'" + n + "'"))}) cannot compile kernels and {(count == 1 ? "is" : "are")} not listed " +
                            "(install NVRTC from the CUDA toolkit or the nvidia-cuda-nvrtc wheel, or set FASTAD_NVRTC_LIBRARY to its libnvrtc file)");
            }
            var devices = new List<CudaDevice>();
            var problems = new List<string>();
            for (int i = 0; i < count; i++)
            {
                try
                {
                    int dev;
                    Check(cuDeviceGet(&dev, i), $"cuDeviceGet({i})");
                    devices.Add(new CudaDevice(devices.Count, dev, driver, nvrtc));
                }
                catch (ComputeException e) { problems.Add($"CUDA device {i}: {e.Message}"); }
            }
            string? problem = problems.Count > 0 ? string.Join("; ", problems) : null;
            return (devices, problem);
        }
        catch (ComputeException e)
        {
            return ([], "CUDA driver error: " + e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            return ([], $"CUDA driver {lib.Path} lacks a driver API entry point (driver too old?): {e.Message}");
        }
    }

    private static string DeviceName(int device)
    {
        var name = new byte[256];
        fixed (byte* p = name) Check(cuDeviceGetName(p, name.Length, device), "cuDeviceGetName");
        int end = Array.IndexOf(name, (byte)0);
        return Encoding.UTF8.GetString(name, 0, end < 0 ? name.Length : end).Trim();
    }

    private static int Attribute(int device, int attribute)
    {
        int v;
        Check(cuDeviceGetAttribute(&v, attribute, device), $"cuDeviceGetAttribute({attribute})");
        return v;
    }

    /// <summary>The device's architecture if NVRTC knows it, else the newest NVRTC knows below it (PTX is forward compatible).</summary>
    private static int TargetArch(int device, int[]? supported, string name, string nvrtcVersion)
    {
        if (supported is null || supported.Length == 0 || supported.Contains(device)) return device;
        var below = supported.Where(a => a <= device).ToArray();
        if (below.Length > 0) return below.Max();
        throw new ComputeException($"NVRTC {nvrtcVersion} targets compute_{supported.Min()} to compute_{supported.Max()}, " +
                                   $"but '{name}' has compute capability {device / 10}.{device % 10}; use an older NVRTC (FASTAD_NVRTC_LIBRARY).");
    }

    /// <summary>What NVRTC offers on this machine, probed once per process.</summary>
    private sealed record Nvrtc(string Version, string Path, int[]? Archs, string? Problem)
    {
        private static readonly Lazy<Nvrtc> Instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

        internal static Nvrtc Probe() => Instance.Value;

        private static Nvrtc Load()
        {
            var lib = NativeLibraries.Load(NativeLibraries.Nvrtc);
            if (lib.Handle == 0)
            {
                const string prefix = "library ";
                string error = lib.Error.StartsWith(prefix, StringComparison.Ordinal) ? lib.Error[prefix.Length..] : lib.Error;
                return new("", "", null, "NVRTC " + error);
            }
            try
            {
                int major, minor;
                NvrtcNative.Check(NvrtcNative.nvrtcVersion(&major, &minor), "nvrtcVersion");
                return new($"{major}.{minor}", lib.Path ?? "", NvrtcNative.SupportedArchs(), null);
            }
            catch (Exception e) when (e is ComputeException or EntryPointNotFoundException)
            {
                return new("", lib.Path ?? "", null, $"NVRTC {lib.Path} is unusable: {e.Message}");
            }
        }
    }

    private void MakeCurrent()
    {
        ThrowIfDisposed();
        Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

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
        if (_context == 0) return;
        // Freeing must not throw (it runs from Dispose); an error here is a leak at worst.
        if (cuCtxSetCurrent(_context) == CUDA_SUCCESS) cuMemFree_v2((ulong)handle);
    }

    /// <inheritdoc />
    protected override void WriteCore(nint handle, long byteOffset, void* source, long bytes)
    {
        MakeCurrent();
        Check(cuMemcpyHtoD_v2((ulong)handle + (ulong)byteOffset, source, (nuint)bytes), $"cuMemcpyHtoD({bytes} bytes)");
    }

    /// <inheritdoc />
    protected override void ReadCore(nint handle, long byteOffset, void* destination, long bytes)
    {
        MakeCurrent();
        Check(cuMemcpyDtoH_v2(destination, (ulong)handle + (ulong)byteOffset, (nuint)bytes), $"cuMemcpyDtoH({bytes} bytes)");
    }

    /// <inheritdoc />
    protected override void FillZeroCore(nint handle, long bytes)
    {
        MakeCurrent();
        Check(cuMemsetD8_v2((ulong)handle, 0, (nuint)bytes), $"cuMemsetD8({bytes} bytes)");
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        MakeCurrent();
        Check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>
    /// Compiles with NVRTC (<c>--gpu-architecture=compute_XY --std=c++14</c> and the defines) to PTX,
    /// served from the disk cache when the same source, options, device and NVRTC were seen before,
    /// and loads it as a module. A cached entry the driver refuses is dropped and compiled afresh.
    /// </summary>
    protected override KernelProgram CompileCore(string fullSource, IReadOnlyList<string> options)
    {
        var all = new List<string> { $"--gpu-architecture={TargetArchitecture}", "--std=c++14" };
        all.AddRange(options);
        string key = PtxCache.Key(fullSource, all, Name, ComputeCapability, NvrtcVersion);
        var ptx = PtxCache.GetOrCompile(key, () => CompilePtx(fullSource, all), out bool fromCache);
        MakeCurrent();
        int status = LoadModule(ptx, out nint module, out string jitLog);
        if (status != CUDA_SUCCESS && fromCache)
        {
            PtxCache.Invalidate(key);
            ptx = PtxCache.GetOrCompile(key, () => CompilePtx(fullSource, all), out _);
            status = LoadModule(ptx, out module, out jitLog);
        }
        if (status == CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
            throw new ComputeException(
                $"CUDA driver {DriverVersion} cannot load the PTX that NVRTC {NvrtcVersion} ({NvrtcLibrary}) produced for '{Name}': " +
                $"{Describe(status)}. NVRTC is newer than the driver; update the NVIDIA driver, or set FASTAD_NVRTC_LIBRARY " +
                $"to an NVRTC no newer than CUDA {DriverVersion}.{(jitLog.Length > 0 ? "\n" + jitLog : "")}");
        if (status != CUDA_SUCCESS)
            throw new ComputeException($"CUDA cuModuleLoadDataEx failed on '{Name}': {Describe(status)}.{(jitLog.Length > 0 ? "\n" + jitLog : "")}");
        return new CudaProgram(this, module, all);
    }

    private static int LoadModule(byte[] ptx, out nint module, out string log)
    {
        const int logSize = 16 * 1024;
        var buffer = new byte[logSize];
        int* keys = stackalloc int[2];
        void** values = stackalloc void*[2];
        nint m = 0;
        int status;
        fixed (byte* image = ptx)
        fixed (byte* b = buffer)
        {
            keys[0] = CU_JIT_ERROR_LOG_BUFFER;
            values[0] = b;
            keys[1] = CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES;
            values[1] = (void*)(nuint)logSize;
            status = cuModuleLoadDataEx(&m, image, 2, keys, values);
        }
        module = m;
        int end = Array.IndexOf(buffer, (byte)0);
        log = Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end).Trim();
        return status;
    }

    private byte[] CompilePtx(string source, IReadOnlyList<string> options)
    {
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var name = "fastad.cu\0"u8.ToArray();
        nint program;
        fixed (byte* s = src)
        fixed (byte* n = name)
            NvrtcNative.Check(NvrtcNative.nvrtcCreateProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram");
        try
        {
            var encoded = new nint[options.Count];
            int status;
            try
            {
                for (int i = 0; i < encoded.Length; i++) encoded[i] = Marshal.StringToCoTaskMemUTF8(options[i]);
                fixed (nint* opts = encoded) status = NvrtcNative.nvrtcCompileProgram(program, encoded.Length, (byte**)opts);
            }
            finally
            {
                foreach (var e in encoded) if (e != 0) Marshal.FreeCoTaskMem(e);
            }
            if (status != NvrtcNative.NVRTC_SUCCESS)
            {
                string log = ProgramLog(program);
                if (status != NvrtcNative.NVRTC_ERROR_COMPILATION || log.Length == 0)
                    log = $"{NvrtcNative.ErrorString(status)} ({status}){(log.Length > 0 ? "\n" + log : "")}";
                throw new KernelBuildException($"CUDA device '{Name}' ({TargetArchitecture}, NVRTC {NvrtcVersion})", options, log);
            }
            nuint size;
            NvrtcNative.Check(NvrtcNative.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx) NvrtcNative.Check(NvrtcNative.nvrtcGetPTX(program, p), "nvrtcGetPTX");
            if (ptx.Length == 0 || ptx[^1] != 0) Array.Resize(ref ptx, ptx.Length + 1);
            return ptx;
        }
        finally
        {
            NvrtcNative.nvrtcDestroyProgram(&program);
        }
    }

    private static string ProgramLog(nint program)
    {
        nuint size;
        if (NvrtcNative.nvrtcGetProgramLogSize(program, &size) != NvrtcNative.NVRTC_SUCCESS || size <= 1) return "";
        var buf = new byte[(int)size];
        fixed (byte* p = buf)
            if (NvrtcNative.nvrtcGetProgramLog(program, p) != NvrtcNative.NVRTC_SUCCESS) return "";
        return Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }

    internal void Launch(nint function, LaunchGrid grid, ReadOnlySpan<KernelArg> args, string name)
    {
        if (grid.GroupsX > int.MaxValue || grid.GroupsY > 65535)
            throw new ArgumentOutOfRangeException(nameof(grid),
                $"Kernel '{name}': a grid of {grid.GroupsX} x {grid.GroupsY} blocks exceeds CUDA's limits (2^31-1 x 65535).");
        MakeCurrent();
        int count = args.Length;
        // One 8-byte slot per argument: the device pointer of a buffer, or a scalar's little-endian bits
        // (the driver reads the parameter's own size, 4 or 8 bytes, from the slot's start).
        ulong* values = stackalloc ulong[Math.Max(count, 1)];
        void** pointers = stackalloc void*[Math.Max(count, 1)];
        for (int i = 0; i < count; i++)
        {
            var a = args[i];
            values[i] = a.Buffer is { } b ? (ulong)b.Handle : a.Bits;
            pointers[i] = &values[i];
        }
        Check(cuLaunchKernel(function, (uint)grid.GroupsX, (uint)grid.GroupsY, 1, (uint)grid.LocalX, (uint)grid.LocalY, 1, 0, 0, pointers, null),
            $"cuLaunchKernel({name}, {grid.GroupsX}x{grid.GroupsY} blocks of {grid.LocalX}x{grid.LocalY})");
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        if (_context == 0) return;
        if (cuCtxSetCurrent(_context) == CUDA_SUCCESS) cuCtxSynchronize();
        cuDevicePrimaryCtxRelease_v2(_device);
        cuCtxSetCurrent(0);
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
            if (status != CUDA_SUCCESS)
                throw new ComputeException($"CUDA kernel '{name}' not found in module: {Describe(status)} (kernels must be declared KERNEL, i.e. extern \"C\" __global__).");
            return new CudaKernel(device, function, name);
        }

        protected override void DisposeCore()
        {
            if (_module == 0) return;
            // A module of a context already released went with it.
            if (device._context != 0 && cuCtxSetCurrent(device._context) == CUDA_SUCCESS) cuModuleUnload(_module);
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
