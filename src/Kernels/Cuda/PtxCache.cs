using System.Security.Cryptography;
using System.Text;
using FastAD.Kernels.IO;

namespace FastAD.Kernels.Cuda;

/// <summary>
/// PTX compiled by NVRTC, cached on disk as <c>&lt;sha256&gt;.ptx</c>, keyed by the full source, the
/// compiler options, the device name, its compute capability and the NVRTC version. The folder is
/// <c>$FASTAD_CACHE_DIR</c> if set, else <c>$XDG_CACHE_HOME/fastad/ptx</c>, else <c>~/.cache/fastad/ptx</c>
/// (read afresh on every compile). A folder that cannot be created or written means no cache, never an
/// error. Writes are atomic (a temporary file in the same folder renamed over the entry), so concurrent
/// processes see either no entry or a whole one.
/// </summary>
internal static class PtxCache
{
    private static long _hits, _misses;

    /// <summary>Compiles served from the disk cache in this process.</summary>
    internal static long Hits => Interlocked.Read(ref _hits);

    /// <summary>Compiles that ran NVRTC in this process (no entry, or no usable cache folder).</summary>
    internal static long Misses => Interlocked.Read(ref _misses);

    /// <summary>The cache folder, created if needed; null when there is none or it cannot be created.</summary>
    internal static string? Folder()
    {
        string? root = Environment.GetEnvironmentVariable("FASTAD_CACHE_DIR");
        if (string.IsNullOrWhiteSpace(root))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg)) root = Path.Combine(xdg, "fastad", "ptx");
            else
            {
                string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) return null;
                root = Path.Combine(home, ".cache", "fastad", "ptx");
            }
        }
        try
        {
            Directory.CreateDirectory(root);
            return root;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The lowercase hex SHA-256 of every input that changes the PTX (fields length-prefixed, so no two inputs collide by concatenation).</summary>
    internal static string Key(string source, IReadOnlyList<string> options, string deviceName, (int Major, int Minor) computeCapability, string nvrtcVersion)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        Add("fastad-ptx-v1");
        Add(source);
        Add(options.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var o in options) Add(o);
        Add(deviceName);
        Add($"{computeCapability.Major}.{computeCapability.Minor}");
        Add(nvrtcVersion);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Returns the cached PTX for <paramref name="key"/> (<paramref name="fromCache"/> true) or runs
    /// <paramref name="compile"/> and stores its result. Exceptions of <paramref name="compile"/> propagate
    /// and store nothing.
    /// </summary>
    internal static byte[] GetOrCompile(string key, Func<byte[]> compile, out bool fromCache)
    {
        string? folder = Folder();
        string? path = folder is null ? null : Path.Combine(folder, key + ".ptx");
        if (path is not null && TryRead(path) is { } cached)
        {
            Interlocked.Increment(ref _hits);
            fromCache = true;
            return cached;
        }
        Interlocked.Increment(ref _misses);
        fromCache = false;
        var ptx = compile();
        if (path is not null) TryWrite(path, ptx);
        return ptx;
    }

    /// <summary>Deletes an entry (one the driver refused to load); errors are ignored.</summary>
    internal static void Invalidate(string key)
    {
        string? folder = Folder();
        if (folder is null) return;
        try { File.Delete(Path.Combine(folder, key + ".ptx")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static byte[]? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0) return null;
            // cuModuleLoadData reads PTX as a NUL-terminated string.
            if (bytes[^1] != 0) Array.Resize(ref bytes, bytes.Length + 1);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string path, byte[] ptx)
    {
        try { AtomicFile.WriteAllBytes(path, ptx); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
