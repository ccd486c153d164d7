using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using System.Buffers.Binary;
using System.Text;
using Array = System.Array;

namespace FastAD.Data;

/// <summary>
/// Arrow IPC files (Feather v2, what <c>pandas.DataFrame.to_feather</c> and <c>pyarrow.feather.write_feather</c>
/// write) and Arrow IPC streams, through Apache.Arrow. Columns of float32, float64, int32, int64 and strings are
/// read as such; int8/int16/uint8/uint16/bool widen to int32 and uint32 to int64. Nulls in floating columns
/// become NaN; nulls elsewhere are errors. LZ4-frame (pandas' default) and ZSTD compressed buffers are decoded by
/// <see cref="ArrowCodecs"/> (K4os.Compression.LZ4, ZstdSharp). Files are written uncompressed.
/// </summary>
public static class ArrowFormat
{
    private static readonly byte[] FileMagic = "ARROW1"u8.ToArray();

    /// <summary>Whether bytes start like an Arrow IPC file (<c>ARROW1</c>) or stream (continuation marker).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head)
        => head.StartsWith(FileMagic) || (head.Length >= 4 && head[..4].SequenceEqual(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }));

    /// <summary>Reads an Arrow IPC file or stream.</summary>
    public static EventTable Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads an Arrow IPC file or stream from a seekable stream. Malformed metadata (the footer, a message, a buffer
    /// length) is an error naming the file and the part that is corrupt, whether Apache.Arrow or our own bounds checks
    /// find it.
    /// </summary>
    public static EventTable Read(Stream stream, string path)
    {
        var head = new byte[8];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n >= 4 && head.AsSpan(0, 4).SequenceEqual("FEA1"u8))
            throw new NotSupportedException($"{path} is a Feather v1 file; re-save it with pandas >= 1.1 or pyarrow (Feather v2).");
        if (!HasMagic(head.AsSpan(0, n))) throw new InvalidDataException($"{path} is not an Arrow IPC / Feather v2 file (no ARROW1 magic).");
        return head.AsSpan(0, n).StartsWith(FileMagic) ? ReadFile(stream, path) : ReadStream(stream, path);
    }

    private static EventTable ReadFile(Stream stream, string path)
    {
        long length = stream.Length;
        if (length < 2 * FileMagic.Length + 4) throw new InvalidDataException($"{path} is truncated ({length} bytes).");
        var tail = new byte[4 + FileMagic.Length];
        stream.Seek(-tail.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Position = 0;
        if (!tail.AsSpan(4).SequenceEqual(FileMagic))
            throw new InvalidDataException($"{path} is truncated: an Arrow IPC / Feather v2 file ends with ARROW1, this one does not.");
        // The footer (schema and record batch blocks) sits before its int32 length and the closing magic: ARROW1 + 2 bytes of padding come first.
        int footer = BitConverter.ToInt32(tail, 0);
        if (!BitConverter.IsLittleEndian) footer = BinaryPrimitives.ReverseEndianness(footer);
        if (footer <= 0 || footer > length - tail.Length - 8)
            throw Corrupt(path, $"footer: its length field says {footer:N0} bytes, but only {Math.Max(0, length - tail.Length - 8):N0} bytes lie between the magic strings");
        long footerStart = length - tail.Length - footer;
        var footerBytes = new byte[footer];
        stream.Position = footerStart;
        stream.ReadExactly(footerBytes);
        stream.Position = 0;
        CheckBlocks(footerBytes, footerStart, path);
        using var reader = new ArrowFileReader(stream, allocator: null, compressionCodecFactory: new ArrowCodecs(path), leaveOpen: true);
        var schema = Guarded(path, "footer", () => reader.Schema);
        return Convert(schema, reader.ReadNextRecordBatch, path);
    }

    private static EventTable ReadStream(Stream stream, string path)
    {
        using var reader = new ArrowStreamReader(stream, new ArrowCodecs(path), leaveOpen: true);
        var schema = Guarded(path, "schema message", () => reader.Schema);
        return Convert(schema, reader.ReadNextRecordBatch, path);
    }

    /// <summary>
    /// Our own bounds check of the footer (a flatbuffer <c>Footer</c> table: version, schema, dictionaries, recordBatches):
    /// every dictionary and record batch block (offset, metadata length, body length) must lie between the leading magic
    /// and the footer. Apache.Arrow trusts these numbers and fails with out-of-range text, or reads the wrong bytes.
    /// </summary>
    private static void CheckBlocks(byte[] footer, long footerStart, string path)
    {
        int Int(long at, int size)
        {
            if (at < 0 || at + size > footer.Length) throw Corrupt(path, "footer: a table offset in it points outside it");
            return size == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(footer.AsSpan((int)at)) : BinaryPrimitives.ReadInt32LittleEndian(footer.AsSpan((int)at));
        }
        long table = (uint)Int(0, 4);
        long vtable = table - Int(table, 4);
        int vtableSize = Int(vtable, 2);
        foreach (var (field, what) in new[] { (2, "dictionary"), (3, "record batch") })
        {
            if (4 + 2 * field + 2 > vtableSize) continue; // the field is absent
            int fieldOffset = Int(vtable + 4 + 2 * field, 2);
            if (fieldOffset == 0) continue;
            long vector = table + fieldOffset + (uint)Int(table + fieldOffset, 4);
            long count = (uint)Int(vector, 4);
            const int BlockSize = 24; // offset: long, metaDataLength: int (+4 padding), bodyLength: long
            if (vector + 4 + count * BlockSize > footer.Length)
                throw Corrupt(path, $"footer: it lists {count:N0} {what} blocks, more than its {footer.Length:N0} bytes hold");
            for (long k = 0; k < count; k++)
            {
                var block = footer.AsSpan((int)(vector + 4 + k * BlockSize), BlockSize);
                long offset = BinaryPrimitives.ReadInt64LittleEndian(block);
                int metadata = BinaryPrimitives.ReadInt32LittleEndian(block[8..]);
                long body = BinaryPrimitives.ReadInt64LittleEndian(block[16..]);
                if (offset < 8 || metadata <= 0 || body < 0 || offset > footerStart || metadata > footerStart - offset || body > footerStart - offset - metadata)
                    throw Corrupt(path, $"footer: {what} {k + 1} of {count} at offset {offset:N0} with {metadata:N0} + {body:N0} bytes does not lie between the magic and the footer at byte {footerStart:N0}");
            }
        }
    }

    /// <summary>
    /// Runs one step of Apache.Arrow's reading; what it throws on malformed input (out-of-range lengths, a garbled
    /// flatbuffer, a short read) becomes "FILE: corrupt Feather/Arrow file (WHERE: what)". Unsupported types and codecs
    /// (NotSupportedException) stay as they are, with the file named.
    /// </summary>
    private static T Guarded<T>(string path, string where, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (NotSupportedException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new NotSupportedException($"{path} ({where}): {e.Message}", e);
        }
        catch (Exception e) when (e is not NotSupportedException && !(e is InvalidDataException && e.Message.Contains(path, StringComparison.Ordinal)))
        {
            string what = e switch
            {
                OutOfMemoryException => "a length in it asks for more memory than there is",
                EndOfStreamException => "a length in it points past the end of the file",
                InvalidDataException or IOException => e.Message.TrimEnd('.'),
                _ => "a length or offset in it points outside the file",
            };
            throw Corrupt(path, $"{where}: {what}", e);
        }
    }

    private static InvalidDataException Corrupt(string path, string what, Exception? inner = null) =>
        new($"{path}: corrupt Feather/Arrow file ({what}).", inner);

    /// <summary>
    /// The table of every record batch <paramref name="next"/> yields: each batch is converted to managed columns and
    /// disposed before the next is read, and the parts are joined column by column (each column's parts dropped once
    /// joined), so a file is held about once, not as batches, parts and columns at the same time.
    /// </summary>
    private static EventTable Convert(Schema schema, Func<RecordBatch?> next, string path)
    {
        var fields = schema.FieldsList;
        var parts = fields.Select(_ => new List<Array>()).ToArray();
        for (int k = 1; Guarded(path, $"record batch {k}", next) is { } batch; k++)
            using (batch)
                for (int c = 0; c < fields.Count; c++)
                    parts[c].Add(Guarded(path, $"column '{fields[c].Name}' of record batch {k}", () => ToArray(batch.Column(c), fields[c], path)));
        var columns = new List<KeyValuePair<string, Array>>();
        for (int c = 0; c < fields.Count; c++)
        {
            var column = parts[c].Count switch
            {
                0 => EmptyOf(fields[c], path),
                1 => parts[c][0],
                _ => EventTable.ConcatColumn(parts[c].ToArray()),
            };
            parts[c] = [];
            columns.Add(new(fields[c].Name, column));
        }
        try
        {
            return new EventTable(columns);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    private static Array EmptyOf(Field field, string path) => field.DataType.TypeId switch
    {
        ArrowTypeId.Float => Array.Empty<float>(),
        ArrowTypeId.Double => Array.Empty<double>(),
        ArrowTypeId.Int64 or ArrowTypeId.UInt32 => Array.Empty<long>(),
        ArrowTypeId.String or ArrowTypeId.LargeString => Array.Empty<string>(),
        ArrowTypeId.Dictionary when ((DictionaryType)field.DataType).ValueType.TypeId is ArrowTypeId.String or ArrowTypeId.LargeString => Array.Empty<string>(),
        ArrowTypeId.Int32 or ArrowTypeId.Int16 or ArrowTypeId.Int8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt8 or ArrowTypeId.Boolean => Array.Empty<int>(),
        _ => throw Unsupported(field, path),
    };

    private static NotSupportedException Unsupported(Field field, string path) => new(
        $"{path}: column '{field.Name}' has Arrow type {field.DataType.Name}, which is not supported (float32, float64, int8-64, uint8-32, bool, string, large_string and dictionary-encoded strings are).");

    private static Array ToArray(IArrowArray array, Field field, string path)
    {
        void NoNulls()
        {
            if (array.NullCount > 0)
                throw new InvalidDataException($"{path}: column '{field.Name}' has {array.NullCount} missing values; only floating-point columns may have them (read as NaN).");
        }
        switch (array)
        {
            case DoubleArray d:
                {
                    var r = d.Values.ToArray();
                    if (d.NullCount > 0) for (int i = 0; i < r.Length; i++) if (d.IsNull(i)) r[i] = double.NaN;
                    return r;
                }
            case FloatArray f:
                {
                    var r = f.Values.ToArray();
                    if (f.NullCount > 0) for (int i = 0; i < r.Length; i++) if (f.IsNull(i)) r[i] = float.NaN;
                    return r;
                }
            case Int32Array a: NoNulls(); return a.Values.ToArray();
            case Int64Array a: NoNulls(); return a.Values.ToArray();
            case Int16Array a: NoNulls(); return Widen(a.Values);
            case Int8Array a: NoNulls(); return Widen(a.Values);
            case UInt16Array a: NoNulls(); return Widen(a.Values);
            case UInt8Array a: NoNulls(); return Widen(a.Values);
            case UInt32Array a:
                {
                    NoNulls();
                    var r = new long[a.Length];
                    for (int i = 0; i < r.Length; i++) r[i] = a.Values[i];
                    return r;
                }
            case BooleanArray b:
                {
                    NoNulls();
                    var r = new int[b.Length];
                    for (int i = 0; i < r.Length; i++) r[i] = b.GetValue(i) == true ? 1 : 0;
                    return r;
                }
            case StringArray s:
                NoNulls();
                return Strings(s.ValueOffsets, s.Values, s.Length, field, path);
            case LargeStringArray s:
                NoNulls();
                return Strings(s.ValueOffsets, s.ValueBuffer.Span, s.Length, field, path);
            case DictionaryArray d when ToArray(d.Dictionary, field, path) is string[] words:
                {
                    // pandas' category dtype: integer codes into a dictionary of strings.
                    NoNulls();
                    var codes = ToArray(d.Indices, field, path);
                    var r = new string[d.Length];
                    for (int i = 0; i < r.Length; i++)
                    {
                        long code = codes is long[] l ? l[i] : ((int[])codes)[i];
                        if ((ulong)code >= (ulong)words.Length)
                            throw new InvalidDataException($"{path}: column '{field.Name}' has dictionary code {code} at row {i + 1}, outside the {words.Length} entries.");
                        r[i] = words[code];
                    }
                    return r;
                }
            default: throw Unsupported(field, path);
        }
    }

    // Offsets are checked here: Apache.Arrow's GetString trusts them and reads out of bounds on corrupt files.
    private static string[] Strings<TOffset>(ReadOnlySpan<TOffset> offsets, ReadOnlySpan<byte> bytes, int length, Field field, string path)
        where TOffset : struct, System.Numerics.IBinaryInteger<TOffset>
    {
        if (offsets.Length < length + 1) throw new InvalidDataException($"{path}: column '{field.Name}' has {offsets.Length} string offsets for {length} rows.");
        var r = new string[length];
        for (int i = 0; i < r.Length; i++)
        {
            long start = long.CreateTruncating(offsets[i]), end = long.CreateTruncating(offsets[i + 1]);
            if (start < 0 || end < start || end > bytes.Length)
                throw new InvalidDataException($"{path}: column '{field.Name}' has corrupt string offsets at row {i + 1}.");
            r[i] = Encoding.UTF8.GetString(bytes[(int)start..(int)end]);
        }
        return r;
    }

    private static int[] Widen<T>(ReadOnlySpan<T> values) where T : struct, IConvertible
    {
        var r = new int[values.Length];
        for (int i = 0; i < r.Length; i++) r[i] = values[i].ToInt32(null);
        return r;
    }

    /// <summary>Writes an uncompressed Arrow IPC file (Feather v2), one record batch, non-nullable columns.</summary>
    public static void Write(EventTable table, Stream stream)
    {
        var fields = new List<Field>();
        var arrays = new List<IArrowArray>();
        foreach (var name in table.ColumnNames)
        {
            (IArrowType type, IArrowArray array) = table.Column(name) switch
            {
                float[] f => ((IArrowType)FloatType.Default, (IArrowArray)new FloatArray.Builder().AppendRange(f).Build()),
                double[] d => (DoubleType.Default, new DoubleArray.Builder().AppendRange(d).Build()),
                int[] n => (Int32Type.Default, new Int32Array.Builder().AppendRange(n).Build()),
                long[] l => (Int64Type.Default, new Int64Array.Builder().AppendRange(l).Build()),
                string[] s => (StringType.Default, new StringArray.Builder().AppendRange(s).Build()),
                _ => throw new InvalidOperationException(),
            };
            fields.Add(new Field(name, type, nullable: false));
            arrays.Add(array);
        }
        var schema = new Schema(fields, null);
        using var batch = new RecordBatch(schema, arrays, table.RowCount);
        using var writer = new ArrowFileWriter(stream, schema, leaveOpen: true);
        writer.WriteRecordBatch(batch);
        writer.WriteEnd();
    }
}
