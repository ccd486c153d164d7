namespace FastAD.Kernels;

/// <summary>The shape of a launch: how many work-items in each dimension and the work-group size.</summary>
/// <param name="GlobalX">Work-items needed along x (rounded up to whole groups by the device).</param>
/// <param name="GlobalY">Work-items needed along y (1 for 1-D launches).</param>
/// <param name="LocalX">Work-group size along x.</param>
/// <param name="LocalY">Work-group size along y.</param>
public readonly record struct LaunchGrid(long GlobalX, long GlobalY, int LocalX, int LocalY)
{
    /// <summary>A 1-D launch of <paramref name="n"/> work-items in groups of <paramref name="local"/>.</summary>
    public static LaunchGrid Linear(long n, int local = 256) => new(n, 1, local, 1);

    /// <summary>A 2-D launch.</summary>
    public static LaunchGrid Planar(long nx, long ny, int localX, int localY) => new(nx, ny, localX, localY);

    /// <summary>Number of groups along x.</summary>
    public long GroupsX => (GlobalX + LocalX - 1) / LocalX;

    /// <summary>Number of groups along y.</summary>
    public long GroupsY => (GlobalY + LocalY - 1) / LocalY;

    internal void Validate(ComputeDevice device)
    {
        if (GlobalX < 1 || GlobalY < 1)
            throw new ArgumentOutOfRangeException(nameof(GlobalX), $"A launch needs at least one work-item per dimension (got {GlobalX} x {GlobalY}).");
        if (LocalX < 1 || LocalY < 1 || (long)LocalX * LocalY > device.MaxWorkGroupSize)
            throw new ArgumentOutOfRangeException(nameof(LocalX),
                $"Work-group {LocalX} x {LocalY} is not within 1..{device.MaxWorkGroupSize} work-items on '{device.Id}'.");
    }
}

/// <summary>One kernel argument: a buffer or a scalar.</summary>
public readonly struct KernelArg
{
    internal readonly DeviceBuffer? Buffer;
    internal readonly ulong Bits;
    internal readonly int Size;

    private KernelArg(DeviceBuffer? buffer, ulong bits, int size)
    {
        Buffer = buffer;
        Bits = bits;
        Size = size;
    }

    /// <summary>Buffer argument.</summary>
    public static implicit operator KernelArg(DeviceBuffer buffer) => new(buffer ?? throw new ArgumentNullException(nameof(buffer)), 0, 0);
    /// <summary>32-bit signed scalar.</summary>
    public static implicit operator KernelArg(int v) => new(null, unchecked((uint)v), 4);
    /// <summary>32-bit unsigned scalar.</summary>
    public static implicit operator KernelArg(uint v) => new(null, v, 4);
    /// <summary>64-bit signed scalar.</summary>
    public static implicit operator KernelArg(long v) => new(null, unchecked((ulong)v), 8);
    /// <summary>64-bit unsigned scalar.</summary>
    public static implicit operator KernelArg(ulong v) => new(null, v, 8);
    /// <summary>Single-precision scalar.</summary>
    public static implicit operator KernelArg(float v) => new(null, BitConverter.SingleToUInt32Bits(v), 4);
    /// <summary>Double-precision scalar.</summary>
    public static implicit operator KernelArg(double v) => new(null, BitConverter.DoubleToUInt64Bits(v), 8);
}

/// <summary>A compiled program holding one or more kernels.</summary>
public abstract class KernelProgram : IDisposable
{
    private readonly Dictionary<string, Kernel> _kernels = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>The device the program was built for.</summary>
    public abstract ComputeDevice Device { get; }

    /// <summary>The compiler options used (including -D defines).</summary>
    public abstract IReadOnlyList<string> Options { get; }

    /// <summary>Returns the kernel named <paramref name="name"/> (cached).</summary>
    public Kernel GetKernel(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(name, out var k))
                _kernels[name] = k = CreateKernelCore(name);
            return k;
        }
    }

    /// <summary>Creates the backend kernel object.</summary>
    protected abstract Kernel CreateKernelCore(string name);

    /// <summary>Releases the program and its kernels.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_kernels)
        {
            foreach (var k in _kernels.Values) k.Dispose();
            _kernels.Clear();
        }
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Backend release.</summary>
    protected abstract void DisposeCore();
}

/// <summary>A kernel entry point that can be launched on its device.</summary>
public abstract class Kernel : IDisposable
{
    private bool _disposed;

    /// <summary>Kernel function name.</summary>
    public abstract string Name { get; }

    /// <summary>The device it launches on.</summary>
    public abstract ComputeDevice Device { get; }

    /// <summary>
    /// Enqueues the kernel. The grid is rounded up to whole work-groups, so kernels guard their
    /// indices. Launches are asynchronous; reading a buffer or <see cref="ComputeDevice.Synchronize"/> waits.
    /// </summary>
    public void Launch(LaunchGrid grid, params ReadOnlySpan<KernelArg> args)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        grid.Validate(Device);
        foreach (var a in args)
        {
            if (a.Buffer is null) continue;
            a.Buffer.ThrowIfDisposed();
            if (!ReferenceEquals(a.Buffer.Device, Device))
                throw new ArgumentException($"Kernel '{Name}' on '{Device.Id}' was given a buffer of '{a.Buffer.Device.Id}'.");
        }
        LaunchCore(grid, args);
    }

    /// <summary>Backend launch.</summary>
    protected abstract void LaunchCore(LaunchGrid grid, ReadOnlySpan<KernelArg> args);

    /// <summary>Releases the kernel object.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Backend release.</summary>
    protected virtual void DisposeCore() { }
}

/// <summary>A failure reported by a compute backend.</summary>
public class ComputeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ComputeException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A kernel program that failed to compile; carries the compiler's log and options.</summary>
public sealed class KernelBuildException : ComputeException
{
    /// <summary>Creates the exception.</summary>
    public KernelBuildException(string device, IReadOnlyList<string> options, string log)
        : base($"Kernel build failed on {device} with options [{string.Join(' ', options)}]:\n{log}")
    {
        Options = options;
        Log = log;
    }

    /// <summary>Compiler options.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>Compiler log.</summary>
    public string Log { get; }
}
