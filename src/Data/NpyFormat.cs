using System.Buffers.Binary;
using System.Text;

namespace FastAD.Data;

/// <summary>
/// NumPy <c>.npy</c> (format versions 1–3) and <c>.npz</c> archives. Supported element types are float32,
/// float64, int32, int64 (either byte order), bool (read as int32) and fixed-width text (<c>U</c>, <c>S</c>).
/// A 1-D array is one column, a 2-D array one column per index of its second axis (C or Fortran order),
/// and a 1-D structured array one column per named field. Tables are written as a 1-D structured array
/// (<c>.npy</c>) or one 1-D array per column (<c>.npz</c>, as <c>np.savez(**columns)</c>).
/// </summary>
public static partial class NpyFormat
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
}
