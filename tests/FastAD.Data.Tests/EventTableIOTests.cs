using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

public sealed class EventTableIOTests() : TempFolderTests("fastad-io-")
{
    private static string Fixture(string name) => Path.Combine(Layering.RepositoryRoot(), "tests", "FastAD.Data.Tests", "Fixtures", name);

    private static EventTable AllTypes(int n) => EventTable.FromColumns(
        ("mass", Enumerable.Range(0, n).Select(i => Math.PI * i - 1e-300 * i + (i == 3 ? double.NaN : 0) + (i == 4 ? double.NegativeInfinity : 0)).ToArray()),
        ("pt", Enumerable.Range(0, n).Select(i => (float)Math.Sqrt(i + 0.1) * (i % 2 == 0 ? 1 : -1)).ToArray()),
        ("n_jets", Enumerable.Range(0, n).Select(i => i * 1_000_003 % 17 - 8).ToArray()),
        ("event", Enumerable.Range(0, n).Select(i => long.MaxValue - 977L * i).ToArray()),
        ("selection", Enumerable.Range(0, n).Select(i => i % 3 == 0 ? "os_cathode" : i % 3 == 1 ? "ss" : "mü_µ").ToArray()));

    private static void AssertSameValues(EventTable expected, EventTable actual, bool typesKept)
    {
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        Assert.Equal(expected.RowCount, actual.RowCount);
        foreach (var name in expected.ColumnNames)
        {
            if (typesKept) Assert.Equal(expected.TypeOf(name), actual.TypeOf(name));
            if (expected.TypeOf(name) == ColumnType.Text) Assert.Equal(expected.GetStrings(name), actual.GetStrings(name));
            else Assert.Equal(expected.GetDouble(name), actual.GetDouble(name)); // exact, NaN equal to NaN
        }
    }

    [Theory]
    [InlineData("t.npy", true)]
    [InlineData("t.npz", true)]
    [InlineData("t.feather", true)]
    [InlineData("t.arrow", true)]
    [InlineData("t.parquet", true)]
    [InlineData("t.csv", false)]
    [InlineData("t.tsv", false)]
    public void RoundTripsEveryColumnTypeExactly(string name, bool typesKept)
    {
        var table = AllTypes(1000);
        string path = PathOf(name);
        EventTableIO.Write(table, path);
        var back = EventTableIO.Read(path);
        AssertSameValues(table, back, typesKept);
        if (!typesKept)
        {
            // Text keeps only text, integers and doubles: float32 comes back as the double it printed as.
            Assert.Equal(new[] { ColumnType.Float64, ColumnType.Float64, ColumnType.Int32, ColumnType.Int64, ColumnType.Text },
                back.ColumnNames.Select(back.TypeOf));
        }
        Assert.Equal(new[] { name }, Directory.GetFiles(Folder).Select(Path.GetFileName)); // no temporary files left
    }

    [Fact]
    public void FormatComesFromMagicBytesBeforeTheExtension()
    {
        var table = AllTypes(5);
        foreach (var (writeAs, format) in new[] { ("a.npy", EventTableIO.Format.Npy), ("b.npz", EventTableIO.Format.Npz), ("c.feather", EventTableIO.Format.Arrow) })
        {
            EventTableIO.Write(table, PathOf(writeAs));
            string renamed = PathOf(writeAs + ".data.csv");
            File.Move(PathOf(writeAs), renamed);
            Assert.Equal(format, EventTableIO.DetectFormat(renamed));
            AssertSameValues(table, EventTableIO.Read(renamed), true);
        }
        Assert.Contains("extension '.xyz'", Assert.Throws<ArgumentException>(() => EventTableIO.Write(table, PathOf("t.xyz"))).Message);
    }

