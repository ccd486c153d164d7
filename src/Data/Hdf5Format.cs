using System.Buffers.Binary;
using PureHDF;

namespace FastAD.Data;

/// <summary>
/// HDF5 files through PureHDF (managed code, no native HDF5 library), in the layouts physicists' Python tools write:
/// <list type="bullet">
/// <item>pandas' <c>to_hdf</c> "fixed" format (the LHC Olympics R&amp;D file): a group with <c>pandas_type = frame</c>,
/// its column order in <c>axis0</c> and one <c>block{i}_items</c> / <c>block{i}_values</c> pair per dtype (values stored
/// rows × items);</item>
/// <item>h5py columns: equally long 1-D datasets in one group (the root or the only group);</item>
/// <item>one 2-D dataset (rows × columns), its column names from an attribute (<c>columns</c>, <c>column_names</c> or
/// <c>names</c>, on the dataset or its group), from <see cref="ReadOptions.Names"/>, or else <c>NAME_0, NAME_1, …</c>.</item>
/// </list>
/// <see cref="ReadOptions.Key"/> names the group or dataset to read when a file holds several. Element types: float32,
/// float64, signed and unsigned integers of 8–64 bits (8/16-bit widen to int32, uint32 to int64; uint64 must fit int64),
/// h5py's bool enum (as int32) and strings. Python-object columns that pandas pickles and the "table" format are refused
/// with what to do instead. A file shorter than its superblock's end-of-file address is refused as truncated before
/// anything else is read; whatever else PureHDF fails on is "FILE: corrupt HDF5 file (WHERE: what)".
/// </summary>
public static class Hdf5Format
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly string[] NameAttributes = ["columns", "column_names", "names"];

    /// <summary>Whether bytes start with the HDF5 signature (<c>\x89HDF\r\n\x1a\n</c>).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => head.StartsWith(Signature);

    /// <summary>Reads an HDF5 file from disk.</summary>
    public static EventTable Read(string path, ReadOptions? options = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path, options);
    }

    /// <summary>Reads an HDF5 file from a seekable stream (left open).</summary>
    public static EventTable Read(Stream stream, string path, ReadOptions? options = null)
    {
        options ??= new ReadOptions();
        CheckLength(stream, path);
        stream.Position = 0;
        var file = Guarded(path, "superblock", () => H5File.Open(stream, leaveOpen: true));
        using (file)
        {
            IH5Object target = options.Key is { } key ? Find(file, key, path) : file;
            var columns = target switch
            {
                IH5Dataset dataset => FromDataset(dataset, null, options, path),
                IH5Group group => FromGroup(group, options, path),
                _ => throw new InvalidDataException($"{path}: '{options.Key}' is neither a group nor a dataset."),
            };
            try
            {
                return new EventTable(columns);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The superblock's end-of-file address against the stream's length: a copy cut short is named as truncated (with
    /// both sizes) instead of failing somewhere inside a B-tree.
    /// </summary>
    private static void CheckLength(Stream stream, string path)
    {
        var head = new byte[64];
        stream.Position = 0;
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n < 16 || !HasMagic(head)) throw new InvalidDataException($"{path} is not an HDF5 file (no \\x89HDF signature) or is truncated ({n} bytes).");
        int version = head[8];
        int offsets = version <= 1 ? head[13] : head[9];
        if (offsets is not (2 or 4 or 8)) throw Corrupt(path, $"superblock: the size of offsets is {offsets}, not 2, 4 or 8");
        int at = version switch { 0 => 24 + 2 * offsets, 1 => 28 + 2 * offsets, 2 or 3 => 12 + 2 * offsets, _ => -1 };
        if (at < 0) throw new NotSupportedException($"{path}: HDF5 superblock version {version} is not supported (0–3 are).");
        if (at + offsets > n) throw new InvalidDataException($"{path} is truncated: it ends inside the HDF5 superblock ({n} bytes).");
        ulong eof = offsets switch
        {
            2 => BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(at)),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(at)),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(at)),
        };
        if ((ulong)stream.Length < eof)
            throw new InvalidDataException($"{path} is truncated: its HDF5 superblock says the file is {eof:N0} bytes, it has {stream.Length:N0}.");
    }

    private static IH5Object Find(IH5Group root, string key, string path)
    {
        string name = key.Trim('/');
        if (name.Length == 0) return root;
        bool exists = Guarded(path, $"'{key}'", () => root.LinkExists(name));
        if (!exists) throw new InvalidDataException($"{path} has no group or dataset '{key}'; it holds: {Listing(root, path)}.");
        return Guarded(path, $"'{key}'", () => root.Get(name));
    }

    private static string Listing(IH5Group group, string path)
    {
        var names = Guarded(path, "the group's links", () => group.Children().Select(c => c switch
        {
            IH5Dataset d => $"{c.Name} {Shape(d)}",
            IH5Group => c.Name + "/",
            _ => c.Name,
        }).ToList());
        return names.Count == 0 ? "nothing" : string.Join(", ", names);
    }

    private static string Shape(IH5Dataset d) => "(" + string.Join(" × ", d.Space.Dimensions) + ")";

    private static List<KeyValuePair<string, Array>> FromGroup(IH5Group group, ReadOptions options, string path)
    {
        string where = group.Name is null or "" or "/" ? "the root group" : $"group '{group.Name}'";
        if (Text(group, "pandas_type", path) is { } pandas)
            return pandas == "frame"
                ? PandasFixed.Read(group, path)
                : throw new NotSupportedException(pandas == "frame_table"
                    ? $"{path}: {where} is in pandas' \"table\" format, which is not supported; save it with df.to_hdf(path, key=..., format='fixed') (the default) or as Parquet."
                    : $"{path}: {where} is a pandas {pandas}, not a DataFrame; save a DataFrame (series.to_frame().to_hdf(...)).");
        var children = Guarded(path, where, () => group.Children().ToList());
        var datasets = children.OfType<IH5Dataset>().ToList();
        var groups = children.OfType<IH5Group>().ToList();
        if (datasets.Count == 0)
        {
            if (groups.Count == 1) return FromGroup(groups[0], options, path);
            throw new InvalidDataException(groups.Count == 0
                ? $"{path}: {where} holds no datasets; expected 1-D columns, a 2-D array or a pandas DataFrame."
                : $"{path}: {where} holds several groups ({string.Join(", ", groups.Select(g => g.Name))}); name the one to read with --key.");
        }
        if (datasets.Count == 1) return FromDataset(datasets[0], group, options, path);
        var shapes = datasets.Select(d => d.Space.Dimensions).ToList();
        if (shapes.Any(s => s.Length != 1) || shapes.Any(s => s[0] != shapes[0][0]))
            throw new InvalidDataException(
                $"{path}: {where} holds datasets of different shapes ({string.Join(", ", datasets.Select(d => $"{d.Name} {Shape(d)}"))}); " +
                "expected equally long 1-D columns; name the dataset to read with --key.");
        if (options.Names is { Count: > 0 })
            throw new ArgumentException($"{path}: --names is for an unnamed 2-D dataset; {where} holds named 1-D columns.");
        return datasets.Select(d => new KeyValuePair<string, Array>(d.Name, Values(d, d.Name, path))).ToList();
    }

    /// <summary>A 1-D dataset is one column; a 2-D one a column per index of its second axis.</summary>
    private static List<KeyValuePair<string, Array>> FromDataset(IH5Dataset dataset, IH5Group? parent, ReadOptions options, string path)
    {
        var dims = dataset.Space.Dimensions;
        if (dims.Length == 1) return [new(dataset.Name, Values(dataset, dataset.Name, path))];
        if (dims.Length != 2)
            throw new NotSupportedException($"{path}: dataset '{dataset.Name}' has shape {Shape(dataset)}; expected 1-D columns or a 2-D (rows × columns) array.");
        int width = checked((int)dims[1]);
        var names = options.Names is { Count: > 0 } given ? given.ToArray()
            : NamesFrom(dataset, path) ?? (parent is null ? null : NamesFrom(parent, path))
            ?? Enumerable.Range(0, width).Select(j => $"{dataset.Name}_{j}").ToArray();
        if (names.Length != width)
            throw new InvalidDataException(
                $"{path}: dataset '{dataset.Name}' has {width} columns but {names.Length} names are given ({string.Join(", ", names)}).");
        var flat = Values(dataset, dataset.Name, path);
        return Split(flat, width).Select((c, j) => new KeyValuePair<string, Array>(names[j], c)).ToList();
    }

    private static string[]? NamesFrom(IH5Object owner, string path)
    {
        foreach (var attribute in NameAttributes)
            if (Guarded(path, $"attributes of '{owner.Name}'", () => owner.AttributeExists(attribute)))
                return Guarded(path, $"attribute '{attribute}' of '{owner.Name}'", () => owner.Attribute(attribute).Read<string[]>());
        return null;
    }

    /// <summary>A text attribute (pandas writes them as fixed-length byte strings), or null when absent.</summary>
    internal static string? Text(IH5Object owner, string name, string path)
    {
        if (!Guarded(path, $"attributes of '{owner.Name}'", () => owner.AttributeExists(name))) return null;
        var attribute = owner.Attribute(name);
        if (attribute.Type.Class != H5DataTypeClass.String) return null;
        return Guarded(path, $"attribute '{name}' of '{owner.Name}'", () => attribute.Read<string>());
    }

    /// <summary>Columns of a row-major rows × <paramref name="width"/> array.</summary>
    internal static Array[] Split(Array flat, int width) => flat switch
    {
        double[] d => Split(d, width),
        float[] f => Split(f, width),
        int[] n => Split(n, width),
        long[] l => Split(l, width),
        string[] s => Split(s, width),
        _ => throw new InvalidOperationException(),
    };

    private static Array[] Split<T>(T[] flat, int width)
    {
        if (width == 1) return [flat];
        int rows = width == 0 ? 0 : flat.Length / width;
        var columns = new Array[width];
        for (int j = 0; j < width; j++)
        {
            var column = new T[rows];
            for (int i = 0; i < rows; i++) column[i] = flat[(long)i * width + j];
            columns[j] = column;
        }
        return columns;
    }

    /// <summary>All elements of a dataset (row-major), in the element type an <see cref="EventTable"/> holds.</summary>
    internal static Array Values(IH5Dataset dataset, string column, string path)
    {
        var type = dataset.Type;
        string what = $"dataset '{dataset.Name}'";
        Array Read<T>() => Guarded(path, what, () => dataset.Read<T[]>());
        switch (type.Class)
        {
            case H5DataTypeClass.FloatingPoint when type.Size == 8: return Read<double>();
            case H5DataTypeClass.FloatingPoint when type.Size == 4: return Read<float>();
            case H5DataTypeClass.FixedPoint:
                return (type.Size, type.FixedPoint.IsSigned) switch
                {
                    (8, true) => Read<long>(),
                    (8, false) => FitLong((ulong[])Read<ulong>(), column, path),
                    (4, true) => Read<int>(),
                    (4, false) => Array.ConvertAll((uint[])Read<uint>(), v => (long)v),
                    (2, true) => Array.ConvertAll((short[])Read<short>(), v => (int)v),
                    (2, false) => Array.ConvertAll((ushort[])Read<ushort>(), v => (int)v),
                    (1, true) => Array.ConvertAll((sbyte[])Read<sbyte>(), v => (int)v),
                    (1, false) => Array.ConvertAll((byte[])Read<byte>(), v => (int)v),
                    _ => throw Unsupported(dataset, column, path, $"{type.Size * 8}-bit integers"),
                };
            case H5DataTypeClass.Enumerated when type.Size == 1: // h5py's bool: an enum over int8
                return Array.ConvertAll((sbyte[])Read<sbyte>(), v => (int)v);
            case H5DataTypeClass.BitField when type.Size == 1: // PyTables' (pandas') bool: an 8-bit bitfield
                return Array.ConvertAll((byte[])Read<byte>(), v => v == 0 ? 0 : 1);
            case H5DataTypeClass.String: return Read<string>();
            // h5py's variable-length str: a vlen of 1-byte characters (PureHDF does not say "string" from "sequence"; it reads both as text).
            case H5DataTypeClass.VariableLength when type.VariableLength.BaseType is { Class: H5DataTypeClass.FixedPoint or H5DataTypeClass.String, Size: 1 }:
                return Read<string>();
            default: throw Unsupported(dataset, column, path, type.Class == H5DataTypeClass.FloatingPoint ? $"{type.Size * 8}-bit floats" : type.Class.ToString());
        }
    }

    private static long[] FitLong(ulong[] values, string column, string path)
    {
        var r = new long[values.Length];
        for (int i = 0; i < r.Length; i++)
        {
            if (values[i] > long.MaxValue)
                throw new InvalidDataException($"{path}: column '{column}' (uint64) has {values[i]} at row {i + 1}, more than an int64 holds.");
            r[i] = (long)values[i];
        }
        return r;
    }

    private static NotSupportedException Unsupported(IH5Dataset dataset, string column, string path, string what) => new(
        $"{path}: column '{column}' (dataset '{dataset.Name}') holds {what}, which is not supported (float32, float64, 8–64-bit integers, bool and strings are).");

    /// <summary>
    /// Runs one step of PureHDF's reading; what it throws on malformed input becomes "FILE: corrupt HDF5 file (WHERE:
    /// what)". Our own errors (naming the file) and unsupported features pass through.
    /// </summary>
    internal static T Guarded<T>(string path, string where, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (!(e is InvalidDataException or NotSupportedException or ArgumentException && e.Message.Contains(path, StringComparison.Ordinal)))
        {
            string what = e switch
            {
                OutOfMemoryException => "a size in it asks for more memory than there is",
                EndOfStreamException => "an address in it points past the end of the file",
                _ => e.Message.TrimEnd('.'),
            };
            throw Corrupt(path, $"{where}: {what}", e);
        }
    }

    private static InvalidDataException Corrupt(string path, string what, Exception? inner = null) =>
        new($"{path}: corrupt HDF5 file ({what}).", inner);
}
