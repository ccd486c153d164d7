using Parquet;
using Parquet.Schema;

namespace FastAD.Data;

/// <summary>
/// Apache Parquet through Parquet.Net (managed code). Flat columns of float32, float64, 8–64-bit integers, bool and
/// strings are read (8/16-bit integers and bool widen to int32, uint32 to int64, uint64 must fit int64); nulls in
/// floating columns become NaN, elsewhere they are errors. Row groups are read one at a time straight into the table's
/// column arrays (sized from the footer), so a file's column data is held about once, not once per row group and again
/// when joined. Nested columns (lists, structs, maps) are refused naming the column. Tables are written as required
/// (non-null) columns in row groups of <see cref="RowGroupRows"/> rows, Snappy-compressed (Parquet.Net's default).
/// </summary>
public static class ParquetFormat
{
    /// <summary>Rows per row group when writing.</summary>
    public const int RowGroupRows = 1 << 20;

    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>
    /// Parquet.Net pools its page streams without bound unless told (RecyclableMemoryStreamManager keeps every freed
    /// buffer): bounded here, so that a read holds the columns and about one row group's pages, not every page it decoded.
    /// </summary>
    private static ParquetOptions Options => new() { MaximumSmallPoolFreeBytes = 16 << 20, MaximumLargePoolFreeBytes = 64 << 20 };

    /// <summary>Whether bytes start with the Parquet magic <c>PAR1</c>.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => head.StartsWith(Magic);