    [Fact]
    public void ReadsBothCmsFiles()
    {
        string cut = Path.Combine(ReferenceData.Folder, "cut_masses.csv");
        var t = EventTableIO.Read(cut);
        Assert.Equal(File.ReadLines(cut).Count() - 1, t.RowCount);
        Assert.Equal(new[] { ColumnType.Text, ColumnType.Float64, ColumnType.Float64 }, t.ColumnNames.Select(t.TypeOf));
        var selected = t.WhereEquals(new Dictionary<string, string> { ["selection"] = "os_cathode", ["fpr"] = "1" });
        Assert.Equal(ReferenceData.CutMasses("os_cathode", "1"), selected.GetDouble("dimu_mass"));
        Assert.Equal(ReferenceData.CutMasses("ss_cathode", "0.25"),
            t.WhereEquals(new Dictionary<string, string> { ["selection"] = "ss_cathode", ["fpr"] = "0.25" }).GetDouble("dimu_mass"));

        string features = Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv");
        var f = EventTableIO.Read(features);
        var reference = TestTables.ReadCsv(features);
        Assert.Equal(reference.Keys, f.ColumnNames);
        foreach (var (name, values) in reference) Assert.Equal(values, f.GetDouble(name));
        Assert.Equal(ColumnType.Int32, f.TypeOf("n_jets"));
    }

