using System.Runtime.InteropServices;

namespace FastAD.Kernels.Cuda;

/// <summary>
/// P/Invoke declarations for the CUDA driver API (libcuda.so.1 / nvcuda.dll) with blittable pointer
/// signatures. <c>CUdevice</c> is an int, <c>CUcontext</c>, <c>CUmodule</c>, <c>CUfunction</c> and
/// <c>CUstream</c> are opaque pointers (nint), <c>CUdeviceptr</c> is 64-bit (ulong).
/// </summary>
internal static unsafe class CudaNative
{
    internal const int CUDA_SUCCESS = 0;
    internal const int CUDA_ERROR_NO_DEVICE = 100;
    internal const int CUDA_ERROR_INVALID_IMAGE = 200;
    internal const int CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
    internal const int CUDA_ERROR_INVALID_PTX = 218;
    internal const int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;

    internal const int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    internal const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    internal const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    /// <summary>CUjit_option values for <see cref="cuModuleLoadDataEx"/>.</summary>
    internal const int CU_JIT_INFO_LOG_BUFFER = 3;
    internal const int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    internal const int CU_JIT_ERROR_LOG_BUFFER = 5;
    internal const int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

    [DllImport(NativeLibraries.Cuda)] internal static extern int cuInit(uint flags);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDriverGetVersion(int* version);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDeviceGetCount(int* count);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDeviceGet(int* device, int ordinal);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDeviceGetName(byte* name, int length, int device);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDeviceTotalMem_v2(nuint* bytes, int device);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDeviceGetAttribute(int* value, int attribute, int device);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDevicePrimaryCtxRetain(nint* context, int device);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuDevicePrimaryCtxRelease_v2(int device);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuCtxSetCurrent(nint context);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuCtxSynchronize();
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuMemFree_v2(ulong pointer);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuMemsetD8_v2(ulong destination, byte value, nuint count);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleLoadData(nint* module, void* image);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleLoadDataEx(nint* module, void* image, uint optionCount, int* options, void** optionValues);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleGetFunction(nint* function, nint module, byte* name);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleUnload(nint module);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuGetErrorName(int error, byte** name);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuGetErrorString(int error, byte** text);

    /// <summary>The driver's name for a result code, e.g. <c>CUDA_ERROR_NO_DEVICE</c>.</summary>
    internal static string ErrorName(int status)
    {
        byte* name = null;
        try
        {
            if (cuGetErrorName(status, &name) == CUDA_SUCCESS && name != null)
                return Marshal.PtrToStringUTF8((nint)name) ?? "CUDA_ERROR";
        }
        catch (EntryPointNotFoundException) { }
        return status switch
        {
            CUDA_ERROR_NO_DEVICE => "CUDA_ERROR_NO_DEVICE",
            CUDA_ERROR_UNSUPPORTED_PTX_VERSION => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
            _ => "CUDA_ERROR",
        };
    }

    /// <summary>Name, number and the driver's explanation: <c>CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected</c>.</summary>
    internal static string Describe(int status)
    {
        byte* text = null;
        try
        {
            if (cuGetErrorString(status, &text) != CUDA_SUCCESS) text = null;
        }
        catch (EntryPointNotFoundException) { text = null; }
        string t = text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";
        return $"{ErrorName(status)} ({status}){(t.Length > 0 ? ": " + t : "")}";
    }

    /// <summary>Throws <see cref="ComputeException"/> naming the call and the driver's error when <paramref name="status"/> is not success.</summary>
    internal static void Check(int status, string what)
    {
        if (status != CUDA_SUCCESS) throw new ComputeException($"CUDA {what} failed: {Describe(status)}.");
    }
}
