using System.IO.Compression;

namespace FastAD.Data;

// Reading the .npz container: a zip of .npy members, each checked before it is parsed as an array.
public static partial class NpyFormat
{
    /// <summary>Reads a <c>.npz</c> archive: every <c>*.npy</c> member becomes columns (named after the member).</summary>
    public static EventTable ReadNpz(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadNpz(stream, path);
    }

    /// <summary>
    /// Reads a <c>.npz</c> archive from a seekable stream. Every member read is checked against the size and CRC-32 the
    /// archive records for it (zip readers do not check them), so a corrupt byte is an error, not a wrong value.
    /// </summary>
    public static EventTable ReadNpz(Stream stream, string path)
    {
        try
        {
            return ReadZip(stream, path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not FileNotFoundException && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path} is not a valid .npz (zip) archive: {e.Message}", e);
        }
    }

    private static EventTable ReadZip(Stream stream, string path)
    {
        using var zip = OpenZip(stream, path);
        var columns = new List<KeyValuePair<string, Array>>();
        var sources = new List<string>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)))
        {
            var bytes = ReadMember(entry, stream.Length, path);
            string key = entry.FullName[..^4];
            var part = ReadNpy(bytes, $"{path}[{entry.FullName}]", key);
            if (columns.Count > 0 && part.RowCount != columns[0].Value.Length)
                throw new InvalidDataException(
                    $"{path}: array '{key}' has {part.RowCount} rows but '{sources[0]}' has {columns[0].Value.Length}; all arrays must have the same length.");
            foreach (var name in part.ColumnNames)
            {
                if (columns.Any(c => c.Key == name))
                    throw new InvalidDataException($"{path}: column '{name}' appears twice (array '{key}').");
                columns.Add(new(name, part.Column(name)));
                sources.Add(key);
            }
        }
        if (columns.Count == 0) throw new InvalidDataException($"{path}: the archive holds no .npy arrays.");
        return new EventTable(columns);
    }

    /// <summary>A member's bytes, checked against the sizes (bounded by the file's length) and the CRC-32 the archive records.</summary>
    private static byte[] ReadMember(ZipArchiveEntry entry, long fileLength, string path)
    {
        string member = entry.FullName;
        if (entry.CompressedLength < 0 || entry.CompressedLength > fileLength)
            throw new InvalidDataException($"{path}: member '{member}' claims {entry.CompressedLength:N0} stored bytes, but the file has {fileLength:N0}; the file is corrupt.");
        if (entry.Length < 0 || entry.Length > Array.MaxLength)
            throw new InvalidDataException($"{path}: member '{member}' claims {entry.Length:N0} bytes, more than an array read into memory can be; the file is corrupt or too large.");
        // Deflate expands at most about 1032:1: a size beyond that of the stored bytes is a corrupt directory entry
        // (checked before the size is allocated).
        if (entry.Length > entry.CompressedLength * 1100L + 1024)
            throw new InvalidDataException(
                $"{path}: member '{member}' claims {entry.Length:N0} bytes from {entry.CompressedLength:N0} stored bytes, more than zip compression can give; the file is corrupt.");
        var bytes = new byte[entry.Length];
        int read;
        bool longer;
        try
        {
            using var s = entry.Open();
            read = s.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            longer = s.Read(stackalloc byte[1]) > 0;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: member '{member}' is corrupt ({e.Message}).");
        }
        if (read != bytes.Length || longer)
            throw new InvalidDataException(
                $"{path}: member '{member}' holds {(longer ? "more than " : "")}{read:N0} bytes, the archive says {entry.Length:N0}; the file is corrupt.");
        uint computed = System.IO.Hashing.Crc32.HashToUInt32(bytes);
        if (computed != entry.Crc32)
            throw new InvalidDataException(
                $"{path}: member '{member}' fails its CRC-32 check (stored {entry.Crc32:x8}, computed {computed:x8}); the file is corrupt.");
        return bytes;
    }

    private static ZipArchive OpenZip(Stream stream, string path)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path} is not a valid .npz (zip) archive: {e.Message}");
        }
    }
}
