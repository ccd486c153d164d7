using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace FastAD.Data;

/// <summary>
/// NumPy <c>.npy</c> (format versions 1–3) and <c>.npz</c> archives. Supported element types are float32,
/// float64, int32, int64 (either byte order), bool (read as int32) and fixed-width text (<c>U</c>, <c>S</c>).
/// A 1-D array is one column, a 2-D array one column per index of its second axis (C or Fortran order),
/// and a 1-D structured array one column per named field. Tables are written as a 1-D structured array
/// (<c>.npy</c>) or one 1-D array per column (<c>.npz</c>, as <c>np.savez(**columns)</c>).
/// </summary>
public static class NpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Whether bytes start with the <c>.npy</c> magic string.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) => head.StartsWith(Magic);

    /// <summary>Reads a <c>.npy</c> file.</summary>
    public static EventTable ReadNpy(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadNpy(stream, path);
    }

    /// <summary>Reads a <c>.npy</c> array from a seekable stream (the whole array is read into memory).</summary>
    public static EventTable ReadNpy(Stream stream, string path) => ReadNpy(InputFile.ReadAll(stream, path), path, null);

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

    /// <summary>Parses <c>.npy</c> bytes. <paramref name="key"/> names plain arrays (null: <c>f0, f1, ...</c>).</summary>
    public static EventTable ReadNpy(byte[] bytes, string source, string? key)
    {
        try
        {
            return Parse(bytes, source, key);
        }
        catch (Exception e) when (e is not (InvalidDataException or NotSupportedException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{source} is not a readable .npy file: {e.Message}", e);
        }
    }

    private static EventTable Parse(byte[] bytes, string source, string? key)
    {
        if (bytes.Length < 10 || !HasMagic(bytes)) throw new InvalidDataException($"{source} is not a .npy file (no \\x93NUMPY magic).");
        int major = bytes[6];
        long headerLength;
        int offset;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); offset = 10; }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12) throw new InvalidDataException($"{source}: truncated .npy header.");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
            offset = 12;
        }
        else throw new InvalidDataException($"{source}: .npy format version {major}.{bytes[7]} is not supported (1.0 to 3.0 are).");
        if (offset + headerLength > bytes.Length)
            throw new InvalidDataException($"{source}: truncated .npy header ({bytes.Length} bytes, the header needs {offset + headerLength}).");
        string headerText = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, offset, (int)headerLength);
        var header = new PyLiteral(headerText, source).ParseDictionary();
        if (!header.TryGetValue("descr", out var descr) || !header.TryGetValue("shape", out var shapeObj))
            throw new InvalidDataException($"{source}: the .npy header lacks 'descr' or 'shape': {headerText.Trim()}");
        bool fortran = header.TryGetValue("fortran_order", out var f) && f is true;
        if (shapeObj is not List<object> shapeList || shapeList.Any(o => o is not long))
            throw new InvalidDataException($"{source}: the .npy header's shape is not a tuple of integers: {headerText.Trim()}");
        var shape = shapeList.Select(o => (long)o).ToArray();
        // Lengths read from the file are checked before anything is allocated from them: a corrupt header must not
        // become a negative or huge allocation.
        if (shape.Any(n => n < 0))
            throw new InvalidDataException($"{source}: the .npy header gives a negative dimension (shape ({string.Join(", ", shape)})); the file is corrupt.");
        if (shape.Any(n => n > int.MaxValue))
            throw new InvalidDataException($"{source}: the .npy header gives shape ({string.Join(", ", shape)}), more rows than a table holds ({int.MaxValue:N0}).");
        var data = bytes.AsMemory((int)(offset + headerLength));

        if (descr is string simple)
        {
            var field = ParseField(simple, source, key ?? "f0");
            long rows = shape.Length == 0 ? 1 : shape[0];
            long width = shape.Length switch
            {
                <= 1 => 1,
                2 => shape[1],
                _ => throw new InvalidDataException($"{source}: a {shape.Length}-D array cannot be a table (1-D or 2-D arrays, or 1-D structured arrays, are)."),
            };
            if (width > MaxColumns)
                throw new InvalidDataException($"{source}: a 2-D array with {width:N0} columns is more than a table holds ({MaxColumns:N0}).");
            CheckLength(source, data.Length, rows * width, field.Size);
            var columns = new KeyValuePair<string, Array>[width];
            for (int j = 0; j < width; j++)
            {
                string name = shape.Length <= 1 ? key ?? "f0" : key is null ? $"f{j}" : $"{key}_{j}";
                // C order: element (i, j) at i*width + j; Fortran order: at j*rows + i.
                long start = fortran ? j * rows : j, stride = fortran ? 1 : width;
                columns[j] = new(name, field.Read(data.Span, (int)rows, start * field.Size, stride * field.Size));
            }
            return new EventTable(columns);
        }
        if (descr is List<object> fields)
        {
            if (shape.Length > 1) throw new InvalidDataException($"{source}: a {shape.Length}-D structured array cannot be a table (1-D can).");
            long rows = shape.Length == 0 ? 1 : shape[0];
            var parsed = new List<(string Name, Field Field, int Offset)>();
            long itemSize = 0;
            foreach (var item in fields)
            {
                if (item is not List<object> { Count: >= 2 } tuple || tuple[0] is not string name)
                    throw new InvalidDataException($"{source}: unreadable structured dtype field {item}.");
                if (tuple[1] is not string type)
                    throw new NotSupportedException($"{source}: field '{name}' is a nested structure; only flat fields are supported.");
                if (tuple.Count > 2 && tuple[2] is List<object> { Count: > 0 })
                    throw new NotSupportedException($"{source}: field '{name}' is a sub-array ({type} with shape); only scalar fields are supported.");
                if (name.Length == 0 && type.Length > 1 && type[1] == 'V') { itemSize += ParseSize(type, source, name); continue; } // padding
                var parsedField = ParseField(type, source, name);
                parsed.Add((name, parsedField, (int)Math.Min(itemSize, int.MaxValue)));
                itemSize += parsedField.Size;
            }
            if (rows > 0 && itemSize > data.Length)
                throw new InvalidDataException($"{source} is truncated: one item of its dtype is {itemSize:N0} bytes but only {data.Length:N0} bytes of data follow.");
            CheckLength(source, data.Length, rows, itemSize);
            return new EventTable(parsed.Select(p => new KeyValuePair<string, Array>(p.Name, p.Field.Read(data.Span, (int)rows, p.Offset, itemSize))));
        }
        throw new InvalidDataException($"{source}: unreadable dtype {descr}.");
    }

    /// <summary>The most columns a 2-D array may have (a corrupt shape must not allocate billions of empty columns).</summary>
    private const int MaxColumns = 1 << 20;

    private static void CheckLength(string source, long available, long items, long itemSize)
    {
        if (items > int.MaxValue) throw new InvalidDataException($"{source}: {items} rows is more than a table holds.");
        if (available < items * itemSize)
            throw new InvalidDataException(
                $"{source} is truncated: the header promises {items} items of {itemSize} bytes ({items * itemSize} bytes) but only {available} bytes of data follow.");
    }

    private static int ParseSize(string type, string source, string name)
    {
        if (type.Length < 3 || !int.TryParse(type.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            throw new InvalidDataException($"{source}: field '{name}' has unreadable dtype '{type}'.");
        return size;
    }

    private sealed record Field(char Kind, int Size, bool BigEndian)
    {
        public Array Read(ReadOnlySpan<byte> data, int rows, long start, long stride)
        {
            switch (Kind, Size)
            {
                case ('f', 4): return ReadEach(data, rows, start, stride, s => BigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s));
                case ('f', 8): return ReadEach(data, rows, start, stride, s => BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s));
                case ('i', 4): return ReadEach(data, rows, start, stride, s => BigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s));
                case ('i', 8): return ReadEach(data, rows, start, stride, s => BigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s));
                case ('b', 1): return ReadEach(data, rows, start, stride, s => s[0] != 0 ? 1 : 0);
                case ('U', _):
                    {
                        var encoding = BigEndian ? new UTF32Encoding(true, false) : new UTF32Encoding(false, false);
                        return ReadEach(data, rows, start, stride, s => encoding.GetString(s[..Size]).TrimEnd('\0'));
                    }
                default: return ReadEach(data, rows, start, stride, s => Encoding.UTF8.GetString(s[..Size]).TrimEnd('\0'));
            }
        }

        private delegate T Reader<T>(ReadOnlySpan<byte> s);

        private static T[] ReadEach<T>(ReadOnlySpan<byte> data, int rows, long start, long stride, Reader<T> read)
        {
            var result = new T[rows];
            for (int i = 0; i < rows; i++) result[i] = read(data[(int)(start + i * stride)..]);
            return result;
        }
    }

    private static Field ParseField(string type, string source, string name)
    {
        string Unsupported() =>
            $"{source}: column '{name}' has dtype '{type}', which is not supported (float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8', bool '|b1' and text '<U'/'|S' are).";
        if (type.Length < 3) throw new NotSupportedException(Unsupported());
        bool big = type[0] == '>' || (type[0] == '=' && !BitConverter.IsLittleEndian);
        char kind = type[1];
        if (!int.TryParse(type.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int count)) throw new NotSupportedException(Unsupported());
        return (kind, count) switch
        {
            ('f', 4 or 8) or ('i', 4 or 8) or ('b', 1) => new Field(kind, count, big),
            ('U', > 0 and <= int.MaxValue / 4) => new Field('U', 4 * count, big),
            ('S', > 0) => new Field('S', count, big),
            _ => throw new NotSupportedException(Unsupported()),
        };
    }

    /// <summary>Writes the table as one 1-D structured array (field names and types kept).</summary>
    public static void WriteNpy(EventTable table, Stream stream)
    {
        var fields = table.ColumnNames.Select(n => (Name: n, Type: Descr(table, n))).ToList();
        string descr = "[" + string.Join(", ", fields.Select(f => $"({PyString(f.Name)}, '{f.Type.Descr}')")) + (fields.Count == 1 ? ",]" : "]");
        WriteHeader(stream, descr, table.RowCount);
        int itemSize = fields.Sum(f => f.Type.Size);
        var row = new byte[Math.Max(itemSize, 1)];
        var columns = table.ColumnNames.Select(table.Column).ToArray();
        for (int i = 0; i < table.RowCount; i++)
        {
            int offset = 0;
            for (int c = 0; c < columns.Length; c++)
            {
                WriteValue(columns[c], i, row.AsSpan(offset, fields[c].Type.Size));
                offset += fields[c].Type.Size;
            }
            stream.Write(row, 0, itemSize);
        }
    }

    /// <summary>Writes the table as an <c>.npz</c> archive with one 1-D array per column.</summary>
    public static void WriteNpz(EventTable table, Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var name in table.ColumnNames)
        {
            var entry = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression);
            // A fixed time stamp (numpy writes 1980-01-01 too): the same table gives the same bytes.
            entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var s = entry.Open();
            var type = Descr(table, name);
            WriteHeader(s, $"'{type.Descr}'", table.RowCount);
            var column = table.Column(name);
            var buffer = new byte[type.Size * Math.Min(table.RowCount, 65536)];
            for (int start = 0; start < table.RowCount; start += 65536)
            {
                int n = Math.Min(65536, table.RowCount - start);
                for (int i = 0; i < n; i++) WriteValue(column, start + i, buffer.AsSpan(i * type.Size, type.Size));
                s.Write(buffer, 0, n * type.Size);
            }
        }
    }

    private static (string Descr, int Size) Descr(EventTable table, string name) => table.TypeOf(name) switch
    {
        ColumnType.Float32 => ("<f4", 4),
        ColumnType.Float64 => ("<f8", 8),
        ColumnType.Int32 => ("<i4", 4),
        ColumnType.Int64 => ("<i8", 8),
        _ => TextDescr((string[])table.Column(name)),
    };

    private static (string, int) TextDescr(string[] values)
    {
        int chars = Math.Max(1, values.Select(v => v.EnumerateRunes().Count()).DefaultIfEmpty(1).Max());
        return ($"<U{chars}", 4 * chars);
    }

    private static void WriteValue(Array column, int i, Span<byte> target)
    {
        switch (column)
        {
            case float[] f: BinaryPrimitives.WriteSingleLittleEndian(target, f[i]); break;
            case double[] d: BinaryPrimitives.WriteDoubleLittleEndian(target, d[i]); break;
            case int[] n: BinaryPrimitives.WriteInt32LittleEndian(target, n[i]); break;
            case long[] l: BinaryPrimitives.WriteInt64LittleEndian(target, l[i]); break;
            case string[] s:
                target.Clear();
                Encoding.UTF32.GetBytes(s[i], target);
                break;
        }
    }

    private static void WriteHeader(Stream stream, string descr, int rows)
    {
        string dict = $"{{'descr': {descr}, 'fortran_order': False, 'shape': ({rows},), }}";
        var text = Encoding.UTF8.GetBytes(dict);
        // Version 1.0 for short Latin-1 headers, 2.0 for long ones, 3.0 (UTF-8) when a name is not ASCII.
        int major = text.Any(b => b >= 128) ? 3 : text.Length + 10 + 64 < 65536 ? 1 : 2;
        bool v1 = major == 1;
        int prefix = v1 ? 10 : 12;
        int total = (prefix + text.Length + 1 + 63) / 64 * 64;
        int headerLength = total - prefix;
        stream.Write(Magic);
        stream.WriteByte((byte)major);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (v1) { BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerLength); stream.Write(length[..2]); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)headerLength); stream.Write(length); }
        stream.Write(text);
        for (int i = text.Length; i < headerLength - 1; i++) stream.WriteByte((byte)' ');
        stream.WriteByte((byte)'\n');
    }

    private static string PyString(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>A reader for the Python literals in a .npy header: dicts, tuples, lists, strings, ints, booleans.</summary>
    private sealed class PyLiteral(string text, string source)
    {
        private int _pos;

        public Dictionary<string, object> ParseDictionary()
        {
            if (Parse() is not Dictionary<string, object> d) throw Error("the header is not a dictionary");
            return d;
        }

        private InvalidDataException Error(string what) => new($"{source}: unreadable .npy header ({what}): {text.Trim()}");

        private void Skip() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }

        private object Parse()
        {
            Skip();
            if (_pos >= text.Length) throw Error("unexpected end");
            char c = text[_pos];
            switch (c)
            {
                case '{':
                    {
                        _pos++;
                        var d = new Dictionary<string, object>();
                        while (true)
                        {
                            Skip();
                            if (_pos < text.Length && text[_pos] == '}') { _pos++; return d; }
                            if (Parse() is not string k) throw Error("dictionary key is not a string");
                            Skip();
                            if (_pos >= text.Length || text[_pos] != ':') throw Error("expected ':'");
                            _pos++;
                            d[k] = Parse();
                            Separator('}');
                        }
                    }
                case '(' or '[':
                    {
                        char close = c == '(' ? ')' : ']';
                        _pos++;
                        var list = new List<object>();
                        while (true)
                        {
                            Skip();
                            if (_pos < text.Length && text[_pos] == close) { _pos++; return list; }
                            list.Add(Parse());
                            Separator(close);
                        }
                    }
                case '\'' or '"':
                    {
                        var sb = new StringBuilder();
                        _pos++;
                        while (_pos < text.Length && text[_pos] != c)
                        {
                            if (text[_pos] == '\\' && _pos + 1 < text.Length) _pos++;
                            sb.Append(text[_pos++]);
                        }
                        if (_pos >= text.Length) throw Error("unterminated string");
                        _pos++;
                        return sb.ToString();
                    }
                default:
                    {
                        int start = _pos;
                        while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '-' or '+' or '_')) _pos++;
                        string word = text[start.._pos];
                        if (word == "True") return true;
                        if (word == "False") return false;
                        if (word == "None") return "None";
                        if (long.TryParse(word.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
                        throw Error($"unexpected '{(word.Length > 0 ? word : c.ToString())}'");
                    }
            }
        }

        private void Separator(char close)
        {
            Skip();
            if (_pos < text.Length && text[_pos] == ',') { _pos++; return; }
            if (_pos < text.Length && text[_pos] == close) return;
            throw Error($"expected ',' or '{close}'");
        }
    }
}
