using Apache.Arrow.Ipc;
using K4os.Compression.LZ4.Streams;
using ZstdSharp;

namespace FastAD.Data;

/// <summary>
/// The Arrow IPC body codecs, through libraries: LZ4 frames (pandas' and pyarrow's default for Feather v2) through
/// K4os.Compression.LZ4.Streams, ZSTD (pyarrow's other choice) through ZstdSharp.Port. A buffer that decompresses to
/// another length than its header states is corrupt; Apache.Arrow handles the uncompressed-buffer marker itself.
/// </summary>
internal sealed class ArrowCodecs(string path) : ICompressionCodecFactory
{
    public ICompressionCodec CreateCodec(CompressionCodecType compressionCodecType) => compressionCodecType switch
    {
        CompressionCodecType.Lz4Frame => new Lz4Codec(),
        CompressionCodecType.Zstd => new ZstdCodec(),
        _ => throw new NotSupportedException($"{path} is compressed with {compressionCodecType}, which this build cannot read (LZ4 and ZSTD are supported)."),
    };

    public ICompressionCodec CreateCodec(CompressionCodecType compressionCodecType, int? compressionLevel) => CreateCodec(compressionCodecType);

    private static InvalidDataException Mismatch(string codec, long got, int expected) =>
        new(got > expected
            ? $"corrupt {codec} data (a buffer decompresses to more than the {expected:N0} bytes its header says)"
            : $"corrupt {codec} data (a buffer decompresses to {got:N0} bytes, its header says {expected:N0})");

    private sealed class Lz4Codec : ICompressionCodec
    {
        public int Decompress(ReadOnlyMemory<byte> source, Memory<byte> destination)
        {
            int n = 0;
            bool more;
            try
            {
                using var decoder = LZ4Frame.Decode(source);
                int read;
                while (n < destination.Length && (read = decoder.ReadManyBytes(destination.Span[n..])) > 0) n += read;
                more = decoder.ReadOneByte() >= 0;
            }
            catch (Exception e)
            {
                throw new InvalidDataException($"corrupt LZ4 data ({e.Message.TrimEnd('.')})", e);
            }
            if (n < destination.Length || more) throw Mismatch("LZ4", more ? long.MaxValue : n, destination.Length);
            return n;
        }

        public void Compress(ReadOnlyMemory<byte> source, Stream destination) => throw new NotSupportedException("Writing compressed Arrow files is not supported.");

        public void Dispose() { }
    }

    private sealed class ZstdCodec : ICompressionCodec
    {
        private readonly Decompressor _decompressor = new();

        public int Decompress(ReadOnlyMemory<byte> source, Memory<byte> destination)
        {
            int n;
            try
            {
                n = _decompressor.Unwrap(source.Span, destination.Span);
            }
            catch (Exception e)
            {
                throw new InvalidDataException($"corrupt ZSTD data ({e.Message.TrimEnd('.')})", e);
            }
            if (n != destination.Length) throw Mismatch("ZSTD", n, destination.Length);
            return n;
        }

        public void Compress(ReadOnlyMemory<byte> source, Stream destination) => throw new NotSupportedException("Writing compressed Arrow files is not supported.");

        public void Dispose() => _decompressor.Dispose();
    }
}
