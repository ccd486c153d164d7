using System.Runtime.InteropServices;
using System.Text;

namespace FastAD.Kernels.OpenCL;

/// <summary>P/Invoke declarations for the OpenCL 1.2 API through the ICD loader.</summary>
internal static unsafe class OpenClNative
{
    internal const int CL_SUCCESS = 0;
    internal const int CL_PLATFORM_NOT_FOUND_KHR = -1001;
    internal const int CL_DEVICE_NOT_FOUND = -1;
    internal const ulong CL_DEVICE_TYPE_CPU = 2, CL_DEVICE_TYPE_GPU = 4, CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;
    internal const uint CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    internal const uint CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    internal const uint CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F, CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    internal const uint CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F;
    internal const uint CL_DEVICE_EXTENSIONS = 0x1030;
    internal const ulong CL_MEM_READ_WRITE = 1;
    internal const uint CL_PROGRAM_BUILD_LOG = 0x1183;
    internal const uint CL_TRUE = 1;

    [DllImport(NativeLibraries.OpenCL)] internal static extern int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clGetPlatformInfo(nint platform, uint param, nuint size, void* value, nuint* sizeRet);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clGetDeviceIDs(nint platform, ulong type, uint numEntries, nint* devices, uint* numDevices);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clGetDeviceInfo(nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [DllImport(NativeLibraries.OpenCL)] internal static extern nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint callback, nint userData, int* errcode);
    [DllImport(NativeLibraries.OpenCL)] internal static extern nint clCreateCommandQueue(nint context, nint device, ulong properties, int* errcode);
    [DllImport(NativeLibraries.OpenCL)] internal static extern nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, int* errcode);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size, uint numEvents, nint* waitList, nint* evt);
    [DllImport(NativeLibraries.OpenCL)] internal static extern nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* errcode);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint callback, nint userData);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clGetProgramBuildInfo(nint program, nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [DllImport(NativeLibraries.OpenCL)] internal static extern nint clCreateKernel(nint program, byte* name, int* errcode);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* offset, nuint* global, nuint* local, uint numEvents, nint* waitList, nint* evt);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clFinish(nint queue);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clReleaseMemObject(nint mem);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clReleaseKernel(nint kernel);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clReleaseProgram(nint program);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clReleaseCommandQueue(nint queue);
    [DllImport(NativeLibraries.OpenCL)] internal static extern int clReleaseContext(nint context);

    internal static void Check(int status, string what)
    {
        if (status != CL_SUCCESS) throw new ComputeException($"OpenCL {what} failed: {ErrorName(status)} ({status}).");
    }

    internal static string PlatformString(nint platform, uint param)
    {
        nuint size;
        Check(clGetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var buf = new byte[(int)size];
        fixed (byte* p = buf) Check(clGetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        return Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }

    internal static string DeviceString(nint device, uint param)
    {
        nuint size;
        Check(clGetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var buf = new byte[(int)size];
        fixed (byte* p = buf) Check(clGetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        return Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }

    internal static T DeviceValue<T>(nint device, uint param) where T : unmanaged
    {
        T value = default;
        Check(clGetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    internal static string ErrorName(int status) => status switch
    {
        0 => "CL_SUCCESS",
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -53 => "CL_INVALID_WORK_DIMENSION",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "OpenCL error",
    };
}
