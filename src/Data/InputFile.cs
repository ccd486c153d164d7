using System.Text;

namespace FastAD.Data;

/// <summary>
/// A data file opened once for reading: its first bytes decide the format and the same stream is read on, so a named
/// pipe (FIFO) or <c>/dev/stdin</c> works (opening it twice would hang or lose the bytes already sniffed). Input that
/// cannot seek, or says it has no length (pipes, character devices, <c>/proc</c> files), is read through: delimited
/// text as a stream, the binary formats into memory (up to 2 GiB). Content that has no known magic and is not text
/// (NUL or other control bytes in its first 512 bytes) is refused before anything else is read, so <c>/dev/zero</c>
/// or an unrelated binary file fails at once with its first bytes and the formats expected.
/// </summary>
internal sealed class InputFile : IDisposable
{
    /// <summary>How many bytes are looked at to tell the format.</summary>
    internal const int SniffLength = 512;

    private readonly Stream _owner;

    private InputFile(Stream stream, Stream owner, EventTableIO.Format format)
    {
        Stream = stream;
        _owner = owner;
        Format = format;
    }

    /// <summary>The stream positioned at the file's first byte; seekable except for delimited text from a pipe.</summary>
    public Stream Stream { get; }

    /// <summary>The format the first bytes (or, without a magic, the extension) show.</summary>
    public EventTableIO.Format Format { get; }

    /// <summary>Opens <paramref name="path"/>, sniffs the format and refuses content that is neither a binary format nor text.</summary>
    public static InputFile Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            bool regular = file.CanSeek && file.Length > 0;
            var head = new byte[SniffLength];
            int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            Array.Resize(ref head, n);
            var format = Classify(path, head);
            if (regular)
            {
                file.Position = 0;
                return new InputFile(file, file, format);
            }
            var rest = new PrefixedStream(head, file);
            return format == EventTableIO.Format.Delimited ? new InputFile(rest, file, format) : new InputFile(Buffer(rest, path), file, format);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The format of a file whose first bytes are <paramref name="head"/>; unknown binary content is an error.</summary>
    internal static EventTableIO.Format Classify(string path, ReadOnlySpan<byte> head)
    {
        if (EventTableIO.FormatOfMagic(head) is { } magic) return magic;
        var byExtension = EventTableIO.FormatOf(path, reading: true);
        string starts = head.IsEmpty ? "it is empty" : $"it starts with bytes {Hex(head)}";
        switch (byExtension)
        {
            case EventTableIO.Format.Npy: throw new InvalidDataException($"{path} is not a .npy file (no \\x93NUMPY magic; {starts}).");
            case EventTableIO.Format.Npz: throw new InvalidDataException($"{path} is not a valid .npz (zip) archive (no PK magic; {starts}).");
            case EventTableIO.Format.Arrow:
                throw new InvalidDataException($"{path} is not an Arrow IPC / Feather v2 file (no ARROW1 magic; {starts}).");
            case EventTableIO.Format.Hdf5: throw new InvalidDataException($"{path} is not an HDF5 file (no \\x89HDF signature; {starts}).");
            case EventTableIO.Format.Parquet: throw new InvalidDataException($"{path} is not a Parquet file (no PAR1 magic; {starts}).");
        }
        if (!LooksLikeText(head))
            throw new InvalidDataException($"{path}: not a CSV, .npy, .npz, Feather, HDF5 or Parquet file (starts with bytes {Hex(head)}){Hint(head)}.");
        return EventTableIO.Format.Delimited;
    }

    /// <summary>Text: a byte-order mark, or no control bytes other than tab, line feed, vertical tab, form feed and carriage return.</summary>
    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) ||
            head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return true;
        foreach (byte b in head)
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or 0x0B or 0x0C or (byte)'\r'))
                return false;
        return true;
    }

    private static string Hint(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) return "; it looks gzip-compressed: decompress it first";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD])) return "; it looks zstd-compressed: decompress it first";
        if (head.StartsWith("BZh"u8) || head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])) return "; it looks compressed: decompress it first";
        if (head.StartsWith("root"u8)) return "; it looks like a ROOT file: export the tree to .npz or Feather (e.g. with uproot)";
        return "";
    }

    private static string Hex(ReadOnlySpan<byte> head)
    {
        var sb = new StringBuilder();
        foreach (byte b in head[..Math.Min(head.Length, 8)]) sb.Append(sb.Length == 0 ? "" : " ").Append(b.ToString("X2"));
        return sb.ToString();
    }

    /// <summary>Everything a non-seekable stream holds, in memory; more than a byte array can hold is an error naming the file.</summary>
    private static MemoryStream Buffer(Stream source, string path)
    {
        var memory = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = source.Read(chunk)) > 0)
        {
            if (memory.Length + n > Array.MaxLength)
                throw new InvalidDataException($"{path}: more than {Array.MaxLength:N0} bytes arrived through a pipe or device, more than can be read into memory; save the data as a regular file.");
            memory.Write(chunk, 0, n);
        }
        memory.Position = 0;
        return memory;
    }

    /// <summary>All bytes from the current position of a seekable stream (a .npy file); more than 2 GiB is an error naming the file.</summary>
    internal static byte[] ReadAll(Stream stream, string path)
    {
        if (stream is MemoryStream memory && memory.Position == 0) return memory.ToArray();
        long length = stream.Length - stream.Position;
        if (length > Array.MaxLength)
            throw new InvalidDataException($"{path} holds {length:N0} bytes, more than one .npy array read into memory can be ({Array.MaxLength:N0}); save it as .npz or Feather in parts.");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stream.Dispose();
        _owner.Dispose();
    }

    /// <summary>A read-only stream that yields <c>head</c> and then the rest of <c>inner</c>.</summary>
    private sealed class PrefixedStream(byte[] head, Stream inner) : Stream
    {
        private int _at;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            if (_at < head.Length)
            {
                int n = Math.Min(buffer.Length, head.Length - _at);
                head.AsSpan(_at, n).CopyTo(buffer);
                _at += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
