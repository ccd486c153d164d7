using System.Numerics;
using FastAD.Kernels;

namespace FastAD.Flows;

/// <summary>Host ↔ device moves of the flow kernels in their precision, and the ensemble input layout check.</summary>
internal static class FlowDeviceData
{
    /// <summary>Uploads doubles as the kernels' REAL (at least one element: kernels take a pointer even for absent inputs).</summary>
    internal static DeviceBuffer Upload(ComputeDevice device, FlowPrecision precision, ReadOnlySpan<double> values) =>
        precision == FlowPrecision.Single ? Upload<float>(device, values) : Upload<double>(device, values);

    private static DeviceBuffer<T> Upload<T>(ComputeDevice device, ReadOnlySpan<double> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var converted = new T[Math.Max(values.Length, 1)];
        for (int i = 0; i < values.Length; i++) converted[i] = T.CreateTruncating(values[i]);
        return device.Upload<T>(converted);
    }

    /// <summary>An uninitialised REAL buffer of at least one element.</summary>
    internal static DeviceBuffer Allocate(ComputeDevice device, FlowPrecision precision, long length) =>
        precision == FlowPrecision.Single ? device.Allocate<float>(Math.Max(length, 1)) : device.Allocate<double>(Math.Max(length, 1));

    /// <summary>Reads the first destination.Length elements of a REAL buffer as doubles.</summary>
    internal static void Read(ComputeDevice device, DeviceBuffer buffer, Span<double> destination)
    {
        if (buffer is DeviceBuffer<double> d)
        {
            device.Read(d, destination);
            return;
        }
        var f = new float[destination.Length];
        device.Read((DeviceBuffer<float>)buffer, f);
        for (int i = 0; i < f.Length; i++) destination[i] = f[i];
    }

    /// <summary>
    /// Offset between the flows' inputs: 0 for rows × width values shared by every flow, rows × width for one set per
    /// flow (flows × rows × width values); anything else is an error naming the input.
    /// </summary>
    internal static long Stride(int length, int rows, int width, int flows, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        long shared = (long)rows * width;
        if (length == shared) return 0;
        if (length == shared * flows) return shared;
        throw new ArgumentException($"The {name} hold {length} values; expected {rows} rows × {width} (shared by every flow) " +
            $"or {flows} flows × {rows} rows × {width} (one set per flow).");
    }
}
