using FastAD.Kernels.IO;

namespace FastAD.Data;

/// <summary>Options for <see cref="EventTableIO.Read(string, ReadOptions?)"/>.</summary>
/// <param name="NonFinite">What to do with NaN and ±infinity in floating-point columns.</param>
/// <param name="AllowEmpty">Whether a table without rows is acceptable (by default it is an error).</param>
/// <param name="Key">HDF5: the group or dataset to read when the file holds several (null: the only one).</param>
/// <param name="Names">HDF5: names for the columns of a 2-D dataset that carries none (null: its attribute, else NAME_j).</param>
public sealed record ReadOptions(NonFinitePolicy NonFinite = NonFinitePolicy.Keep, bool AllowEmpty = false, string? Key = null,
    IReadOnlyList<string>? Names = null);

/// <summary>
/// Reads and writes <see cref="EventTable"/>s. The format comes from the file's magic bytes (NumPy
/// <c>\x93NUMPY</c>, zip <c>PK</c> for <c>.npz</c>, Arrow <c>ARROW1</c>, HDF5 <c>\x89HDF</c>, Parquet <c>PAR1</c>) and
/// otherwise from its extension: <c>.csv/.tsv/.txt</c> delimited text, <c>.npy</c>, <c>.npz</c>,
/// <c>.feather/.arrow/.ipc</c> Arrow IPC, <c>.h5/.hdf5</c> HDF5 (read only), <c>.parquet/.pq</c> Parquet.
/// Writes go to a temporary file in the target directory that is renamed over the target when complete,
/// so a failed write leaves nothing behind.
/// </summary>
public static class EventTableIO
{
    /// <summary>The file formats.</summary>
    public enum Format
    {
        /// <summary>Delimited text with a header line.</summary>
        Delimited,
        /// <summary>NumPy array.</summary>
        Npy,
        /// <summary>NumPy zip archive of arrays.</summary>
        Npz,
        /// <summary>Arrow IPC file (Feather v2).</summary>
        Arrow,
        /// <summary>HDF5 (h5py datasets, pandas' fixed format); read only.</summary>
        Hdf5,
        /// <summary>Apache Parquet.</summary>
        Parquet,
    }

    /// <summary>Reads a table, keeping NaN and infinities and rejecting tables without rows.</summary>
    public static EventTable Read(string path) => Read(path, null);

    /// <summary>Reads a table with the given options.</summary>
    public static EventTable Read(string path, ReadOptions? options) => Read(path, options, out _);

    /// <summary>Reads a table with the given options; <paramref name="dropped"/> counts rows dropped for non-finite values.</summary>
    public static EventTable Read(string path, ReadOptions? options, out int dropped) => Read(path, options, out dropped, out _);

