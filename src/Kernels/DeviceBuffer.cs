namespace FastAD.Kernels;

/// <summary>Untyped view of a device buffer, used to pass buffers as kernel arguments.</summary>
public abstract class DeviceBuffer : IDisposable
{
    private protected DeviceBuffer(ComputeDevice device, nint handle, long length)
    {
        Device = device;
        Handle = handle;
        Length = length;
    }

    /// <summary>The device owning the memory.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Backend handle: a host pointer (CPU), a cl_mem (OpenCL) or a CUdeviceptr (CUDA).</summary>
    public nint Handle { get; private set; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size of one element in bytes.</summary>
    public abstract int ElementSize { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Releases the device memory now.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Device.Free(Handle, Length * ElementSize);
        Handle = 0;
        GC.SuppressFinalize(this);
    }
}

/// <summary>A typed buffer of <typeparamref name="T"/> living on a <see cref="ComputeDevice"/>.</summary>
public sealed class DeviceBuffer<T> : DeviceBuffer where T : unmanaged
{
    internal DeviceBuffer(ComputeDevice device, nint handle, long length) : base(device, handle, length) { }

    /// <inheritdoc />
    public override unsafe int ElementSize => sizeof(T);

    /// <summary>
    /// The memory as a span; only for buffers of the managed CPU device, whose memory is host memory.
    /// </summary>
    public unsafe Span<T> AsSpan()
    {
        ThrowIfDisposed();
        if (Device.Kind != DeviceKind.Cpu)
            throw new InvalidOperationException($"Buffer lives on '{Device.Id}'; only CPU buffers can be viewed as spans.");
        return new Span<T>((void*)Handle, checked((int)Length));
    }
}
