using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using FastAD.Kernels.IO;

namespace FastAD.Analyses;

/// <summary>
/// What a saved model was trained from (its exact training inputs and the configuration that shaped it), as a SHA-256
/// digest kept in a small file beside the models. <c>--reuse</c> loads saved models only when the digest of the current
/// inputs equals the saved one, so an output folder made with another seed, data file or configuration is retrained
/// instead of silently reused.
/// </summary>
internal static class ModelFingerprint
{
    /// <summary>Digest of the parts in order (strings, numbers and double arrays, each length-prefixed).</summary>
    public static string Of(params object[] parts)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            byte[] bytes = part switch
            {
                string s => Encoding.UTF8.GetBytes(s),
                double[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
                int i => BitConverter.GetBytes(i),
                ulong u => BitConverter.GetBytes(u),
                double v => BitConverter.GetBytes(v),
                _ => throw new ArgumentException($"Cannot fingerprint a {part.GetType().Name}."),
            };
            h.AppendData(BitConverter.GetBytes((long)bytes.Length));
            h.AppendData(bytes);
        }
        return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="file"/> holds <paramref name="digest"/>.</summary>
    public static bool Matches(string file, string digest) => File.Exists(file) && File.ReadAllText(file).Trim() == digest;

    /// <summary>Records <paramref name="digest"/> (atomically).</summary>
    public static void Write(string file, string digest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        AtomicFile.WriteAllText(file, digest + "\n");
    }
}
