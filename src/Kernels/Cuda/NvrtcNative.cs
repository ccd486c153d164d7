using System.Runtime.InteropServices;

namespace FastAD.Kernels.Cuda;

/// <summary>P/Invoke declarations for NVRTC (run-time compilation of CUDA C++ to PTX), libnvrtc.so.N / nvrtc64_*.dll.</summary>
internal static unsafe class NvrtcNative
{
    internal const int NVRTC_SUCCESS = 0;
    internal const int NVRTC_ERROR_COMPILATION = 6;

    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcVersion(int* major, int* minor);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headerCount, byte** headerSources, byte** headerNames);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetProgramLogSize(nint program, nuint* size);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetProgramLog(nint program, byte* log);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetPTXSize(nint program, nuint* size);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetPTX(nint program, byte* ptx);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcDestroyProgram(nint* program);
    [DllImport(NativeLibraries.Nvrtc)] internal static extern byte* nvrtcGetErrorString(int result);

    /// <summary>NVRTC 11.2 and later: how many GPU architectures this NVRTC can target.</summary>
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetNumSupportedArchs(int* count);

    /// <summary>NVRTC 11.2 and later: the architectures (e.g. 75, 80, 90) in ascending order.</summary>
    [DllImport(NativeLibraries.Nvrtc)] internal static extern int nvrtcGetSupportedArchs(int* archs);

    /// <summary>NVRTC's text for a result code.</summary>
    internal static string ErrorString(int status)
    {
        try
        {
            byte* s = nvrtcGetErrorString(status);
            if (s != null) return Marshal.PtrToStringUTF8((nint)s) ?? "NVRTC error";
        }
        catch (EntryPointNotFoundException) { }
        return "NVRTC error";
    }

    /// <summary>Throws <see cref="ComputeException"/> naming the call and NVRTC's error when <paramref name="status"/> is not success.</summary>
    internal static void Check(int status, string what)
    {
        if (status != NVRTC_SUCCESS) throw new ComputeException($"NVRTC {what} failed: {ErrorString(status)} ({status}).");
    }

    /// <summary>
    /// The architectures NVRTC can compile for (as 10 * major + minor), or null when this NVRTC
    /// predates the query (before 11.2).
    /// </summary>
    internal static int[]? SupportedArchs()
    {
        try
        {
            int n;
            if (nvrtcGetNumSupportedArchs(&n) != NVRTC_SUCCESS || n <= 0) return null;
            var archs = new int[n];
            fixed (int* p = archs)
                if (nvrtcGetSupportedArchs(p) != NVRTC_SUCCESS) return null;
            return archs;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }
}
