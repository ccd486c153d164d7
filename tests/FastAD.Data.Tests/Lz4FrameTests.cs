using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>LZ4 frames as the lz4 command-line tool writes them, and LZ4/ZSTD-compressed Arrow files (pandas' default).</summary>
public sealed class Lz4FrameTests() : TempFolderTests("fastad-lz4-")
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

    [SkippableTheory]
    [InlineData("-4", "-B4", "-BD")]             // 64 KiB linked blocks: matches reach into earlier blocks
    [InlineData("-1", "-B4", "-BX")]             // block checksums
    [InlineData("-9", "-B7", "--content-size")] // content size in the header
    public void DecodesWhatTheLz4ToolWrites(params string[] options)
    {
        Skip.IfNot(File.Exists(Lz4Tool), "the lz4 tool is not installed");
        // Real text (compressible, with long repeats) followed by incompressible noise (stored blocks).
        var text = File.ReadAllBytes(Path.Combine(ReferenceData.Folder, "cut_masses.csv"))[..400_000];
        var noise = new byte[100_000];
        new Random(5).NextBytes(noise);
        byte[] input = [.. text, .. noise, .. Enumerable.Repeat((byte)'a', 70_000)];
        var frame = Tool(Lz4Tool, input, ["-c", "-q", .. options]);
        Assert.True(frame.Length < input.Length * 0.7, "the tool should have compressed the text");
        var output = new byte[input.Length];
        Assert.Equal(input.Length, Lz4Frame.Decode(frame, output));
        Assert.Equal(input, output);
        var small = new byte[input.Length - 1];
        Assert.Contains("corrupt LZ4 data", Assert.Throws<InvalidDataException>(() => Lz4Frame.Decode(frame, small)).Message);
        Assert.Contains("corrupt LZ4 data", Assert.Throws<InvalidDataException>(() => Lz4Frame.Decode(frame.AsSpan(0, frame.Length / 2), output)).Message);
    }

    /// <summary>Compresses Arrow buffers with an external tool, as pyarrow does with its own LZ4/ZSTD.</summary>
    private sealed class ToolCodecs(string tool) : ICompressionCodecFactory
    {
        public ICompressionCodec CreateCodec(CompressionCodecType type) => new Codec(tool);
        public ICompressionCodec CreateCodec(CompressionCodecType type, int? level) => new Codec(tool);

        private sealed class Codec(string tool) : ICompressionCodec
        {
            public int Decompress(ReadOnlyMemory<byte> source, Memory<byte> destination) => throw new NotSupportedException();
            public void Compress(ReadOnlyMemory<byte> source, Stream destination) => destination.Write(Tool(tool, source.ToArray(), "-c", "-q"));
            public void Dispose() { }
        }
    }

    private string WriteCompressed(string tool, CompressionCodecType type, int rows)
    {
        var schema = new Schema([new Field("dimu_mass", DoubleType.Default, false), new Field("selection", StringType.Default, false), new Field("n", Int32Type.Default, false)], null);
        var mass = Enumerable.Range(0, rows).Select(i => 9 + (i % 1000) / 500.0).ToArray();
        string path = Path.Combine(Folder, $"{type}.feather");
        using var stream = File.Create(path);
        using var batch = new RecordBatch(schema,
            [new DoubleArray.Builder().AppendRange(mass).Build(), new StringArray.Builder().AppendRange(Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? "os_cathode" : "ss")).Build(),
             new Int32Array.Builder().AppendRange(Enumerable.Range(0, rows)).Build()], rows);
        using var writer = new ArrowFileWriter(stream, schema, leaveOpen: false,
            new IpcOptions { CompressionCodec = type, CompressionCodecFactory = new ToolCodecs(tool) });
        writer.WriteRecordBatch(batch);
        writer.WriteEnd();
        return path;
    }

    [SkippableFact]
    public void ReadsLz4CompressedFeatherAndRefusesZstdClearly()
    {
        Skip.IfNot(File.Exists(Lz4Tool), "the lz4 tool is not installed");
        const int rows = 50_000;
        string lz4 = WriteCompressed(Lz4Tool, CompressionCodecType.Lz4Frame, rows);
        var t = EventTableIO.Read(lz4);
        string plain = Path.Combine(Folder, "plain.feather");
        EventTableIO.Write(t, plain);
        Assert.True(new FileInfo(lz4).Length < 0.7 * new FileInfo(plain).Length,
            $"buffers should be compressed: {new FileInfo(lz4).Length} vs {new FileInfo(plain).Length} bytes");
        Assert.Equal(rows, t.RowCount);
        Assert.Equal(Enumerable.Range(0, rows).Select(i => 9 + (i % 1000) / 500.0), t.GetDouble("dimu_mass"));
        Assert.Equal(Enumerable.Range(0, rows), t.View<int>("n").ToArray());
        Assert.Equal(rows / 3 + 1, t.WhereEquals(new Dictionary<string, string> { ["selection"] = "os_cathode" }).RowCount);

        Skip.IfNot(File.Exists("/usr/bin/zstd"), "the zstd tool is not installed");
        string zstd = WriteCompressed("/usr/bin/zstd", CompressionCodecType.Zstd, 1000);
        var e = Assert.Throws<NotSupportedException>(() => EventTableIO.Read(zstd)).Message;
        Assert.Contains("is compressed with Zstd, which this build cannot read", e);
    }
}
