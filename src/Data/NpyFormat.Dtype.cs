using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace FastAD.Data;

// Element types: a dtype string such as '<f8' or '<U12' and the reader of its values.
public static partial class NpyFormat
{
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
}
