using System.Runtime.InteropServices;

namespace FastAD.Kernels.Cuda;

/// <summary>P/Invoke declarations for the CUDA driver API (libcuda.so.1 / nvcuda.dll).</summary>
internal static unsafe class CudaNative
{
    internal const int CUDA_SUCCESS = 0;
    internal const int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    internal const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    internal const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    internal const int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;

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
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleGetFunction(nint* function, nint module, byte* name);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuModuleUnload(nint module);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedBytes, nint stream, void** parameters, void** extra);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuGetErrorName(int error, byte** name);
    [DllImport(NativeLibraries.Cuda)] internal static extern int cuGetErrorString(int error, byte** text);

    internal static string Describe(int status)
    {
        byte* name = null, text = null;
        try
        {
            cuGetErrorName(status, &name);
            cuGetErrorString(status, &text);
        }
        catch (EntryPointNotFoundException) { }
        string n = name == null ? "CUDA error" : Marshal.PtrToStringUTF8((nint)name) ?? "CUDA error";
        string t = text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";
        return $"{n} ({status}){(t.Length > 0 ? ": " + t : "")}";
    }

    internal static void Check(int status, string what)
    {
        if (status != CUDA_SUCCESS) throw new ComputeException($"CUDA {what} failed: {Describe(status)}.");
    }
}

/// <summary>P/Invoke declarations for NVRTC (run-time compilation of CUDA C++ to PTX).</summary>
internal static unsafe class NvrtcNative
{
    internal const int NVRTC_SUCCESS = 0;

    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcVersion(int* major, int* minor);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headers, byte** headerSources, byte** headerNames);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetProgramLogSize(nint program, nuint* size);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetProgramLog(nint program, byte* log);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetPTXSize(nint program, nuint* size);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetPTX(nint program, byte* ptx);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcDestroyProgram(nint* program);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern byte* nvrtcGetErrorString(int result);

    internal static void Check(int status, string what)
    {
        if (status != NVRTC_SUCCESS)
            throw new ComputeException($"NVRTC {what} failed: {Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(status))} ({status}).");
    }
}
