using System.Globalization;
using System.Text.Json;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>
/// Parquet written by parquet-wasm 0.8.0 (arrow-rs's writer) and ZSTD/LZ4-compressed Arrow IPC written by apache-arrow
/// 21.2.0 (JS), both pinned in tests/writers, read back column for column against the values the test handed them.
/// </summary>
public sealed class NodeWrittenFormatTests() : TempFolderTests("fastad-node-formats-")
{
    private const int Rows = 5500;

    /// <summary>The columns (as JSON values: null is missing, int64 as text so that no digit is lost) and what we should read.</summary>
    private static (object[] Columns, Dictionary<string, double[]> Expected) Columns(bool withNullInt = false)
    {
        double? X(int i) => i % 97 == 5 ? null : Math.Sin(i) * Math.Pow(10, i % 40 - 20);
        float F(int i) => (float)(i / 3.0);
        long L(int i) => i == 0 ? long.MinValue + 1 : long.MaxValue - 1_000_003L * i;
        var idx = Enumerable.Range(0, Rows).ToArray();
        object[] columns =
        [
            new { name = "mjj", type = "float64", values = idx.Select(X).ToArray() },
            new { name = "mj1", type = "float32", values = idx.Select(F).ToArray() },
            new { name = "event", type = "int64", values = idx.Select(i => L(i).ToString(CultureInfo.InvariantCulture)).ToArray() },
            new { name = "n", type = "int32", values = idx.Select(i => withNullInt && i == 4321 ? (int?)null : i - 2000).ToArray() },
            new { name = "q", type = "int16", values = idx.Select(i => (short)(i % 300 - 150)).ToArray() },
            new { name = "b", type = "uint8", values = idx.Select(i => i % 256).ToArray() }, // ints: System.Text.Json writes a byte[] as base64,
            new { name = "label", type = "bool", values = idx.Select(i => i % 3 == 0).ToArray() },
        ];
        var expected = new Dictionary<string, double[]>
        {
            ["mjj"] = idx.Select(i => X(i) ?? double.NaN).ToArray(),
            ["mj1"] = idx.Select(i => (double)F(i)).ToArray(),
            ["n"] = idx.Select(i => (double)(i - 2000)).ToArray(),
            ["q"] = idx.Select(i => (double)(i % 300 - 150)).ToArray(),
            ["b"] = idx.Select(i => (double)(i % 256)).ToArray(),
            ["label"] = idx.Select(i => i % 3 == 0 ? 1.0 : 0.0).ToArray(),
        };
        return (columns, expected);
    }

    private static readonly string[] Selections = ["os_cathode", "ss", "mü_µ"];

    private string Write(string format, string compression, int rowGroupRows, bool withNullInt = false)
    {
        var (columns, _) = Columns(withNullInt);
        object[] all = [.. columns, new { name = "selection", type = "utf8", values = Enumerable.Range(0, Rows).Select(i => Selections[i % 3]).ToArray() }];
        string output = PathOf($"{compression}.{(format == "parquet" ? "parquet" : "arrow")}"), spec = PathOf("spec.json");
        File.WriteAllText(spec, JsonSerializer.Serialize(new { format, compression, rowGroupRows, @out = output, columns = all }));
        ExternalWriters.Node("write.mjs", spec);
        return output;
    }

    private static void AssertRead(string path, EventTableIO.Format expectedFormat)
    {
        var t = EventTableIO.Read(path, null, out _, out var format);
        Assert.Equal(expectedFormat, format);
        Assert.Equal(["mjj", "mj1", "event", "n", "q", "b", "label", "selection"], t.ColumnNames);
        Assert.Equal(Rows, t.RowCount);
        foreach (var (name, values) in Columns().Expected) Assert.Equal(values, t.GetDouble(name));
        Assert.Equal(ColumnType.Float32, t.TypeOf("mj1"));
        Assert.Equal(Enumerable.Range(0, Rows).Select(i => i == 0 ? long.MinValue + 1 : long.MaxValue - 1_000_003L * i), t.View<long>("event").ToArray());
        Assert.Equal(Enumerable.Range(0, Rows).Select(i => Selections[i % 3]), t.View<string>("selection").ToArray());
    }

    [SkippableTheory]
    [InlineData("zstd")]
    [InlineData("snappy")]
    [InlineData("gzip")]
    [InlineData("uncompressed")]
    public void ParquetFromParquetWasmReadsColumnForColumnAcrossRowGroups(string compression) =>
        AssertRead(Write("parquet", compression, rowGroupRows: 1000), EventTableIO.Format.Parquet);

