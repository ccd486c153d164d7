using System.Security.Cryptography;
using System.Text;

namespace FastAD.Kernels.Cuda;

/// <summary>
/// PTX compiled by NVRTC, cached on disk under a SHA-256 of source, options, device and NVRTC version:
/// <c>$FASTAD_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/fastad/ptx</c>, else <c>~/.cache/fastad/ptx</c>.
/// An unusable folder means no cache, never an error. Writes are atomic (temporary file + rename).
/// </summary>
internal static class PtxCache
{
    private static long _hits, _misses;

    /// <summary>Cache hits in this process.</summary>
    internal static long Hits => Interlocked.Read(ref _hits);
    /// <summary>Cache misses in this process.</summary>
    internal static long Misses => Interlocked.Read(ref _misses);

    internal static string? Folder()
    {
        string? root = Environment.GetEnvironmentVariable("FASTAD_CACHE_DIR");
        if (string.IsNullOrEmpty(root))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            root = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "fastad") : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "fastad");
            if (root is null) return null;
            root = Path.Combine(root, "ptx");
        }
        try
        {
            Directory.CreateDirectory(root);
            return root;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string Key(string source, IEnumerable<string> options, string device, string nvrtcVersion)
    {
        var text = new StringBuilder(source).Append('\0').AppendJoin('\u0001', options).Append('\0').Append(device).Append('\0').Append(nvrtcVersion);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    internal static byte[] GetOrCompile(string key, Func<byte[]> compile)
    {
        string? folder = Folder();
        string? path = folder is null ? null : Path.Combine(folder, key + ".ptx");
        if (path is not null)
        {
            try
            {
                if (File.Exists(path))
                {
                    var cached = File.ReadAllBytes(path);
                    Interlocked.Increment(ref _hits);
                    return cached;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        Interlocked.Increment(ref _misses);
        var ptx = compile();
        if (path is not null)
        {
            try
            {
                string tmp = path + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N") + ".tmp";
                File.WriteAllBytes(tmp, ptx);
                File.Move(tmp, path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return ptx;
    }
}
