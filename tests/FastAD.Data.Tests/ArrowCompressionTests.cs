using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>
/// LZ4- and ZSTD-compressed Arrow files (pandas' and pyarrow's defaults), their buffers compressed by the lz4 and zstd
/// command-line tools (frames with linked blocks, block checksums, content sizes), decoded by the library codecs.
/// </summary>
public sealed class ArrowCompressionTests() : TempFolderTests("fastad-arrow-codecs-")
{
    private const string Lz4Tool = "/usr/bin/lz4";

    private static byte[] Tool(string tool, byte[] input, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        p.StandardInput.BaseStream.Write(input);
        p.StandardInput.Close();
        copy.Wait();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        return output.ToArray();
    }

    /// <summary>Compresses Arrow buffers with an external tool, as pyarrow does with its own LZ4/ZSTD.</summary>
    private sealed class ToolCodecs(string tool, string[] options) : ICompressionCodecFactory
    {
        public ICompressionCodec CreateCodec(CompressionCodecType type) => new Codec(tool, options);
        public ICompressionCodec CreateCodec(CompressionCodecType type, int? level) => new Codec(tool, options);

        private sealed class Codec(string tool, string[] options) : ICompressionCodec
        {
            public int Decompress(ReadOnlyMemory<byte> source, Memory<byte> destination) => throw new NotSupportedException();
            public void Compress(ReadOnlyMemory<byte> source, Stream destination) => destination.Write(Tool(tool, source.ToArray(), ["-c", "-q", .. options]));
            public void Dispose() { }
        }
    }

    private string WriteCompressed(string tool, CompressionCodecType type, int rows, params string[] options)
    {
        var schema = new Schema([new Field("dimu_mass", DoubleType.Default, false), new Field("selection", StringType.Default, false), new Field("n", Int32Type.Default, false)], null);
        var mass = Enumerable.Range(0, rows).Select(i => 9 + (i % 1000) / 500.0).ToArray();
        string path = Path.Combine(Folder, $"{type}.feather");
        using var stream = File.Create(path);
        using var batch = new RecordBatch(schema,
            [new DoubleArray.Builder().AppendRange(mass).Build(), new StringArray.Builder().AppendRange(Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? "os_cathode" : "ss")).Build(),
             new Int32Array.Builder().AppendRange(Enumerable.Range(0, rows)).Build()], rows);
        using var writer = new ArrowFileWriter(stream, schema, leaveOpen: false,
            new IpcOptions { CompressionCodec = type, CompressionCodecFactory = new ToolCodecs(tool, options) });
        writer.WriteRecordBatch(batch);
        writer.WriteEnd();
        return path;
    }

    [SkippableTheory]
    [InlineData("lz4", "-4", "-B4", "-BD")]             // 64 KiB linked blocks: matches reach into earlier blocks
    [InlineData("lz4", "-1", "-B4", "-BX")]             // block checksums
    [InlineData("lz4", "-9", "-B7", "--content-size")] // content size in the header
    [InlineData("zstd", "-3")]
    [InlineData("zstd", "-19", "--long")]
    public void ReadsCompressedFeatherColumnForColumn(string tool, params string[] options)
    {
        Skip.IfNot(File.Exists($"/usr/bin/{tool}"), $"the {tool} tool is not installed");
        const int rows = 50_000;
        var type = tool == "lz4" ? CompressionCodecType.Lz4Frame : CompressionCodecType.Zstd;
        string compressed = WriteCompressed($"/usr/bin/{tool}", type, rows, options);
        var t = EventTableIO.Read(compressed);
        string plain = Path.Combine(Folder, "plain.feather");
        EventTableIO.Write(t, plain);
        Assert.True(new FileInfo(compressed).Length < 0.7 * new FileInfo(plain).Length,
            $"buffers should be compressed: {new FileInfo(compressed).Length} vs {new FileInfo(plain).Length} bytes");
        Assert.Equal(rows, t.RowCount);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => 9 + (i % 1000) / 500.0), t.GetDouble("dimu_mass"));
        Assert.Equal(Enumerable.Range(0, rows), t.View<int>("n").ToArray());
        Assert.Equal(Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? "os_cathode" : "ss"), t.View<string>("selection").ToArray());
    }

    [SkippableTheory]
    [InlineData("lz4", "corrupt LZ4 data")]
    [InlineData("zstd", "corrupt ZSTD data")]
    public void ADamagedCompressedBufferIsACorruptFileNamedWithItsBatch(string tool, string what)
    {
        Skip.IfNot(File.Exists($"/usr/bin/{tool}"), $"the {tool} tool is not installed");
        var type = tool == "lz4" ? CompressionCodecType.Lz4Frame : CompressionCodecType.Zstd;
        string path = WriteCompressed($"/usr/bin/{tool}", type, 20_000);
        var bytes = File.ReadAllBytes(path);
        // The first compressed buffer starts with its frame's magic (LZ4 04 22 4D 18, ZSTD 28 B5 2F FD): break it and the frame after it.
        byte[] magic = tool == "lz4" ? [0x04, 0x22, 0x4D, 0x18] : [0x28, 0xB5, 0x2F, 0xFD];
        int at = bytes.AsSpan().IndexOf(magic);
        Assert.True(at > 0, "no compressed frame found");
        bytes.AsSpan(at, 16).Fill(0x5A);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(path)).Message;
        Assert.True(e.StartsWith($"{path}: corrupt Feather/Arrow file (record batch 1", StringComparison.Ordinal) && e.Contains(what, StringComparison.Ordinal), e);
    }
}