    [SkippableTheory]
    [InlineData("zstd")]
    [InlineData("lz4")]
    public void CompressedArrowFromApacheArrowJsReadsColumnForColumnAcrossBatches(string compression)
    {
        Skip.IfNot(File.Exists($"/usr/bin/{compression}"), $"the {compression} tool is not installed");
        AssertRead(Write("arrow", compression, rowGroupRows: 2000), EventTableIO.Format.Arrow);
    }

    [SkippableFact]
    public void ParquetNullsOutsideFloatsTruncationAndACorruptFooterAreNamed()
    {
        string nulls = Write("parquet", "zstd", rowGroupRows: 1000, withNullInt: true);
        Assert.Equal($"{nulls}: column 'n' has a missing value at row 4322; only floating-point columns may have them (read as NaN).",
            Assert.Throws<InvalidDataException>(() => EventTableIO.Read(nulls)).Message);

        string good = Write("parquet", "snappy", rowGroupRows: 1000);
        var bytes = File.ReadAllBytes(good);
        string bad = PathOf("bad.parquet");
        File.WriteAllBytes(bad, bytes[..(bytes.Length - 100)]);
        Assert.Equal($"{bad} is truncated: a Parquet file ends with PAR1, this one does not.", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(bad)).Message);
        var garbled = (byte[])bytes.Clone();
        int footer = BitConverter.ToInt32(bytes, bytes.Length - 8);
        garbled.AsSpan(bytes.Length - 8 - footer, footer).Fill(0xC3);
        File.WriteAllBytes(bad, garbled);
        Assert.StartsWith($"{bad}: corrupt Parquet file (", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(bad)).Message);
        BitConverter.TryWriteBytes(garbled.AsSpan(bytes.Length - 8), bytes.Length * 2);
        File.WriteAllBytes(bad, garbled);
        Assert.Equal($"{bad}: corrupt Parquet file (footer: its length field says {bytes.Length * 2:N0} bytes, the file has {bytes.Length:N0}).",
            Assert.Throws<InvalidDataException>(() => EventTableIO.Read(bad)).Message);
    }

    [SkippableFact]
    public void ParquetWasmReadsWhatFastAdWritesColumnForColumn()
    {
        int n = 50;
        var table = EventTable.FromColumns(
            ("mass", Enumerable.Range(0, n).Select(i => Math.PI * i - 1e-300 * i + (i == 3 ? double.NaN : 0) + (i == 4 ? double.NegativeInfinity : 0)).ToArray()),
            ("pt", Enumerable.Range(0, n).Select(i => (float)Math.Sqrt(i + 0.1) * (i % 2 == 0 ? 1 : -1)).ToArray()),
            ("n_jets", Enumerable.Range(0, n).Select(i => i * 1_000_003 % 17 - 8).ToArray()),
            ("event", Enumerable.Range(0, n).Select(i => long.MaxValue - 977L * i).ToArray()),
            ("selection", Enumerable.Range(0, n).Select(i => i % 3 == 0 ? "os_cathode" : i % 3 == 1 ? "ss" : "mü_µ").ToArray()));
        string path = PathOf("ours.parquet");
        using (var stream = File.Create(path)) ParquetFormat.Write(table, stream, rowGroupRows: 7); // 8 row groups, the last of 1 row
        using var json = JsonDocument.Parse(ExternalWriters.Node("read.mjs", path));
        var columns = json.RootElement.GetProperty("columns").EnumerateArray().ToList();
        Assert.Equal(table.ColumnNames, columns.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["Float64", "Float32", "Int32", "Int64", "Utf8"], columns.Select(c => c.GetProperty("type").GetString()));
        Assert.All(columns, c => Assert.False(c.GetProperty("nullable").GetBoolean()));
        string[] Values(int c) => columns[c].GetProperty("values").EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(table.GetDouble("mass"), Values(0).Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(table.GetDouble("pt"), Values(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(table.View<int>("n_jets").ToArray(), Values(2).Select(v => int.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(table.View<long>("event").ToArray(), Values(3).Select(v => long.Parse(v, CultureInfo.InvariantCulture)));
        Assert.Equal(table.View<string>("selection").ToArray(), Values(4));
    }
}
