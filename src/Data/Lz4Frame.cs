using System.Buffers.Binary;
using Apache.Arrow.Ipc;

namespace FastAD.Data;

/// <summary>
/// Decoder for the LZ4 frame format (lz4.org, frame format 1.6.x), the codec pandas and pyarrow use by
/// default for Feather v2 buffers. Independent and linked blocks, stored (uncompressed) blocks, content
/// size, dictionary id and checksum fields are understood; checksums are skipped, not verified.
/// </summary>
public static class Lz4Frame
{
    private const uint Magic = 0x184D2204;

    /// <summary>Decodes one or more concatenated frames into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int ip = 0, op = 0;
        while (ip < source.Length)
        {
            uint magic = ReadUInt32(source, ref ip);
            if ((magic & 0xFFFFFFF0) == 0x184D2A50)
            {
                // Skippable frame: a length and that many bytes.
                long skip = ReadUInt32(source, ref ip);
                if (ip + skip > source.Length) throw Corrupt("truncated skippable frame");
                ip += (int)skip;
                continue;
            }
            if (magic != Magic) throw Corrupt($"bad frame magic 0x{magic:X8}");
            if (ip + 2 > source.Length) throw Corrupt("truncated frame header");
            byte flags = source[ip];
            ip += 2; // FLG, BD
            if (flags >> 6 != 1) throw Corrupt($"unsupported frame version {flags >> 6}");
            bool blockChecksum = (flags & 0x10) != 0, contentSize = (flags & 0x08) != 0, contentChecksum = (flags & 0x04) != 0, dictionary = (flags & 0x01) != 0;
            if (dictionary) throw Corrupt("frames with an external dictionary are not supported");
            ip += (contentSize ? 8 : 0) + 1; // content size, header checksum
            while (true)
            {
                uint size = ReadUInt32(source, ref ip);
                if (size == 0) break;
                bool stored = (size & 0x80000000u) != 0;
                int length = (int)(size & 0x7FFFFFFFu);
                if ((long)ip + length > source.Length) throw Corrupt("truncated block");
                var block = source.Slice(ip, length);
                if (stored)
                {
                    if ((long)op + length > destination.Length) throw Corrupt("output larger than expected");
                    block.CopyTo(destination[op..]);
                    op += length;
                }
                else op = DecodeBlock(block, destination, op);
                ip += length + (blockChecksum ? 4 : 0);
            }
            ip += contentChecksum ? 4 : 0;
        }
        return op;
    }

    /// <summary>Decodes one LZ4 block, appending at <paramref name="op"/> (earlier output may be referenced); returns the new end.</summary>
    private static int DecodeBlock(ReadOnlySpan<byte> src, Span<byte> dst, int op)
    {
        int ip = 0;
        while (ip < src.Length)
        {
            int token = src[ip++];
            int literals = token >> 4;
            if (literals == 15) literals += ReadLength(src, ref ip);
            if ((long)ip + literals > src.Length || (long)op + literals > dst.Length) throw Corrupt("literal run out of bounds");
            src.Slice(ip, literals).CopyTo(dst[op..]);
            ip += literals;
            op += literals;
            if (ip >= src.Length) break; // the last sequence has literals only
            if (ip + 2 > src.Length) throw Corrupt("truncated match offset");
            int offset = src[ip] | (src[ip + 1] << 8);
            ip += 2;
            if (offset == 0 || offset > op) throw Corrupt($"match offset {offset} out of range");
            int match = (token & 15) + 4;
            if ((token & 15) == 15) match += ReadLength(src, ref ip);
            if ((long)op + match > dst.Length) throw Corrupt("match out of bounds");
            if (offset >= match) dst.Slice(op - offset, match).CopyTo(dst[op..]);
            else for (int k = 0; k < match; k++) dst[op + k] = dst[op - offset + k]; // overlapping copy repeats the pattern
            op += match;
        }
        return op;
    }

    private static int ReadLength(ReadOnlySpan<byte> src, ref int ip)
    {
        int total = 0, b;
        do
        {
            if (ip >= src.Length) throw Corrupt("truncated length");
            b = src[ip++];
            total = checked(total + b);
        } while (b == 255);
        return total;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> source, ref int ip)
    {
        if (ip + 4 > source.Length) throw Corrupt("truncated frame");
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(source[ip..]);
        ip += 4;
        return v;
    }

    private static InvalidDataException Corrupt(string what) => new($"corrupt LZ4 data: {what}");
}

/// <summary>Arrow codecs this build carries: LZ4 frame decompression; ZSTD is refused with a clear message.</summary>
internal sealed class ArrowCodecs(string path) : ICompressionCodecFactory
{
    public ICompressionCodec CreateCodec(CompressionCodecType compressionCodecType) => compressionCodecType switch
    {
        CompressionCodecType.Lz4Frame => new Lz4Codec(),
        _ => throw new NotSupportedException(
            $"{path} is compressed with {compressionCodecType}, which this build cannot read (uncompressed and LZ4 Feather files are supported); " +
            "re-save it with df.to_feather(path, compression='lz4') or compression='uncompressed'."),
    };

    public ICompressionCodec CreateCodec(CompressionCodecType compressionCodecType, int? compressionLevel) => CreateCodec(compressionCodecType);

    private sealed class Lz4Codec : ICompressionCodec
    {
        public int Decompress(ReadOnlyMemory<byte> source, Memory<byte> destination) => Lz4Frame.Decode(source.Span, destination.Span);

        public void Compress(ReadOnlyMemory<byte> source, Stream destination) =>
            throw new NotSupportedException("Writing compressed Arrow files is not supported.");

        public void Dispose() { }
    }
}
