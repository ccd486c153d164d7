using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FastAD.Kernels.Random;

/// <summary>
/// The one seed tree of a run: every random stream of an analysis is derived from the run's seed by a named path, e.g.
/// <c>SeedTree.Of(seed)["cathode"]["os"]["flows"][3]["shuffle"]</c> (written <c>cathode/os/flows/3/shuffle</c>). A child's
/// seed is the first 8 bytes (little-endian) of SHA-256 over its parent's seed (8 bytes, little-endian) and the child's
/// name (UTF-8): independent of the platform, of the order in which streams are asked for, and of every other path, so
/// that adding a stream never moves another one. Philox streams drawn from a node use its <see cref="Seed"/> as the key.
/// </summary>
public readonly record struct SeedTree
{
    private SeedTree(ulong seed, string path)
    {
        Seed = seed;
        Path = path;
    }

    /// <summary>This node's seed.</summary>
    public ulong Seed { get; }

    /// <summary>This node's path from the root ("" for the root).</summary>
    public string Path { get; }

    /// <summary>The root: the run's seed itself.</summary>
    public static SeedTree Of(ulong runSeed) => new(runSeed, "");

    /// <summary>The child named <paramref name="name"/> (no '/' in it).</summary>
    public SeedTree this[string name]
    {
        get
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (name.Contains('/')) throw new ArgumentException($"A seed-tree name holds no '/': '{name}'.", nameof(name));
            Span<byte> input = stackalloc byte[8 + Encoding.UTF8.GetByteCount(name)];
            BinaryPrimitives.WriteUInt64LittleEndian(input, Seed);
            Encoding.UTF8.GetBytes(name, input[8..]);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(input, hash);
            return new SeedTree(BinaryPrimitives.ReadUInt64LittleEndian(hash), Path.Length == 0 ? name : $"{Path}/{name}");
        }
    }

    /// <summary>The child numbered <paramref name="index"/> (its name is the number in decimal).</summary>
    public SeedTree this[long index] => this[index.ToString(CultureInfo.InvariantCulture)];

    /// <summary>The node at <paramref name="path"/> below this one ("a/b/3").</summary>
    public SeedTree At(string path) => path.Split('/').Aggregate(this, (node, name) => node[name]);

    /// <inheritdoc />
    public override string ToString() => $"{(Path.Length == 0 ? "(root)" : Path)}: {Seed}";
}
