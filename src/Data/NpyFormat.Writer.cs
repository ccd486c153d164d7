using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FastAD.Data;

// Writing: a table as one structured .npy array or as an .npz of one array per column.
public static partial class NpyFormat
{
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
}
