using System.Text;
using static FastAD.Kernels.OpenCL.OpenClNative;

namespace FastAD.Kernels.OpenCL;

/// <summary>
/// An OpenCL device (P/Invoke to the ICD loader, libOpenCL.so.1). On machines without a GPU,
/// PoCL provides a CPU device that runs the very same kernel sources.
/// </summary>
public sealed unsafe class OpenClDevice : ComputeDevice
{
    private readonly nint _device;
    private nint _context;
    private nint _queue;
    private readonly object _queueLock = new();

    private OpenClDevice(int ordinal, nint platform, nint device)
    {
        Ordinal = ordinal;
        _device = device;
        PlatformName = PlatformString(platform, CL_PLATFORM_NAME);
        Name = DeviceString(device, CL_DEVICE_NAME);
        DeviceVersion = DeviceString(device, CL_DEVICE_VERSION);
        DriverVersion = DeviceString(device, CL_DRIVER_VERSION);
        Extensions = DeviceString(device, CL_DEVICE_EXTENSIONS);
        IsGpu = (DeviceValue<ulong>(device, CL_DEVICE_TYPE) & CL_DEVICE_TYPE_GPU) != 0;
        GlobalMemoryBytes = (long)DeviceValue<ulong>(device, CL_DEVICE_GLOBAL_MEM_SIZE);
        ComputeUnits = (int)DeviceValue<uint>(device, CL_DEVICE_MAX_COMPUTE_UNITS);
        MaxWorkGroupSize = (int)Math.Min(DeviceValue<nuint>(device, CL_DEVICE_MAX_WORK_GROUP_SIZE), 1024u);
        LocalMemoryBytes = (long)DeviceValue<ulong>(device, CL_DEVICE_LOCAL_MEM_SIZE);
        int err;
        nint dev = device;
        _context = clCreateContext(null, 1, &dev, 0, 0, &err);
        Check(err, "clCreateContext");
        _queue = clCreateCommandQueue(_context, device, 0, &err);
        if (err != CL_SUCCESS)
        {
            clReleaseContext(_context);
            Check(err, "clCreateCommandQueue");
        }
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.OpenCL;

    /// <inheritdoc />
    public override int Ordinal { get; }

    /// <inheritdoc />
    public override long GlobalMemoryBytes { get; }

    /// <inheritdoc />
    public override int ComputeUnits { get; }

    /// <inheritdoc />
    public override int MaxWorkGroupSize { get; }

    /// <summary>Local (shared) memory per work-group in bytes.</summary>
    public long LocalMemoryBytes { get; }

    /// <summary>The OpenCL platform (e.g. "Portable Computing Language").</summary>
    public string PlatformName { get; }

    /// <summary>CL_DEVICE_VERSION.</summary>
    public string DeviceVersion { get; }

    /// <summary>CL_DRIVER_VERSION.</summary>
    public string DriverVersion { get; }

    /// <summary>CL_DEVICE_EXTENSIONS.</summary>
    public string Extensions { get; }

    /// <summary>True for GPU devices (device choice prefers them).</summary>
    public bool IsGpu { get; }

    /// <inheritdoc />
    public override string Details =>
        $"{(IsGpu ? "GPU" : "CPU/other")}, {PlatformName}, {string.Join(' ', DeviceVersion.Split(' ').Take(2))}, driver {DriverVersion}";

    /// <summary>
    /// Opens every OpenCL device of every platform, numbered in platform order.
    /// Returns an empty list and the reason when OpenCL is unavailable.
    /// </summary>
    public static (IReadOnlyList<OpenClDevice> Devices, string? Problem) Discover()
    {
        NativeLibraries.EnsureRegistered();
        var lib = NativeLibraries.Load(NativeLibraries.OpenCL);
        if (lib.Handle == 0) return ([], "OpenCL " + lib.Error);
        try
        {
            uint n;
            int status = clGetPlatformIDs(0, null, &n);
            if (status == CL_PLATFORM_NOT_FOUND_KHR || (status == CL_SUCCESS && n == 0))
                return ([], $"no OpenCL platform: the ICD loader ({lib.Path}) found no installed driver (on Debian: apt-get install pocl-opencl-icd)");
            Check(status, "clGetPlatformIDs");
            var platforms = new nint[n];
            fixed (nint* p = platforms) Check(clGetPlatformIDs(n, p, null), "clGetPlatformIDs");
            var devices = new List<OpenClDevice>();
            var problems = new List<string>();
            foreach (var platform in platforms)
            {
                uint count;
                status = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, &count);
                if (status == CL_DEVICE_NOT_FOUND || count == 0) continue;
                if (status != CL_SUCCESS)
                {
                    problems.Add($"platform {PlatformString(platform, CL_PLATFORM_NAME)}: {ErrorName(status)}");
                    continue;
                }
                var ids = new nint[count];
                fixed (nint* p = ids) Check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, p, null), "clGetDeviceIDs");
                foreach (var id in ids)
                {
                    try { devices.Add(new OpenClDevice(devices.Count, platform, id)); }
                    catch (ComputeException e) { problems.Add(e.Message); }
                }
            }
            string? problem = devices.Count == 0
                ? (problems.Count > 0 ? string.Join("; ", problems) : "OpenCL platforms found but they expose no device")
                : (problems.Count > 0 ? string.Join("; ", problems) : null);
            return (devices, problem);
        }
        catch (ComputeException e)
        {
            return ([], "OpenCL driver error: " + e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            return ([], $"OpenCL library {lib.Path} lacks an OpenCL 1.2 entry point: {e.Message}");
        }
    }

    /// <inheritdoc />
    protected override nint AllocateCore(long bytes)
    {
        int err;
        nint mem = clCreateBuffer(_context, CL_MEM_READ_WRITE, (nuint)bytes, null, &err);
        Check(err, $"clCreateBuffer({bytes} bytes)");
        return mem;
    }

    /// <inheritdoc />
    protected override void FreeCore(nint handle) => clReleaseMemObject(handle);

    /// <inheritdoc />
    protected override void WriteCore(nint handle, long byteOffset, void* source, long bytes)
    {
        lock (_queueLock)
            Check(clEnqueueWriteBuffer(_queue, handle, CL_TRUE, (nuint)byteOffset, (nuint)bytes, source, 0, null, null), "clEnqueueWriteBuffer");
    }

    /// <inheritdoc />
    protected override void ReadCore(nint handle, long byteOffset, void* destination, long bytes)
    {
        lock (_queueLock)
            Check(clEnqueueReadBuffer(_queue, handle, CL_TRUE, (nuint)byteOffset, (nuint)bytes, destination, 0, null, null), "clEnqueueReadBuffer");
    }

    /// <inheritdoc />
    protected override void FillZeroCore(nint handle, long bytes)
    {
        byte zero = 0;
        lock (_queueLock)
            Check(clEnqueueFillBuffer(_queue, handle, &zero, 1, 0, (nuint)bytes, 0, null, null), "clEnqueueFillBuffer");
    }

    /// <inheritdoc />
    protected override void SynchronizeCore()
    {
        lock (_queueLock) Check(clFinish(_queue), "clFinish");
    }

    /// <inheritdoc />
    protected override KernelProgram CompileCore(string fullSource, IReadOnlyList<string> options)
    {
        var src = Encoding.UTF8.GetBytes(fullSource);
        var opts = Encoding.UTF8.GetBytes(string.Join(' ', options) + "\0");
        int err;
        nint program;
        fixed (byte* s = src)
        {
            byte* sp = s;
            nuint len = (nuint)src.Length;
            program = clCreateProgramWithSource(_context, 1, &sp, &len, &err);
        }
        Check(err, "clCreateProgramWithSource");
        int status;
        nint dev = _device;
        fixed (byte* o = opts) status = clBuildProgram(program, 1, &dev, o, 0, 0);
        if (status != CL_SUCCESS)
        {
            string log = BuildLog(program);
            clReleaseProgram(program);
            throw new KernelBuildException($"OpenCL device '{Name}' ({ErrorName(status)})", options, log);
        }
        return new OpenClProgram(this, program, options);
    }

    private string BuildLog(nint program)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, _device, CL_PROGRAM_BUILD_LOG, 0, null, &size) != CL_SUCCESS) return "(no build log)";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) clGetProgramBuildInfo(program, _device, CL_PROGRAM_BUILD_LOG, size, p, null);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    internal void Enqueue(nint kernel, LaunchGrid grid, ReadOnlySpan<KernelArg> args, string name)
    {
        nuint* global = stackalloc nuint[2];
        nuint* local = stackalloc nuint[2];
        global[0] = (nuint)(grid.GroupsX * grid.LocalX);
        global[1] = (nuint)(grid.GroupsY * grid.LocalY);
        local[0] = (nuint)grid.LocalX;
        local[1] = (nuint)grid.LocalY;
        uint dims = grid.GlobalY == 1 && grid.LocalY == 1 ? 1u : 2u;
        // clSetKernelArg mutates the kernel object: argument setting and enqueue are one critical section.
        lock (_queueLock)
        {
            for (int i = 0; i < args.Length; i++)
            {
                var a = args[i];
                int st;
                if (a.Buffer is not null)
                {
                    nint h = a.Buffer.Handle;
                    st = clSetKernelArg(kernel, (uint)i, (nuint)sizeof(nint), h == 0 ? null : &h);
                }
                else
                {
                    ulong bits = a.Bits;
                    st = clSetKernelArg(kernel, (uint)i, (nuint)a.Size, &bits);
                }
                Check(st, $"clSetKernelArg({name}, argument {i})");
            }
            Check(clEnqueueNDRangeKernel(_queue, kernel, dims, null, global, local, 0, null, null), $"clEnqueueNDRangeKernel({name})");
        }
    }

    /// <inheritdoc />
    protected override void DisposeCore()
    {
        if (_queue != 0) { clFinish(_queue); clReleaseCommandQueue(_queue); _queue = 0; }
        if (_context != 0) { clReleaseContext(_context); _context = 0; }
    }

    private sealed class OpenClProgram(OpenClDevice device, nint handle, IReadOnlyList<string> options) : KernelProgram
    {
        private nint _handle = handle;
        public override ComputeDevice Device => device;
        public override IReadOnlyList<string> Options => options;

        protected override Kernel CreateKernelCore(string name)
        {
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            int err;
            nint k;
            fixed (byte* p = bytes) k = clCreateKernel(_handle, p, &err);
            if (err != CL_SUCCESS) throw new ComputeException($"OpenCL kernel '{name}' not found in program: {ErrorName(err)}.");
            return new OpenClKernel(device, k, name);
        }

        protected override void DisposeCore()
        {
            if (_handle != 0) { clReleaseProgram(_handle); _handle = 0; }
        }
    }

    private sealed class OpenClKernel(OpenClDevice device, nint handle, string name) : Kernel
    {
        private nint _handle = handle;
        public override string Name => name;
        public override ComputeDevice Device => device;
        protected override void LaunchCore(LaunchGrid grid, ReadOnlySpan<KernelArg> args) => device.Enqueue(_handle, grid, args, name);

        protected override void DisposeCore()
        {
            if (_handle != 0) { clReleaseKernel(_handle); _handle = 0; }
        }
    }
}
