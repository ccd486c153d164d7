using System.Collections.Concurrent;

namespace FastAD.Kernels;

/// <summary>The family of a compute device.</summary>
public enum DeviceKind
{
    /// <summary>Managed code on the host CPU (SIMD + Parallel.For); always available.</summary>
    Cpu,
    /// <summary>An OpenCL device reached through the ICD loader (a GPU, or PoCL on a CPU).</summary>
    OpenCL,
    /// <summary>An NVIDIA GPU through the CUDA driver API and NVRTC.</summary>
    Cuda,
}

/// <summary>
/// A place where FastAD computes: buffers live on it, kernels are compiled for it and launched on it.
/// Public members validate their arguments and delegate to the protected <c>...Core</c> members that
/// each backend implements.
/// </summary>
public abstract class ComputeDevice : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<KernelProgram>> _programs = new();
    private long _liveBuffers;
    private long _liveBufferBytes;
    private bool _disposed;

    /// <summary>Human-readable device name as the driver reports it.</summary>
    public abstract string Name { get; }

    /// <summary>Backend family.</summary>
    public abstract DeviceKind Kind { get; }

    /// <summary>Index of the device within its backend (the N in <c>opencl:N</c>).</summary>
    public abstract int Ordinal { get; }

    /// <summary>Global memory in bytes (host RAM for the CPU device).</summary>
    public abstract long GlobalMemoryBytes { get; }

    /// <summary>Compute units (cores for the CPU, SMs for CUDA, compute units for OpenCL).</summary>
    public abstract int ComputeUnits { get; }

    /// <summary>Largest work-group (block) size the device accepts.</summary>
    public abstract int MaxWorkGroupSize { get; }

    /// <summary>Extra details for listings (driver version, platform, compute capability...).</summary>
    public virtual string Details => "";

    /// <summary>The identifier accepted by <c>--device</c>, e.g. <c>cpu</c>, <c>opencl:0</c>, <c>cuda:0</c>.</summary>
    public string Id => Kind == DeviceKind.Cpu ? "cpu" : $"{Kind.ToString().ToLowerInvariant()}:{Ordinal}";

    /// <summary>True when kernels can be compiled and launched (every backend but the managed CPU).</summary>
    public bool SupportsKernels => Kind != DeviceKind.Cpu;

    /// <summary>Buffers allocated on this device and not yet disposed (for leak checks).</summary>
    public long LiveBufferCount => Interlocked.Read(ref _liveBuffers);

    /// <summary>Bytes held by live buffers.</summary>
    public long LiveBufferBytes => Interlocked.Read(ref _liveBufferBytes);

    /// <summary>Allocates an uninitialised buffer of <paramref name="length"/> elements.</summary>
    public unsafe DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = checked(length * sizeof(T));
        nint handle = bytes == 0 ? 0 : AllocateCore(bytes);
        Interlocked.Increment(ref _liveBuffers);
        Interlocked.Add(ref _liveBufferBytes, bytes);
        return new DeviceBuffer<T>(this, handle, length);
    }

    /// <summary>Allocates a buffer and fills it with zero bytes.</summary>
    public unsafe DeviceBuffer<T> AllocateZeroed<T>(long length) where T : unmanaged
    {
        var buffer = Allocate<T>(length);
        if (length > 0) FillZeroCore(buffer.Handle, length * sizeof(T));
        return buffer;
    }

    /// <summary>Allocates a buffer holding a copy of <paramref name="data"/>.</summary>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var buffer = Allocate<T>(data.Length);
        try
        {
            Write(buffer, data);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        return buffer;
    }

    /// <summary>Copies <paramref name="source"/> into the buffer starting at element <paramref name="offset"/>.</summary>
    public unsafe void Write<T>(DeviceBuffer<T> destination, ReadOnlySpan<T> source, long offset = 0) where T : unmanaged
    {
        CheckBuffer(destination, nameof(destination));
        CheckRange(destination.Length, offset, source.Length);
        if (source.IsEmpty) return;
        fixed (T* p = source)
            WriteCore(destination.Handle, offset * sizeof(T), p, (long)source.Length * sizeof(T));
    }

    /// <summary>Copies elements starting at <paramref name="offset"/> of the buffer into <paramref name="destination"/>.</summary>
    public unsafe void Read<T>(DeviceBuffer<T> source, Span<T> destination, long offset = 0) where T : unmanaged
    {
        CheckBuffer(source, nameof(source));
        CheckRange(source.Length, offset, destination.Length);
        if (destination.IsEmpty) return;
        fixed (T* p = destination)
            ReadCore(source.Handle, offset * sizeof(T), p, (long)destination.Length * sizeof(T));
    }

    /// <summary>Copies the whole buffer back to a new array.</summary>
    public T[] Download<T>(DeviceBuffer<T> source) where T : unmanaged
    {
        var result = new T[checked((int)source.Length)];
        Read(source, result);
        return result;
    }

    /// <summary>Sets every byte of the buffer to zero.</summary>
    public unsafe void Clear<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        CheckBuffer(buffer, nameof(buffer));
        if (buffer.Length > 0) FillZeroCore(buffer.Handle, buffer.Length * sizeof(T));
    }

    /// <summary>Waits until every queued operation on this device has finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>
    /// Compiles a program written in FastAD's common kernel dialect (see <see cref="KernelSources"/>):
    /// the backend's prelude is prepended and each define becomes a <c>-D NAME=VALUE</c> option.
    /// A failed build throws <see cref="KernelBuildException"/> carrying the compiler's log and options.
    /// </summary>
    public KernelProgram Compile(string source, IReadOnlyDictionary<string, string>? defines = null)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(source);
        if (!SupportsKernels)
            throw new NotSupportedException($"Device '{Id}' runs managed code only; kernels need an OpenCL or CUDA device.");
        var options = new List<string>();
        if (defines is not null)
        {
            foreach (var (name, value) in defines.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_')))
                    throw new ArgumentException($"Invalid kernel define name '{name}'.", nameof(defines));
                options.Add(string.IsNullOrEmpty(value) ? $"-D{name}" : $"-D{name}={value}");
            }
        }
        return CompileCore(KernelSources.Prelude(Kind) + source, options);
    }

    /// <summary>
    /// Compiles (once per device and define set) one of the embedded kernel sources, such as
    /// <c>histogram.cl</c>, and caches the program for the lifetime of the device.
    /// </summary>
    public KernelProgram GetProgram(string resourceName, IReadOnlyDictionary<string, string>? defines = null)
        => GetProgram(typeof(ComputeDevice).Assembly, resourceName, defines);

    /// <summary>As <see cref="GetProgram(string, IReadOnlyDictionary{string, string}?)"/> for a source embedded in another engine's assembly.</summary>
    public KernelProgram GetProgram(System.Reflection.Assembly assembly, string resourceName, IReadOnlyDictionary<string, string>? defines = null)
    {
        ThrowIfDisposed();
        string key = assembly.GetName().Name + "/" + resourceName + "|" + (defines is null ? "" :
            string.Join(";", defines.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Key + "=" + d.Value)));
        var lazy = _programs.GetOrAdd(key, _ => new Lazy<KernelProgram>(
            () => Compile(KernelSources.Get(assembly, resourceName), defines), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _programs.TryRemove(key, out _);
            throw;
        }
    }

    internal void Free(nint handle, long bytes)
    {
        Interlocked.Decrement(ref _liveBuffers);
        Interlocked.Add(ref _liveBufferBytes, -bytes);
        if (handle != 0 && !_disposed) FreeCore(handle);
    }

    /// <summary>Allocates device memory and returns its handle (pointer, cl_mem or CUdeviceptr).</summary>
    protected abstract nint AllocateCore(long bytes);

    /// <summary>Releases memory from <see cref="AllocateCore"/>.</summary>
    protected abstract void FreeCore(nint handle);

    /// <summary>Host to device copy.</summary>
    protected abstract unsafe void WriteCore(nint handle, long byteOffset, void* source, long bytes);

    /// <summary>Device to host copy.</summary>
    protected abstract unsafe void ReadCore(nint handle, long byteOffset, void* destination, long bytes);

    /// <summary>Zero fill.</summary>
    protected abstract void FillZeroCore(nint handle, long bytes);

    /// <summary>Blocks until queued work is done.</summary>
    protected abstract void SynchronizeCore();

    /// <summary>Builds a full source (prelude included) with the given compiler options.</summary>
    protected virtual KernelProgram CompileCore(string fullSource, IReadOnlyList<string> options)
        => throw new NotSupportedException($"Device '{Id}' cannot compile kernels.");

    /// <summary>Throws if the device has been disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void CheckBuffer<T>(DeviceBuffer<T> buffer, string name) where T : unmanaged
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (!ReferenceEquals(buffer.Device, this))
            throw new ArgumentException($"Buffer belongs to device '{buffer.Device.Id}', not '{Id}'.", name);
        buffer.ThrowIfDisposed();
    }

    private static void CheckRange(long length, long offset, long count)
    {
        if (offset < 0 || offset + count > length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range [{offset}, {offset + count}) lies outside a buffer of {length} elements.");
    }

    /// <summary>Releases programs and the backend's native context.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        foreach (var p in _programs.Values)
            if (p.IsValueCreated) p.Value.Dispose();
        _programs.Clear();
        DisposeCore();
        _disposed = true;
        GC.SuppressFinalize(this);
    }

    /// <summary>Backend-specific release of the native context.</summary>
    protected virtual void DisposeCore() { }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Name})";
}