    /// <summary>
    /// Reads a table with the given options and says which <paramref name="format"/> it was in. The file is opened once:
    /// its first bytes decide the format and the same stream is read on, so a named pipe (FIFO) works; input that cannot
    /// seek (a pipe, a character device) is taken through a buffer. Content that is neither one of the binary formats
    /// nor text (NUL or other control bytes at the start, such as <c>/dev/zero</c>) is refused at once, naming the file,
    /// its first bytes and the formats expected.
    /// </summary>
    public static EventTable Read(string path, ReadOptions? options, out int dropped, out Format format)
    {
        options ??= new ReadOptions();
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path} is a directory, not a data file.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"File not found: {path}", path);
        EventTable table;
        using (var input = InputFile.Open(path))
        {
            format = input.Format;
            table = (format switch
            {
                Format.Npy => NpyFormat.ReadNpy(input.Stream, path),
                Format.Npz => NpyFormat.ReadNpz(input.Stream, path),
                Format.Arrow => ArrowFormat.Read(input.Stream, path),
                Format.Hdf5 => Hdf5Format.Read(input.Stream, path, options),
                Format.Parquet => ParquetFormat.Read(input.Stream, path),
                _ => DelimitedTable.ReadEventTable(input.Stream, path),
            }).WithSource(path);
        }
        if (table.ColumnNames.Count == 0) throw new InvalidDataException($"{path} has no columns.");
        if (table.RowCount == 0 && !options.AllowEmpty)
            throw new InvalidDataException(format switch
            {
                Format.Delimited => $"{path} holds no events (header only; columns: {string.Join(", ", table.ColumnNames)}).",
                Format.Npz => $"{path}: array '{table.ColumnNames[0]}' has 0 rows; expected at least one event.",
                Format.Npy => $"{path}: the array has 0 rows; expected at least one event.",
                Format.Hdf5 or Format.Parquet => $"{path}: the table has 0 rows; expected at least one event (columns: {string.Join(", ", table.ColumnNames)}).",
                _ => $"{path}: the Feather/Arrow table has 0 rows; expected at least one event (columns: {string.Join(", ", table.ColumnNames)}).",
            });
        return table.ApplyNonFinitePolicy(options.NonFinite, path, out dropped);
    }

    /// <summary>The format of an existing file: magic bytes first, then the extension (the file is opened once).</summary>
    public static Format DetectFormat(string path)
    {
        using var input = InputFile.Open(path);
        return input.Format;
    }

    /// <summary>The format that <paramref name="head"/> (a file's first bytes) shows, or null when no magic matches.</summary>
    internal static Format? FormatOfMagic(ReadOnlySpan<byte> head)
    {
        if (NpyFormat.HasMagic(head)) return Format.Npy;
        if (head.StartsWith("PK"u8)) return Format.Npz;
        if (ArrowFormat.HasMagic(head) || head.StartsWith("FEA1"u8)) return Format.Arrow;
        if (Hdf5Format.HasMagic(head)) return Format.Hdf5;
        if (ParquetFormat.HasMagic(head)) return Format.Parquet;
        return null;
    }

    /// <summary>The format an extension names; unknown extensions are an error when writing and text when reading.</summary>
    public static Format FormatOf(string path, bool reading = false) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".npy" => Format.Npy,
        ".npz" => Format.Npz,
        ".feather" or ".arrow" or ".ipc" or ".arrows" => Format.Arrow,
        ".h5" or ".hdf5" or ".hdf" or ".he5" => Format.Hdf5,
        ".parquet" or ".pq" => Format.Parquet,
        ".csv" or ".tsv" or ".txt" or ".dat" => Format.Delimited,
        var ext when reading => Format.Delimited,
        var ext => throw new ArgumentException(
            $"Cannot tell the format of '{path}' from its extension '{ext}'; use .csv, .tsv, .txt, .npy, .npz, .feather, .arrow, .ipc or .parquet."),
    };

    /// <summary>Writes a table in the format its extension names, atomically (temporary file, then rename).</summary>
    public static void Write(EventTable table, string path)
    {
        ArgumentNullException.ThrowIfNull(table);
        var format = FormatOf(path);
        char delimiter = Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        WriteAtomically(path, stream =>
        {
            switch (format)
            {
                case Format.Npy: NpyFormat.WriteNpy(table, stream); break;
                case Format.Npz: NpyFormat.WriteNpz(table, stream); break;
                case Format.Arrow: ArrowFormat.Write(table, stream); break;
                case Format.Parquet: ParquetFormat.Write(table, stream); break;
                case Format.Hdf5:
                    throw new NotSupportedException($"Cannot write {path}: FastAD reads HDF5 but does not write it; use .parquet, .feather or .npz.");
                default: DelimitedTable.Write(table, stream, delimiter); break;
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file next to <paramref name="path"/> and renames it over
    /// <paramref name="path"/> when it succeeds; on failure the temporary file is removed and the target is untouched.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Cannot write {path}: the directory {directory} does not exist.");
        if (Directory.Exists(full)) throw new IOException($"Cannot write {path}: it is a directory.");
        try
        {
            AtomicFile.Write(full, write);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot write {path}: {e.Message}", e);
        }
    }
}