    [Fact]
    public void ReadsNumpyWrittenFixtures()
    {
        var s = EventTableIO.Read(Fixture("structured.npy"));
        Assert.Equal(new[] { "mass", "pt", "njets", "event", "selection" }, s.ColumnNames);
        Assert.Equal(new[] { ColumnType.Float64, ColumnType.Float32, ColumnType.Int32, ColumnType.Int64, ColumnType.Text }, s.ColumnNames.Select(s.TypeOf));
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(9.5 + 0.25 * i, s.View<double>("mass")[i]);
            Assert.Equal(1.5f * i - 2, s.View<float>("pt")[i]);
            Assert.Equal(i % 3, s.View<int>("njets")[i]);
            Assert.Equal(10_000_000_000L + i, s.View<long>("event")[i]);
            Assert.Equal(i % 2 == 0 ? "os_cathode" : "ss", s.View<string>("selection")[i]);
        }
        var big = EventTableIO.Read(Fixture("bigendian_2d.npy"));
        var fortran = EventTableIO.Read(Fixture("fortran_2d.npy"));
        Assert.Equal(new[] { "f0", "f1", "f2" }, big.ColumnNames);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal((3 * r + c) / 4.0, big.View<double>($"f{c}")[r]);
                Assert.Equal(3 * r + c, fortran.View<int>($"f{c}")[r]);
            }
        Assert.Equal(new[] { -0.25f, -0.125f, 0, 0.125f, 0.25f }, EventTableIO.Read(Fixture("plain_f4.npy")).View<float>("f0").ToArray());
        var z = EventTableIO.Read(Fixture("columns.npz")); // savez_compressed: deflated members
        Assert.Equal(new[] { "x", "label", "w" }, z.ColumnNames);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => i / 5.0), z.View<double>("x").ToArray(), new ToleranceComparer(1e-15));
        Assert.Equal(new long[] { 0, 1, 1, 0, 1, 0 }, z.View<long>("label").ToArray());
        Assert.Equal(Enumerable.Repeat(0.5f, 6), z.View<float>("w").ToArray());
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void MalformedNumpyFilesAreRejectedClearly()
    {
        var truncated = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Fixture("truncated.npy"))).Message;
        Assert.Contains("truncated.npy is truncated: the header promises 7 items of 64 bytes (448 bytes) but only 435 bytes", truncated);
        var i2 = Assert.Throws<NotSupportedException>(() => EventTableIO.Read(Fixture("unsupported_i2.npy"))).Message;
        Assert.Contains("column 'f0' has dtype '<i2', which is not supported", i2);
        Assert.Contains("dtype '<c16'", Assert.Throws<NotSupportedException>(() => EventTableIO.Read(Fixture("unsupported_c16.npy"))).Message);
        Assert.Contains("array 'b' has 4 rows but 'a' has 3", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Fixture("mismatched.npz"))).Message);
        var head = File.ReadAllBytes(Fixture("structured.npy"))[..40];
        File.WriteAllBytes(PathOf("short.npy"), head);
        Assert.Contains("truncated .npy header", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("short.npy"))).Message);
        File.WriteAllBytes(PathOf("junk.npz"), "PK\x03\x04 not really a zip"u8.ToArray());
        Assert.Contains("is not a valid .npz", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("junk.npz"))).Message);
    }

    [Fact]
    public void CsvErrorsNameFileLineAndColumn()
    {
        string Write(string name, string text)
        {
            File.WriteAllText(PathOf(name), text);
            return PathOf(name);
        }
        var p = Write("text.csv", "# comment\nm,w\n9.5,1\n9.6,abc\n");
        Assert.Equal($"{p}, line 4, column 'w': 'abc' is not a number (the column's first value, '1', is).",
            Assert.Throws<FormatException>(() => EventTableIO.Read(p)).Message);
        // Delimiters, comments and blank lines; empty numeric cells are NaN; a text-first column is text.
        var t = EventTableIO.Read(Write("semi.txt", "# x\n\nsel;m;n\nos;1.5;2\nss;;3\n"));
        Assert.Equal(ColumnType.Text, t.TypeOf("sel"));
        Assert.Equal(new[] { 1.5, double.NaN }, t.GetDouble("m"));
        Assert.Equal(new[] { 2, 3 }, t.View<int>("n").ToArray());
        Assert.Contains("empty.csv holds no events (header only; columns: a, b)", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Write("empty.csv", "a,b\n"))).Message);
        Assert.Equal(0, EventTableIO.Read(PathOf("empty.csv"), new ReadOptions(AllowEmpty: true)).RowCount);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Write("blank.csv", ""))).Message);
        Assert.Contains("column 'a' appears twice", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Write("dup.csv", "a,b,a\n1,2,3\n"))).Message);
        Assert.Contains("line 3: 2 cells, the header has 3", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(Write("ragged.csv", "a,b,c\n1,2,3\n1,2\n"))).Message);
        Assert.Equal($"File not found: {PathOf("nope.csv")}", Assert.Throws<FileNotFoundException>(() => EventTableIO.Read(PathOf("nope.csv"))).Message);
    }

    [Fact]
    public void NonFinitePolicyAppliesOnRead()
    {
        string p = PathOf("nf.csv");
        File.WriteAllText(p, "a,b\n1,2\nnan,3\n4,inf\n5,6\n");
        Assert.Equal(4, EventTableIO.Read(p).RowCount);
        var e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(p, new ReadOptions(NonFinitePolicy.Error))).Message;
        Assert.Equal($"{p}, column 'a', line 3: value NaN is not finite (use the drop policy to discard such rows).", e);
        var d = EventTableIO.Read(p, new ReadOptions(NonFinitePolicy.Drop), out int dropped);
        Assert.Equal(2, dropped);
        Assert.Equal(new[] { 1.0, 5 }, d.GetDouble("a"));
    }

    [Fact]
    public void FeatherErrorsAreClear()
    {
        var table = AllTypes(20);
        string p = PathOf("t.feather");
        EventTableIO.Write(table, p);
        var missing = Assert.Throws<ArgumentException>(() => EventTableIO.Read(p).GetDouble("dimu_mass")).Message;
        Assert.Equal($"{p} has no column 'dimu_mass'; columns are: mass, pt, n_jets, event, selection.", missing);
        var bytes = File.ReadAllBytes(p);
        File.WriteAllBytes(PathOf("cut.feather"), bytes[..(bytes.Length / 2)]);
        Assert.Contains("cut.feather is truncated", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("cut.feather"))).Message);
        File.WriteAllBytes(PathOf("v1.feather"), "FEA1\0\0\0\0rest"u8.ToArray());
        Assert.Contains("Feather v1", Assert.Throws<NotSupportedException>(() => EventTableIO.Read(PathOf("v1.feather"))).Message);
        File.WriteAllText(PathOf("text.feather"), "a,b\n1,2\n");
        Assert.Contains("text.feather is not an Arrow IPC / Feather v2 file (no ARROW1 magic; it starts with bytes 61 2C 62 0A 31 2C 32 0A)",
            Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("text.feather"))).Message);

        // An unsupported Arrow type names the column.
        var schema = new Schema([new Field("when", Date32Type.Default, false)], null);
        using (var stream = File.Create(PathOf("date.arrow")))
        using (var batch = new RecordBatch(schema, [new Date32Array.Builder().Append(DateTime.UnixEpoch).Build()], 1))
        using (var writer = new ArrowFileWriter(stream, schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        Assert.Contains("column 'when' has Arrow type date32", Assert.Throws<NotSupportedException>(() => EventTableIO.Read(PathOf("date.arrow"))).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ArrowNullsAndMultipleBatchesAndStreams()
    {
        var schema = new Schema([new Field("x", DoubleType.Default, true), new Field("k", Int16Type.Default, false)], null);
        string p = PathOf("multi.arrows");
        using (var stream = File.Create(p))
        using (var writer = new ArrowStreamWriter(stream, schema))
        {
            for (int b = 0; b < 3; b++)
            {
                var x = new DoubleArray.Builder().Append(b).AppendNull().Append(b + 0.5).Build();
                var k = new Int16Array.Builder().AppendRange([(short)b, (short)-b, (short)(10 * b)]).Build();
                using var batch = new RecordBatch(schema, [x, k], 3);
                writer.WriteRecordBatch(batch);
            }
            writer.WriteEnd();
        }
        var t = EventTableIO.Read(p);
        Assert.Equal(9, t.RowCount);
        Assert.Equal(new[] { 0, double.NaN, 0.5, 1, double.NaN, 1.5, 2, double.NaN, 2.5 }, t.GetDouble("x"));
        Assert.Equal(new[] { 0, 0, 0, 1, -1, 10, 2, -2, 20 }, t.View<int>("k").ToArray());
        var nullable = new Schema([new Field("n", Int32Type.Default, true)], null);
        using (var stream = File.Create(PathOf("nulls.arrow")))
        using (var batch = new RecordBatch(nullable, [new Int32Array.Builder().Append(1).AppendNull().Build()], 2))
        using (var writer = new ArrowFileWriter(stream, nullable))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        Assert.Contains("column 'n' has 1 missing values", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("nulls.arrow"))).Message);
    }

    [Fact]
    public void ArrowLargeStringsAndPandasCategoriesReadAsText()
    {
        var words = new StringArray.Builder().AppendRange(["os_cathode", "ss_cathode", "os_no_isolation"]).Build();
        var codes = new Int8Array.Builder().AppendRange([(sbyte)2, (sbyte)0, (sbyte)0, (sbyte)1]).Build();
        var category = new DictionaryArray(new DictionaryType(Int8Type.Default, StringType.Default, false), codes, words);
        var large = new LargeStringArray.Builder().AppendRange(["a", "", "µµ", "d"]).Build();
        var schema = new Schema([new Field("selection", category.Data.DataType, false), new Field("tag", LargeStringType.Default, false)], null);
        string p = PathOf("cat.feather");
        using (var stream = File.Create(p))
        using (var batch = new RecordBatch(schema, [category, large], 4))
        using (var writer = new ArrowFileWriter(stream, schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        var t = EventTableIO.Read(p);
        Assert.Equal(new[] { ColumnType.Text, ColumnType.Text }, t.ColumnNames.Select(t.TypeOf));
        Assert.Equal(new[] { "os_no_isolation", "os_cathode", "os_cathode", "ss_cathode" }, t.View<string>("selection").ToArray());
        Assert.Equal(new[] { "a", "", "µµ", "d" }, t.View<string>("tag").ToArray());
        Assert.Equal(2, t.WhereEquals(new Dictionary<string, string> { ["selection"] = "os_cathode" }).RowCount);
    }

    [Fact]
    public void QuotedCellsRoundTripAndReadAsPandasWritesThem()
    {
        string[] awkward = ["a,b", "say \"hi\"", "#not a comment", " padded ", "", "plain", "x;y\tz", "\"\""];
        var t = EventTable.FromColumns(("text, with comma", awkward), ("#n", Enumerable.Range(0, awkward.Length).ToArray()));
        foreach (var name in new[] { "q.csv", "q.tsv" })
        {
            EventTableIO.Write(t, PathOf(name));
            var back = EventTableIO.Read(PathOf(name));
            Assert.Equal(t.ColumnNames, back.ColumnNames);
            Assert.Equal(awkward, back.View<string>("text, with comma").ToArray());
            Assert.Equal(t.View<int>("#n").ToArray(), back.View<int>("#n").ToArray());
        }
        // pandas.DataFrame.to_csv quotes only where needed; numbers may be quoted too.
        File.WriteAllText(PathOf("pandas.csv"), "selection,note,m\nos_cathode,\"low, mass\",\"9.5\"\nss,\"he said \"\"no\"\"\",10\n");
        var p = EventTableIO.Read(PathOf("pandas.csv"));
        Assert.Equal(new[] { "low, mass", "he said \"no\"" }, p.View<string>("note").ToArray());
        Assert.Equal(new[] { 9.5, 10 }, p.GetDouble("m"));
        File.WriteAllText(PathOf("open.csv"), "a,b\n1,\"unclosed\n");
        Assert.Contains("line 2: a quoted cell is not closed", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(PathOf("open.csv"))).Message);
    }

    [Fact]
    public void FailedWritesLeaveNothingBehind()
    {
        var table = AllTypes(10);
        string missingDir = Path.Combine(Folder, "no", "such", "dir", "t.npy");
        var e = Assert.Throws<DirectoryNotFoundException>(() => EventTableIO.Write(table, missingDir)).Message;
        Assert.Contains("the directory", e);
        Assert.Contains(Path.Combine(Folder, "no", "such", "dir"), e);
        // A write that fails half-way (a text cell with the delimiter) keeps the old file and leaves no temporary.
        string p = PathOf("keep.csv");
        File.WriteAllText(p, "old\n1\n");
        var bad = table.WithColumn("selection", Enumerable.Range(0, 10).Select(i => i == 7 ? "a\nb" : "ok").ToArray());
        Assert.Contains("text in column 'selection' 'a\nb' as delimited text: it contains a line break", Assert.Throws<ArgumentException>(() => EventTableIO.Write(bad, p)).Message);
        Assert.Equal("old\n1\n", File.ReadAllText(p));
        Assert.Equal(new[] { "keep.csv" }, Directory.GetFiles(Folder).Select(Path.GetFileName));
        Directory.CreateDirectory(PathOf("adir.csv"));
        Assert.Contains("is a directory", Assert.Throws<IOException>(() => EventTableIO.Write(table, PathOf("adir.csv"))).Message);
    }

    [Fact]
    public void RowsRememberTheirFileLineThroughRowOperations()
    {
        string p = PathOf("lines.csv");
        File.WriteAllText(p, "# header comment\nsel,m\nos,1\n\n# more\nss,2\nos,3\n");
        var t = EventTableIO.Read(p);
        Assert.Equal(new[] { "line 3", "line 6", "line 7" }, Enumerable.Range(0, 3).Select(t.Locate));
        var os = t.WhereEquals(new Dictionary<string, string> { ["sel"] = "os" }).Shuffle(1);
        Assert.Equal(os.GetDouble("m").Select(m => m == 1 ? "line 3" : "line 7"), Enumerable.Range(0, 2).Select(os.Locate));
        EventTableIO.Write(t, PathOf("lines.npy"));
        Assert.Equal("row 2", EventTableIO.Read(PathOf("lines.npy")).Locate(1));
    }

    [Fact]
    public void EveryTruncationAndCorruptionIsAnInvalidDataError()
    {
        var table = AllTypes(6);
        foreach (var name in new[] { "f.npy", "f.npz", "f.feather", "f.parquet" })
        {
            string path = PathOf(name);
            EventTableIO.Write(table, path);
            var bytes = File.ReadAllBytes(path);
            string bad = PathOf("bad" + Path.GetExtension(name));
            var rng = new Random(11);
            for (int trial = 0; trial < 60; trial++)
            {
                byte[] broken;
                if (trial < 30) broken = bytes[..rng.Next(1, bytes.Length)]; // truncated anywhere
                else
                {
                    broken = (byte[])bytes.Clone(); // a few bytes overwritten past the magic
                    for (int k = 0; k < 4; k++) broken[rng.Next(8, broken.Length - 8)] = (byte)rng.Next(256);
                }
                File.WriteAllBytes(bad, broken);
                try
                {
                    // Without checksums (npy, stored npz, Arrow) a corrupted value or name may still read; a cut file may not.
                    EventTableIO.Read(bad, new ReadOptions(AllowEmpty: true));
                    Assert.True(trial >= 30, $"{name}: a file cut to {broken.Length} of {bytes.Length} bytes was read");
                }
                catch (Exception e) when (e is InvalidDataException or NotSupportedException)
                {
                    Assert.Contains("bad" + Path.GetExtension(name), e.Message);
                }
            }
        }
    }

    private static string? Python(string script, params string[] args)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) return null;
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (error.Contains("No module named 'numpy'")) return null;
        Assert.True(p.ExitCode == 0, error);
        return output;
    }

    [SkippableFact]
    public void NumpyReadsWhatWeWriteAndWeReadWhatNumpyWrites()
    {
        var table = AllTypes(50);
        EventTableIO.Write(table, PathOf("ours.npy"));
        EventTableIO.Write(table, PathOf("ours.npz"));
        // numpy prints every value with repr (round-trip exact); we compare to our values.
        const string dump = """
import sys, numpy as np
a = np.load(sys.argv[1])
z = np.load(sys.argv[2])
print(";".join(a.dtype.names))
for name in a.dtype.names:
    assert np.array_equal(a[name], z[name], equal_nan=a[name].dtype.kind == "f"), name
    print(a[name].dtype.str + "|" + "|".join(repr(v.item()) for v in a[name]))
a2 = np.zeros(3, dtype=[("p", "<f8"), ("q", "<i8")]); a2["p"] = [0.1, 1e300, -2.5]; a2["q"] = [-(2**62), 0, 2**62]
np.save(sys.argv[3], a2)
""";
        var output = Python(dump, PathOf("ours.npy"), PathOf("ours.npz"), PathOf("theirs.npy"));
        Skip.If(output is null, "python3 with numpy is not available");
        var lines = output!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(";", table.ColumnNames), lines[0]);
        for (int c = 0; c < table.ColumnNames.Count; c++)
        {
            string name = table.ColumnNames[c];
            var parts = lines[c + 1].Split('|');
            Assert.Equal(new[] { "<f8", "<f4", "<i4", "<i8", "<U10" }[c], parts[0]);
            var cells = parts[1..];
            if (table.TypeOf(name) == ColumnType.Text) Assert.Equal(table.GetStrings(name).Select(s => $"'{s}'"), cells);
            else
                Assert.Equal(table.GetDouble(name), cells.Select(s => s switch
                {
                    "nan" => double.NaN,
                    "-inf" => double.NegativeInfinity,
                    _ => double.Parse(s, CultureInfo.InvariantCulture),
                }));
        }
        var named = EventTable.FromColumns(("µ_mass", new[] { 1.5, 2.5 }));
        EventTableIO.Write(named, PathOf("utf8.npy"));
        Assert.Equal("µ_mass 4.0", Python("import sys, numpy as np; a = np.load(sys.argv[1]); print(a.dtype.names[0], a['µ_mass'].sum())", PathOf("utf8.npy"))!.Trim());
        Assert.Equal(named.ColumnNames, EventTableIO.Read(PathOf("utf8.npy")).ColumnNames);
        var theirs = EventTableIO.Read(PathOf("theirs.npy"));
        Assert.Equal(new[] { 0.1, 1e300, -2.5 }, theirs.View<double>("p").ToArray());
        Assert.Equal(new[] { -(1L << 62), 0, 1L << 62 }, theirs.View<long>("q").ToArray());
    }
}
