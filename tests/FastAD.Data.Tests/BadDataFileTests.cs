using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>
/// Damaged and unusual data files (issue 14): each is refused with a message naming the file (and the member, column or
/// line) and what was expected, never read into a wrong answer, never left to hang or to fail with a library's text.
/// </summary>
public sealed class BadDataFileTests() : TempFolderTests("fastad-bad-")
{
    private static EventTable Sample(int n) => EventTable.FromColumns(
        ("dimu_mass", Enumerable.Range(0, n).Select(i => 5 + 11.0 * i / n).ToArray()),
        ("dimu_pt", Enumerable.Range(0, n).Select(i => (float)(25 + i % 7)).ToArray()),
        ("is_signal", Enumerable.Range(0, n).Select(i => i % 2).ToArray()));

    private string Written(string name, int rows = 200)
    {
        string path = PathOf(name);
        EventTableIO.Write(Sample(rows), path);
        return path;
    }

    private static string Refused<T>(Func<object> read) where T : Exception => Assert.Throws<T>(read).Message;

    private static string Refused(string path) => Assert.Throws<InvalidDataException>(() => EventTableIO.Read(path)).Message;

    // ---- 1. zip CRC-32 --------------------------------------------------------------------------------------------

    [Fact]
    public void AnNpzMemberWithAFlippedByteFailsItsCrc32Check()
    {
        string path = Written("flip.npz");
        var bytes = File.ReadAllBytes(path);
        uint stored;
        int dataStart;
        using (var zip = new ZipArchive(new MemoryStream(bytes)))
        {
            var entry = zip.GetEntry("dimu_mass.npy")!;
            stored = entry.Crc32;
            // The first member's local header: 30 bytes + its name; then the .npy header (128 bytes), then the data.
            dataStart = 30 + "dimu_mass.npy".Length + 128;
        }
        bytes[dataStart + 8 * 17 + 6] ^= 0x40; // one bit of the 18th mass
        File.WriteAllBytes(path, bytes);
        var message = Refused(path);
        Assert.StartsWith($"{path}: member 'dimu_mass.npy' fails its CRC-32 check (stored {stored:x8}, computed ", message);
        Assert.EndsWith("); the file is corrupt.", message);
    }