    /// <summary>Reads a Parquet file from disk.</summary>
    public static EventTable Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a Parquet file from a seekable stream (left open).</summary>
    public static EventTable Read(Stream stream, string path)
    {
        CheckFraming(stream, path);
        var reader = Guarded(path, "footer", () => ParquetReader.CreateAsync(stream, Options, leaveStreamOpen: true).GetAwaiter().GetResult());
        try
        {
            return Read(reader, path);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static EventTable Read(ParquetReader reader, string path)
    {
        var schema = Guarded(path, "schema", () => reader.Schema);
        foreach (var field in schema.Fields)
            if (field is not DataField data || data.IsArray)
                throw new NotSupportedException($"{path}: column '{field.Name}' is a nested {field.SchemaType} column; only flat columns of numbers and strings are supported.");
        var fields = schema.GetDataFields();
        long total = 0;
        var groups = new long[reader.RowGroupCount];
        for (int g = 0; g < groups.Length; g++) total += groups[g] = Guarded(path, $"row group {g + 1}", () => reader.OpenRowGroupReader(g).RowCount);
        if (total > Array.MaxLength) throw new InvalidDataException($"{path} holds {total:N0} rows, more than one table holds ({Array.MaxLength:N0}).");
        var columns = fields.Select(f => Column.For(f, (int)total, path)).ToArray();
        int offset = 0;
        for (int g = 0; g < groups.Length; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int rows = (int)groups[g];
            foreach (var column in columns) Guarded(path, $"column '{column.Field.Name}' of row group {g + 1}", () => column.Read(group, offset, rows));
            offset += rows;
            // A row group's pages are large-object-heap garbage, freed only by a full collection: without one per group they
            // pile up (a 480 MB file peaked at 1.7-2.3 GB); with it the read holds the columns and one group's pages.
            if (g + 1 < groups.Length) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
        try
        {
            return new EventTable(columns.Select(c => new KeyValuePair<string, Array>(c.Field.Name, c.Values)));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    /// <summary>A Parquet file starts and ends with PAR1, its footer length just before the end: a cut-off copy fails here.</summary>
    private static void CheckFraming(Stream stream, string path)
    {
        long length = stream.Length;
        if (length < 12) throw new InvalidDataException($"{path} is truncated: {length} bytes, shorter than an empty Parquet file.");
        var tail = new byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Position = 0;
        if (!tail.AsSpan(4).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is truncated: a Parquet file ends with PAR1, this one does not.");
        long footer = BitConverter.ToUInt32(tail, 0);
        if (footer > length - 12)
            throw new InvalidDataException($"{path}: corrupt Parquet file (footer: its length field says {footer:N0} bytes, the file has {length:N0}).");
    }

    /// <summary>One column being filled row group by row group.</summary>
    private abstract class Column(DataField field)
    {
        public DataField Field { get; } = field;
        public abstract Array Values { get; }
        public abstract void Read(ParquetRowGroupReader group, int offset, int rows);

        public static Column For(DataField f, int rows, string path)
        {
            var t = Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType;
            if (t == typeof(double)) return new Direct<double>(f, rows, path, double.NaN);
            if (t == typeof(float)) return new Direct<float>(f, rows, path, float.NaN);
            if (t == typeof(int)) return new Direct<int>(f, rows, path, null);
            if (t == typeof(long)) return new Direct<long>(f, rows, path, null);
            if (t == typeof(short)) return new Widened<short, int>(f, rows, path, v => v);
            if (t == typeof(ushort)) return new Widened<ushort, int>(f, rows, path, v => v);
            if (t == typeof(sbyte)) return new Widened<sbyte, int>(f, rows, path, v => v);
            if (t == typeof(byte)) return new Widened<byte, int>(f, rows, path, v => v);
            if (t == typeof(bool)) return new Widened<bool, int>(f, rows, path, v => v ? 1 : 0);
            if (t == typeof(uint)) return new Widened<uint, long>(f, rows, path, v => v);
            if (t == typeof(ulong))
                return new Widened<ulong, long>(f, rows, path, v => v <= long.MaxValue ? (long)v
                    : throw new InvalidDataException($"{path}: column '{f.Name}' (uint64) has {v}, more than an int64 holds."));
            if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>)) return new Text(f, rows, path);
            throw new NotSupportedException(
                $"{path}: column '{f.Name}' has Parquet type {t.Name}, which is not supported (float, double, 8–64-bit integers, bool and strings are).");
        }

        protected static InvalidDataException Nulls(string path, string name, int row) =>
            new($"{path}: column '{name}' has a missing value at row {row + 1}; only floating-point columns may have them (read as NaN).");
    }

    private sealed class Direct<T>(DataField field, int rows, string path, T? missing) : Column(field) where T : struct
    {
        private readonly T[] _values = new T[rows];
        public override Array Values => _values;

        public override void Read(ParquetRowGroupReader group, int offset, int rows)
        {
            if (!Field.IsNullable)
            {
                group.ReadAsync<T>(Field, _values.AsMemory(offset, rows)).GetAwaiter().GetResult();
                return;
            }
            var part = new T?[rows];
            group.ReadAsync<T>(Field, part.AsMemory()).GetAwaiter().GetResult();
            for (int i = 0; i < rows; i++)
                _values[offset + i] = part[i] ?? missing ?? throw Nulls(path, Field.Name, offset + i);
        }
    }

    private sealed class Widened<TFile, T>(DataField field, int rows, string path, Func<TFile, T> widen) : Column(field) where TFile : struct
    {
        private readonly T[] _values = new T[rows];
        public override Array Values => _values;

        public override void Read(ParquetRowGroupReader group, int offset, int rows)
        {
            if (!Field.IsNullable)
            {
                var part = new TFile[rows];
                group.ReadAsync<TFile>(Field, part.AsMemory()).GetAwaiter().GetResult();
                for (int i = 0; i < rows; i++) _values[offset + i] = widen(part[i]);
                return;
            }
            var nullable = new TFile?[rows];
            group.ReadAsync<TFile>(Field, nullable.AsMemory()).GetAwaiter().GetResult();
            for (int i = 0; i < rows; i++) _values[offset + i] = widen(nullable[i] ?? throw Nulls(path, Field.Name, offset + i));
        }
    }

    private sealed class Text(DataField field, int rows, string path) : Column(field)
    {
        private readonly string[] _values = new string[rows];
        public override Array Values => _values;

        public override void Read(ParquetRowGroupReader group, int offset, int rows)
        {
            group.ReadAsync(Field, _values.AsMemory(offset, rows)!).GetAwaiter().GetResult();
            for (int i = offset; i < offset + rows; i++) if (_values[i] is null) throw Nulls(path, Field.Name, i);
        }
    }

    /// <summary>Writes the table as a Parquet file: required columns, row groups of <see cref="RowGroupRows"/> rows.</summary>
    public static void Write(EventTable table, Stream stream) => Write(table, stream, RowGroupRows);

    /// <summary>Writes the table as a Parquet file in row groups of <paramref name="rowGroupRows"/> rows.</summary>
    public static void Write(EventTable table, Stream stream, int rowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        var fields = table.ColumnNames.Select(n => new DataField(n, table.Column(n).GetType().GetElementType()!, isNullable: false)).ToArray();
        var writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, Options).GetAwaiter().GetResult();
        try
        {
            WriteGroups(table, fields, writer, rowGroupRows);
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void WriteGroups(EventTable table, DataField[] fields, ParquetWriter writer, int rowGroupRows)
    {
        for (int start = 0; start < Math.Max(table.RowCount, 1); start += rowGroupRows)
        {
            int rows = Math.Min(rowGroupRows, table.RowCount - start);
            using var group = writer.CreateRowGroup();
            foreach (var field in fields)
            {
                var task = table.Column(field.Name) switch
                {
                    double[] d => group.WriteAsync<double>(field, d.AsMemory(start, rows)),
                    float[] f => group.WriteAsync<float>(field, f.AsMemory(start, rows)),
                    int[] n => group.WriteAsync<int>(field, n.AsMemory(start, rows)),
                    long[] l => group.WriteAsync<long>(field, l.AsMemory(start, rows)),
                    string[] s => group.WriteAsync(field, new ArraySegment<string>(s, start, rows)),
                    _ => throw new InvalidOperationException(),
                };
                task.GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Runs one step of Parquet.Net's reading; what it throws on malformed input becomes "FILE: corrupt Parquet file (WHERE: what)".</summary>
    private static T Guarded<T>(string path, string where, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (!(e is InvalidDataException or NotSupportedException && e.Message.Contains(path, StringComparison.Ordinal)))
        {
            string what = e is OutOfMemoryException ? "a size in it asks for more memory than there is" : e.Message.TrimEnd('.');
            throw new InvalidDataException($"{path}: corrupt Parquet file ({where}: {what}).", e);
        }
    }

    private static void Guarded(string path, string where, Action step) => Guarded(path, where, () => { step(); return 0; });
}
