using System.Reflection;
using System.Runtime.InteropServices;

namespace FastAD.Kernels;

/// <summary>
/// Resolves the vendor libraries per platform: OpenCL (the ICD loader), the CUDA driver and NVRTC.
/// The P/Invoke declarations use the logical names below; this resolver tries the platform's
/// file names and remembers which one loaded (or why none did) for <c>fastad devices</c>.
/// </summary>
internal static class NativeLibraries
{
    internal const string OpenCL = "fastad_opencl";
    internal const string Cuda = "fastad_cuda";
    internal const string Nvrtc = "fastad_nvrtc";

    private static readonly Dictionary<string, (nint Handle, string? Path, string Error)> Loaded = new();
    private static int _registered;

    internal static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
        => name is OpenCL or Cuda or Nvrtc ? Load(name).Handle : 0;

    /// <summary>Loads (once) a logical library; returns the handle, the file that loaded, and the error otherwise.</summary>
    internal static (nint Handle, string? Path, string Error) Load(string logical)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(logical, out var r)) return r;
            var tried = new List<string>();
            foreach (var candidate in Candidates(logical))
            {
                tried.Add(candidate);
                if (NativeLibrary.TryLoad(candidate, out var h))
                    return Loaded[logical] = (h, candidate, "");
            }
            return Loaded[logical] = (0, null, $"library not found (tried {string.Join(", ", tried.Take(8))}{(tried.Count > 8 ? ", ..." : "")})");
        }
    }

    private static IEnumerable<string> Candidates(string logical)
    {
        string? overridePath = Environment.GetEnvironmentVariable(logical switch
        {
            OpenCL => "FASTAD_OPENCL_LIBRARY",
            Cuda => "FASTAD_CUDA_LIBRARY",
            _ => "FASTAD_NVRTC_LIBRARY",
        });
        if (!string.IsNullOrEmpty(overridePath)) yield return overridePath;

        bool windows = OperatingSystem.IsWindows(), mac = OperatingSystem.IsMacOS();
        switch (logical)
        {
            case OpenCL:
                if (windows) yield return "OpenCL.dll";
                else if (mac) yield return "/System/Library/Frameworks/OpenCL.framework/OpenCL";
                else { yield return "libOpenCL.so.1"; yield return "libOpenCL.so"; }
                break;
            case Cuda:
                if (windows) yield return "nvcuda.dll";
                else { yield return "libcuda.so.1"; yield return "libcuda.so"; }
                break;
            case Nvrtc:
                foreach (var c in NvrtcCandidates(windows)) yield return c;
                break;
        }
    }

    private static IEnumerable<string> NvrtcCandidates(bool windows)
    {
        int[] majors = [13, 12, 11];
        if (windows)
        {
            foreach (var m in majors)
            {
                yield return $"nvrtc64_{m}0_0.dll";
                yield return $"nvrtc64_{m}2_0.dll";
            }
            yield break;
        }
        foreach (var m in majors) yield return $"libnvrtc.so.{m}";
        yield return "libnvrtc.so";
        var dirs = new List<string>();
        foreach (var env in new[] { "CUDA_PATH", "CUDA_HOME" })
            if (Environment.GetEnvironmentVariable(env) is { Length: > 0 } root) dirs.Add(Path.Combine(root, "lib64"));
        dirs.Add("/usr/local/cuda/lib64");
        try
        {
            dirs.AddRange(Directory.EnumerateDirectories("/usr/local", "cuda*").Order().Reverse().Select(d => Path.Combine(d, "lib64")));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        // pip wheels (nvidia-cuda-nvrtc-cu12 and friends) ship NVRTC inside site-packages.
        foreach (var root in new[] { "/usr/lib/python3/dist-packages", "/usr/local/lib" })
        {
            if (!Directory.Exists(root)) continue;
            IEnumerable<string> found = [];
            try
            {
                found = Directory.EnumerateDirectories(root, "python3*").Append(root)
                    .SelectMany(d => new[] { Path.Combine(d, "site-packages", "nvidia"), Path.Combine(d, "dist-packages", "nvidia"), Path.Combine(d, "nvidia") })
                    .Where(Directory.Exists)
                    .SelectMany(d => Directory.EnumerateDirectories(d).Select(x => Path.Combine(x, "lib")))
                    .Where(Directory.Exists).ToList();
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            dirs.AddRange(found);
        }
        foreach (var dir in dirs.Distinct())
        {
            if (!Directory.Exists(dir)) continue;
            string[] files;
            try { files = Directory.GetFiles(dir, "libnvrtc.so*"); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var f in files.Where(f => !f.Contains("builtins", StringComparison.Ordinal)).OrderByDescending(f => f, StringComparer.Ordinal))
                yield return f;
        }
    }
}
