using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastAD.Kernels.Cpu;

/// <summary>
/// The managed CPU device: buffers are 64-byte aligned host memory and the primitives run as
/// SIMD managed code (System.Numerics.Tensors, Vector256/Vector512) with Parallel.For.
/// Always available; the laptop fallback and the reference the other backends are tested against.
/// </summary>
public sealed class CpuDevice : ComputeDevice
{
    /// <summary>The process-wide instance (the CPU has no state worth duplicating).</summary>
    public static CpuDevice Instance { get; } = new();

    /// <summary>Creates a CPU device (most callers use <see cref="Instance"/>).</summary>
    public CpuDevice() { }

    /// <inheritdoc />
    public override string Name => $"Managed CPU ({RuntimeInformation.ProcessArchitecture}, {SimdDescription})";

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.Cpu;

    /// <inheritdoc />
    public override int Ordinal => 0;

    /// <inheritdoc />
    public override long GlobalMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <inheritdoc />
    public override int ComputeUnits => Environment.ProcessorCount;

    /// <inheritdoc />
    public override int MaxWorkGroupSize => 1024;

    /// <inheritdoc />
    public override string Details => $"SIMD: {SimdDescription}";

    /// <summary>The widest hardware-accelerated vector width in use.</summary>
    public static string SimdDescription =>
        Vector512.IsHardwareAccelerated ? "Vector512" :
        Vector256.IsHardwareAccelerated ? "Vector256" :
        Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";

    /// <inheritdoc />
    protected override unsafe nint AllocateCore(long bytes) => (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);

    /// <inheritdoc />
    protected override unsafe void FreeCore(nint handle) => NativeMemory.AlignedFree((void*)handle);

    /// <inheritdoc />
    protected override unsafe void WriteCore(nint handle, long byteOffset, void* source, long bytes)
        => Buffer.MemoryCopy(source, (byte*)handle + byteOffset, bytes, bytes);

    /// <inheritdoc />
    protected override unsafe void ReadCore(nint handle, long byteOffset, void* destination, long bytes)
        => Buffer.MemoryCopy((byte*)handle + byteOffset, destination, bytes, bytes);

    /// <inheritdoc />
    protected override unsafe void FillZeroCore(nint handle, long bytes) => NativeMemory.Clear((void*)handle, (nuint)bytes);

    /// <inheritdoc />
    protected override void SynchronizeCore() { }
}