    [Fact]
    public void ADeflatedNpzMemberThatIsDamagedIsRefusedNamingTheMember()
    {
        string fixture = Path.Combine(FastAD.TestSupport.Layering.RepositoryRoot(), "tests", "FastAD.Data.Tests", "Fixtures", "columns.npz");
        var bytes = File.ReadAllBytes(fixture);
        string path = PathOf("deflated.npz");
        int flipped = 0; // the first member only
        using (var zip = new ZipArchive(new MemoryStream(bytes)))
            Assert.All(zip.Entries, e => Assert.NotEqual(0, e.CompressedLength));
        // Damage every member's compressed bytes just after its local header: whatever deflate makes of them,
        // the member must be refused (a deflate error or a CRC/size mismatch), never read.
        for (int at = 0; at + 4 < bytes.Length && flipped < 1; at++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)) != 0x04034b50) continue;
            int name = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 26)), extra = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 28));
            bytes[at + 30 + name + extra + 20] ^= 0xFF;
            flipped++;
        }
        File.WriteAllBytes(path, bytes);
        var message = Refused(path);
        Assert.Contains($"{path}", message);
        Assert.Contains("member '", message);
        Assert.True(message.Contains("CRC-32") || message.Contains("corrupt"), message);
    }

    [Fact]
    public void NpzMemberSizesThatCannotBeTrueAreRefusedBeforeAllocating()
    {
        string path = Written("sizes.npz");
        var good = File.ReadAllBytes(path);
        int central = FindLast(good, 0x02014b50); // the last member's central directory entry
        var bytes = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), 0x2FFFFFF0); // uncompressed size
        File.WriteAllBytes(path, bytes);
        Assert.Contains("member 'is_signal.npy' claims 805,306,352 bytes from", Refused(path));
        bytes = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 20), 0x2FFFFFF0); // compressed size
        File.WriteAllBytes(path, bytes);
        Assert.Contains($"member 'is_signal.npy' claims 805,306,352 stored bytes, but the file has {good.Length:N0}", Refused(path));
    }

    private static int FindLast(byte[] bytes, uint signature)
    {
        for (int at = bytes.Length - 4; at >= 0; at--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)) == signature) return at;
        throw new InvalidOperationException("signature not found");
    }

    // ---- 2. named pipes --------------------------------------------------------------------------------------------

    [DllImport("libc", SetLastError = true, EntryPoint = "mkfifo")]
    private static extern int MkFifo(string path, uint mode);

    [Theory]
    [InlineData("t.csv")]
    [InlineData("t.npy")]
    [InlineData("t.npz")]
    [InlineData("t.feather")]
    public async Task ANamedPipeIsReadOnce(string name)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        string source = Written(name, rows: 5000);
        string fifo = PathOf("pipe-" + Path.GetFileNameWithoutExtension(name)); // no extension: the format comes from the bytes
        Assert.Equal(0, MkFifo(fifo, Convert.ToUInt32("600", 8)));
        var writer = Task.Run(() =>
        {
            // Opening a FIFO for writing waits for the reader; a reader that opened it twice would wait forever.
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            pipe.Write(File.ReadAllBytes(source));
        });
        var reader = Task.Run(() => EventTableIO.Read(fifo, null, out _, out var format) is var t ? (t, format) : default);
        var (table, format) = await reader.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException: reading through a FIFO hangs
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(EventTableIO.FormatOf(name), format);
        Assert.Equal(Sample(5000).GetDouble("dimu_mass"), table.GetDouble("dimu_mass"));
        Assert.Equal(Sample(5000).GetDouble("dimu_pt"), table.GetDouble("dimu_pt"));
    }

    // ---- 3. unknown content, length fields --------------------------------------------------------------------------

    [SkippableFact]
    public void DevZeroIsRefusedAtOnceNamingTheFormatsExpected()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero");

        // The message says the format was judged from the first bytes (the old reader read the endless stream for 23 s, then failed).
        Assert.Equal("/dev/zero: not a CSV, .npy, .npz, Feather, HDF5 or Parquet file (starts with bytes 00 00 00 00 00 00 00 00).", Refused("/dev/zero"));
    }

    [Fact]
    public void BinaryContentWithoutAKnownMagicIsRefusedFromItsFirstBytes()
    {
        string path = PathOf("blob.dat");
        File.WriteAllBytes(path, [0xD8, 0x8C, 0x37, 0x52, 0x88, 0xFC, 0x7A, 0x28, 0x01, 0x02, 0x03]);
        Assert.Equal($"{path}: not a CSV, .npy, .npz, Feather, HDF5 or Parquet file (starts with bytes D8 8C 37 52 88 FC 7A 28).", Refused(path));
        string gz = PathOf("masses.csv.gz");
        using (var s = new GZipStream(File.Create(gz), CompressionLevel.Fastest)) s.Write("dimu_mass\n9.4\n"u8);
        Assert.Contains("it looks gzip-compressed: decompress it first", Refused(gz));
        // Text stays text, with or without a byte-order mark.
        File.WriteAllText(PathOf("bom.csv"), "dimu_mass\n9.4\n", new UTF8Encoding(true));
        Assert.Equal(9.4, EventTableIO.Read(PathOf("bom.csv")).GetDouble("dimu_mass")[0]);
    }

    private static byte[] Npy(string descr, string shape, byte[]? data = null, int? headerLength = null)
    {
        string h = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        h += new string(' ', (64 - (10 + h.Length + 1) % 64) % 64) + "\n";
        var bytes = new List<byte>([0x93, .."NUMPY"u8, 1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)(headerLength ?? h.Length)));
        bytes.AddRange(Encoding.Latin1.GetBytes(h));
        bytes.AddRange(data ?? []);
        return bytes.ToArray();
    }

    [Fact]
    public void NpyLengthFieldsAreCheckedBeforeUse()
    {
        string Write(string name, byte[] bytes)
        {
            File.WriteAllBytes(PathOf(name), bytes);
            return PathOf(name);
        }
        var neg = Write("neg.npy", Npy("<f8", "(-5,)"));
        Assert.Equal($"{neg}: the .npy header gives a negative dimension (shape (-5)); the file is corrupt.", Refused(neg));
        var huge = Write("huge.npy", Npy("<f8", "(4000000000,)", new byte[64]));
        Assert.Contains("gives shape (4000000000), more rows than a table holds", Refused(huge));
        var wide = Write("wide.npy", Npy("<f8", "(0, 2000000000)"));
        Assert.Contains("a 2-D array with 2,000,000,000 columns is more than a table holds", Refused(wide));
        var header = Write("header.npy", Npy("<f8", "(3,)", new byte[24], headerLength: 60000));
        Assert.Contains("truncated .npy header (152 bytes, the header needs 60010)", Refused(header));
        var v2 = new byte[62];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 }.CopyTo(v2, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(v2.AsSpan(8), 0xFFFFFFF0);
        var longHeader = Write("header2.npy", v2);
        Assert.Contains("truncated .npy header (62 bytes, the header needs 4294967292)", Refused(longHeader));
        var item = Write("item.npy", Npy("<U300000000", "(3,)", new byte[64]));
        Assert.Contains("is truncated: the header promises 3 items of 1200000000 bytes", Refused(item));
    }

    // ---- 4. corrupt Feather ----------------------------------------------------------------------------------------

    [Fact]
    public void CorruptFeatherMetadataNamesTheFileAndThePart()
    {
        string path = Written("good.feather");
        var good = File.ReadAllBytes(path);
        int n = good.Length;
        int footer = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(n - 10));
        string Damaged(string name, Action<byte[]> damage)
        {
            var bytes = (byte[])good.Clone();
            damage(bytes);
            File.WriteAllBytes(PathOf(name), bytes);
            return PathOf(name);
        }
        var length = Damaged("length.feather", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(n - 10), 0x55555555));
        Assert.Equal($"{length}: corrupt Feather/Arrow file (footer: its length field says 1,431,655,765 bytes, but only {n - 18:N0} bytes lie between the magic strings).",
            Refused(length));
        var negative = Damaged("negative.feather", b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(n - 10), -5));
        Assert.Contains("corrupt Feather/Arrow file (footer: its length field says -5 bytes", Refused(negative));
        var garbled = Damaged("garbled.feather", b => b.AsSpan(n - 10 - footer, footer).Fill(0xAB));
        Assert.Equal($"{garbled}: corrupt Feather/Arrow file (footer: a table offset in it points outside it).", Refused(garbled));
        // The first record batch's message follows ARROW1, 2 bytes of padding and the schema message (a continuation
        // marker, its metadata length, the metadata): garble the batch's metadata length.
        int schema = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(12));
        var batch = Damaged("batch.feather", b => b.AsSpan(8 + 8 + schema + 4, 4).Fill(0xAB));
        Assert.StartsWith($"{batch}: corrupt Feather/Arrow file (record batch 1: ", Refused(batch));
        // Our own check of the footer's record batch block: its body length beyond the footer's start.
        int batchStart = 8 + 8 + schema;
        int footerStart = n - 10 - footer;
        int block = footerStart;
        while (BinaryPrimitives.ReadInt64LittleEndian(good.AsSpan(block)) != batchStart) block++;
        var body = Damaged("body.feather", b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(block + 16), 1L << 40));
        Assert.Equal($"{body}: corrupt Feather/Arrow file (footer: record batch 1 of 1 at offset {batchStart:N0} with " +
                     $"{BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(block + 8)):N0} + {1L << 40:N0} bytes does not lie between the magic and the footer at byte {footerStart:N0}).",
            Refused(body));
    }

    [Theory]
    [InlineData("f.feather")]
    [InlineData("f.npy")]
    [InlineData("f.npz")]
    [InlineData("f.csv")]
    public void RandomDamageIsReadOrRefusedNeverALibraryMessage(string name)
    {
        // Deterministic damage: 1 to 8 bytes overwritten at random places, 150 times (FASTAD_DAMAGE_TRIALS for more).
        // Every outcome is a table or a refusal of the types the CLI reports, naming the file, with none of a library's
        // internal wording.
        int trials = int.TryParse(Environment.GetEnvironmentVariable("FASTAD_DAMAGE_TRIALS"), out int t) ? t : 150;
        string path = Written(name, rows: 50);
        var good = File.ReadAllBytes(path);
        var random = new Random(1234);
        string damaged = PathOf("damaged" + Path.GetExtension(name));
        for (int trial = 0; trial < trials; trial++)
        {
            var bytes = (byte[])good.Clone();
            int count = random.Next(1, 9);
            for (int k = 0; k < count; k++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(damaged, bytes);
            try
            {
                EventTableIO.Read(damaged, new ReadOptions(AllowEmpty: true));
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or FormatException or ArgumentException)
            {
                Assert.True(e.Message.Contains(damaged, StringComparison.Ordinal), $"trial {trial}: {e.GetType().Name}: {e.Message}");
                foreach (var internalText in new[] { "(Parameter '", "minimumLength", "Specified argument", "Exception", "Index was outside" })
                    Assert.False(e.Message.Contains(internalText, StringComparison.Ordinal), $"trial {trial}: {e.Message}");
            }
        }
    }

    // ---- 5. empty tables ---------------------------------------------------------------------------------------------

    [Fact]
    public void EmptyTablesSayTheFileHoldsNoEvents()
    {
        string csv = PathOf("header.csv");
        File.WriteAllText(csv, "dimu_mass,dimu_pt\n");
        Assert.Equal($"{csv} holds no events (header only; columns: dimu_mass, dimu_pt).", Refused(csv));
        var empty = Sample(0);
        EventTableIO.Write(empty, PathOf("e.npz"));
        Assert.Equal($"{PathOf("e.npz")}: array 'dimu_mass' has 0 rows; expected at least one event.", Refused(PathOf("e.npz")));
        EventTableIO.Write(empty, PathOf("e.npy"));
        Assert.Equal($"{PathOf("e.npy")}: the array has 0 rows; expected at least one event.", Refused(PathOf("e.npy")));
        EventTableIO.Write(empty, PathOf("e.feather"));
        Assert.Contains("the Feather/Arrow table has 0 rows; expected at least one event", Refused(PathOf("e.feather")));
        Assert.Equal(0, EventTableIO.Read(PathOf("e.npz"), new ReadOptions(AllowEmpty: true)).RowCount);
    }

    // ---- 6. decimal commas -------------------------------------------------------------------------------------------

    [Fact]
    public void DecimalCommasNameFileLineColumnAndTheLikelyCause()
    {
        string semi = PathOf("semi.csv");
        File.WriteAllText(semi, "dimu_mass;dimu_pt\n3,52;20,1\n9,4;22,0\n");
        var table = EventTableIO.Read(semi);
        Assert.Equal($"{semi}, line 2, column 'dimu_mass': '3,52' is not a number (decimal comma? use a point).",
            Assert.Throws<ArgumentException>(() => table.GetDouble("dimu_mass")).Message);
        string mixed = PathOf("mixed.tsv");
        File.WriteAllText(mixed, "dimu_mass\tw\n3.5\t1\n3,52\t2\n");
        Assert.Equal($"{mixed}, line 3, column 'dimu_mass': '3,52' is not a number (decimal comma? use a point).",
            Assert.Throws<FormatException>(() => EventTableIO.Read(mixed)).Message);
        // Real text is not taken for a decimal comma.
        string text = PathOf("text.csv");
        File.WriteAllText(text, "sel;m\nos;1\n");
        Assert.Equal($"{text}, line 2, column 'sel': 'os' is not a number (the column holds text).",
            Assert.Throws<ArgumentException>(() => EventTableIO.Read(text).GetDouble("sel")).Message);
        // Decimal commas in a comma-separated file split the numbers: too many cells, and a hint.
        string split = PathOf("split.csv");
        File.WriteAllText(split, "dimu_mass,dimu_pt\n3,52,20,1\n");
        Assert.Equal($"{split}, line 2: 4 cells, the header has 2 columns (decimal commas? use a point, or ';' between cells).", Refused(split));
        File.WriteAllText(split, "dimu_mass,dimu_pt\n3.52,20.1,7\n");
        Assert.Equal($"{split}, line 2: 3 cells, the header has 2 columns.", Refused(split));
        string two = PathOf("two.csv");
        File.WriteAllText(two, "m;x\n1,2,3;1\n-1,5e3;2\n");
        Assert.Equal($"{two}, line 2, column 'm': '1,2,3' is not a number (the column holds text).",
            Assert.Throws<ArgumentException>(() => EventTableIO.Read(two).GetDouble("m")).Message);
    }
}
