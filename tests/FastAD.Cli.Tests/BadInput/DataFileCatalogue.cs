using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: damaged and unusual data files (issue 14, the data-file cases). Each names the file (and the
/// member, column or line) and what was expected, exits 2, prints no trace and gives no silently wrong answer.
/// </summary>
public sealed class DataFileCatalogue() : TempFolderTests("fastad-catalogue-")
{
    /// <summary>A small dimuon-like table (the CATHODE columns), written in the format <paramref name="name"/>'s extension names.</summary>
    private string Events(string name, int rows = 300, Action<double[], double[]>? edit = null)
    {
        var mass = Enumerable.Range(0, rows).Select(i => 5 + 11.0 * ((i * 7919) % rows) / rows).ToArray();
        var pt = Enumerable.Range(0, rows).Select(i => 25 + (i * 31 % 97) * 0.5).ToArray();
        edit?.Invoke(mass, pt);
        var table = EventTable.FromColumns(("dimu_mass", mass), ("dimu_pt", pt),
            ("mu0_ip3d", Enumerable.Range(0, rows).Select(i => 0.001 + (i * 13 % 101) * 1e-4).ToArray()),
            ("mu1_ip3d", Enumerable.Range(0, rows).Select(i => 0.002 + (i * 17 % 103) * 1e-4).ToArray()));
        string path = PathOf(name);
        EventTableIO.Write(table, path);
        return path;
    }

    [Fact]
    public void Case1_AnNpzMemberWithABadCrc32IsRefusedNotRead()
    {
        string path = Events("flipped.npz");
        var bytes = File.ReadAllBytes(path);
        bytes[30 + "dimu_mass.npy".Length + 128 + 8 * 17 + 6] ^= 0x40; // one bit of one mass
        File.WriteAllBytes(path, bytes);
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}: member 'dimu_mass.npy' fails its CRC-32 check (stored ", "computed ", "the file is corrupt");
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "mkfifo")]
    private static extern int MkFifo(string path, uint mode);

    [SkippableFact]
    public async Task Case2_ANamedPipeIsReadOnceAndGivesTheFilesAnswer()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "named pipes are made with Linux's mkfifo");
        string csv = Events("masses.csv", rows: 3000);
        var (code, expected, _) = CliRunner.RunSplit("inspect", csv);
        Assert.Equal(0, code);
        string fifo = PathOf("p");
        Assert.Equal(0, MkFifo(fifo, Convert.ToUInt32("600", 8)));
        var writer = Task.Run(() =>
        {
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            pipe.Write(File.ReadAllBytes(csv));
        });
        var run = Task.Run(() => CliRunner.RunSplit("inspect", fifo));
        var (pipeCode, output, error) = await run.WaitAsync(TimeSpan.FromSeconds(60)); // a TimeoutException: the pipe was opened twice
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(pipeCode == 0, error);
        Assert.Equal(expected.Replace(csv, "FILE"), output.Replace(fifo, "FILE"));
    }

    [SkippableFact]
    public void Case3_DevZeroIsRefusedAtOnceNamingTheFormatsExpected()
    {
        Skip.IfNot(File.Exists("/dev/zero"), "no /dev/zero");

        // The message says the format was judged from the first bytes (the old reader read the endless stream for 23 s, then failed).
        Refusal.Expect(["bumphunt", "--masses", "/dev/zero"], "/dev/zero: not a CSV, .npy, .npz, Feather, HDF5 or Parquet file (starts with bytes 00 00 00 00");
    }

    [Fact]
    public void Case3_ANegativeNpyDimensionIsRefused()
    {
        string path = Events("neg.npy");
        var bytes = File.ReadAllBytes(path);
        string header = System.Text.Encoding.Latin1.GetString(bytes, 10, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        File.WriteAllBytes(path, [.. bytes[..10], .. System.Text.Encoding.Latin1.GetBytes(header.Replace("(300,)", "(-30,)")), .. bytes[(10 + header.Length)..]]);
        Refusal.Expect(["inspect", path], $"{path}: the .npy header gives a negative dimension", "the file is corrupt");
    }

    [Fact]
    public void Case4_CorruptFeatherMetadataSaysCorruptFeatherFile()
    {
        string path = Events("garbled.feather");
        var bytes = File.ReadAllBytes(path);
        int footer = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 10));
        bytes.AsSpan(bytes.Length - 10 - footer, footer).Fill(0xAB);
        File.WriteAllBytes(path, bytes);
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}: corrupt Feather/Arrow file (footer");
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 10), -1414812757);
        File.WriteAllBytes(path, bytes);
        Refusal.Expect(["cathode", "--data", path, "--out", PathOf("out")], $"{path}: corrupt Feather/Arrow file (footer: its length field says -1,414,812,757 bytes");
    }

    [Fact]
    public void Case5_AHeaderOnlyCsvHoldsNoEvents()
    {
        string path = PathOf("header.csv");
        File.WriteAllText(path, "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n");
        Refusal.Expect(["bumphunt", "--masses", path], $"{path} holds no events (header only");
    }

    [Fact]
    public void Case5_AnEmptyNpzArrayHasZeroRows()
    {
        string path = Events("empty.npz", rows: 0);
        Refusal.Expect(["cathode", "--data", path, "--out", PathOf("out")], $"{path}: array 'dimu_mass' has 0 rows; expected at least one event");
    }

    [Fact]
    public void Case6_DecimalCommasNameFileLineColumnAndTheCause()
    {
        string path = PathOf("comma.csv");
        File.WriteAllText(path, "dimu_mass;dimu_pt\n3,52;20,1\n9,4;22,0\n");
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}, line 2, column 'dimu_mass': '3,52' is not a number (decimal comma? use a point)");
    }

    private const string Header =
        """{"format":"fastad-pseudo","version":3,"mode":"null","retrain":"bdt","count":3,"seed":1,"channel":"OS","input":"x.csv","dataEvents":10,"fprs":[1,0.1],"configDigest":"0123456789abcdef","config":"seed: 1\n","shardIndex":0,"shardCount":1}""";

    [Fact]
    public void Case7_AGarbageShardLineIsNamedWithItsLineNumber()
    {
        Directory.CreateDirectory(PathOf("run"));
        string shard = Path.Combine(PathOf("run"), "null-bdt-shard-0-of-1.jsonl");
        File.WriteAllText(shard, Header + "\n" + """{"index":0,"events":10,"initialZ":0.5,"mu":0.1,"reweightedZ":0.4,"z":[0.5,0.7]}""" + "\n" +
                                 "\n<<<<<<< HEAD\n");
        Refusal.Expect(["merge", PathOf("run"), "--out", PathOf("merged")], $"{shard} line 4: not a pseudoexperiment record (");
        File.WriteAllText(shard, Header + "\n" + """{"index":1,"events":10}""" + "\n");
        Refusal.Expect(["merge", PathOf("run"), "--out", PathOf("merged")], $"{shard} line 2: not a pseudoexperiment record (expected 2 cut-and-count Z values");
    }

    [Fact]
    public void AShardOfAnOlderFormatIsRefusedWithWhatToDo()
    {
        // Version 2 shards drew their pseudoexperiments from other random streams (before the seed tree): never mixed in.
        Directory.CreateDirectory(PathOf("old"));
        string shard = Path.Combine(PathOf("old"), "null-bdt-shard-0-of-1.jsonl");
        File.WriteAllText(shard, Header.Replace("\"version\":3", "\"version\":2", StringComparison.Ordinal) + "\n");
        Refusal.Expect(["merge", PathOf("old"), "--out", PathOf("merged")], shard, "format version 2; this FastAD reads version 3",
            "run the study again into another --out");
    }

    [Fact]
    public void Case7_PseudoResumeNamesTheGarbageLine()
    {
        string cfg = PathOf("tiny.yaml");
        File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 2\n  blocks: 2\nbdt:\n  folds: 3\n  members: 1\n  max_rounds: 5\nstatistics:\n  fpr_points: 4\n");
        string[] args = ["cathode", "pseudo", "--generate", "--config", cfg, "--preset", "quick", "--n", "2", "--mode", "null", "--out", PathOf("ps"), "--quiet"];
        var (code, output) = CliRunner.Run(args);
        Assert.True(code == 0, output);
        string shard = Directory.GetFiles(Path.Combine(PathOf("ps"), "pseudo"), "*.jsonl").Single();
        File.AppendAllText(shard, "garbage\n");
        Refusal.Expect(args, "line 4: not a pseudoexperiment record (");
    }

    [Theory]
    [InlineData("nan.csv", "line 3")]
    [InlineData("nan.npy", "row 2")]
    [InlineData("nan.feather", "row 2")]
    [InlineData("nan.npz", "row 2")]
    public void Case8_NonFiniteInputsAreRefusedNamingFileColumnAndRow(string name, string where)
    {
        string path = Events(name, edit: (mass, pt) => { pt[1] = double.NaN; mass[1] = double.PositiveInfinity; });
        Refusal.Expect(["cathode", "--data", path, "--out", PathOf("out")], $"{path}: {where}, column 'dimu_mass' is Infinity; masses must be finite");
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}, {where}: mass 'dimu_mass' is Infinity; masses must be finite");
    }

    /// <summary>An HDF5 file written by pandas (to_hdf, fixed format) with the catalogue's dimuon columns, and optionally a text column.</summary>
    private string PandasH5(string name, string extra = "")
    {
        string source = Events("h5source.npz"), path = PathOf(name);
        ExternalWriters.Python($$"""
import sys, numpy as np, pandas as pd
z = np.load(sys.argv[1])
df = pd.DataFrame({k: z[k] for k in z.files})
{{extra}}
df.to_hdf(sys.argv[2], key="df", mode="w")
""", ["numpy", "pandas", "tables"], source, path);
        return path;
    }

    [SkippableFact]
    public void Case9_ATruncatedHdf5FileSaysTruncatedWithBothSizes()
    {
        string path = PandasH5("cut.h5");
        long length = new FileInfo(path).Length;
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(length / 3)]);
        Refusal.Expect(["cathode", "--data", path, "--out", PathOf("out")], $"{path} is truncated: its HDF5 superblock says the file is {length:N0} bytes, it has {length / 3:N0}.");
        Refusal.Expect(["inspect", path], $"{path} is truncated");
    }

    [SkippableFact]
    public void Case9_PickledTextAndAmbiguousGroupsSayWhatToDo()
    {
        string path = PandasH5("objects.h5", "df['sel'] = ['os'] * len(df)");
        Refusal.Expect(["inspect", path], $"{path}: column 'sel' of pandas frame 'df' holds Python objects (text, pickled by pandas)", "df[c].astype('S')");
        string two = PathOf("two.h5");
        ExternalWriters.Python("""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["a/x"] = np.arange(3.0); f["b/x"] = np.arange(4.0)
""", ["h5py", "numpy"], two);
        Refusal.Expect(["bumphunt", "--masses", two], $"{two}: the root group holds several groups (a, b); name the one to read with --key.");
        Refusal.Expect(["inspect", two, "--key", "c"], $"{two} has no group or dataset 'c'; it holds: a/, b/.");
        var (code, output) = CliRunner.Run("inspect", two, "--key", "b");
        Assert.True(code == 0, output);
        Assert.Contains("4 rows", output);
    }

    [Fact]
    public void Case9_ANamedFormatWithoutItsMagicAndHdf5AsAnOutputAreRefused()
    {
        string h5 = PathOf("fake.h5"), parquet = PathOf("fake.parquet");
        File.WriteAllBytes(h5, [0x00, 0x01, 0x02, 0x03]);
        File.WriteAllBytes(parquet, "PAR0"u8.ToArray());
        Refusal.Expect(["inspect", h5], $"{h5} is not an HDF5 file (no \\x89HDF signature; it starts with bytes 00 01 02 03).");
        Refusal.Expect(["inspect", parquet], $"{parquet} is not a Parquet file (no PAR1 magic; it starts with bytes 50 41 52 30).");
        string csv = Events("events.csv");
        Refusal.Expect(["convert", csv, PathOf("out.h5")], $"Cannot write {PathOf("out.h5")}: FastAD reads HDF5 but does not write it; use .parquet, .feather or .npz.");
    }

    [Fact]
    public void Case10_TruncatedAndGarbledParquetNameTheFile()
    {
        string path = Events("events.parquet");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5)]);
        Refusal.Expect(["cathode", "--data", path, "--out", PathOf("out")], $"{path} is truncated: a Parquet file ends with PAR1, this one does not.");
        int footer = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        bytes.AsSpan(bytes.Length - 8 - footer, footer).Fill(0x7B);
        File.WriteAllBytes(path, bytes);
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}: corrupt Parquet file (");
    }

    [SkippableFact]
    public void Case10_ADamagedZstdArrowBufferIsACorruptFile()
    {
        Skip.IfNot(File.Exists("/usr/bin/zstd"), "the zstd tool is not installed");
        string spec = PathOf("spec.json"), path = PathOf("z.arrow");
        var mass = Enumerable.Range(0, 4000).Select(i => 5 + (i % 1000) / 100.0).ToArray();
        File.WriteAllText(spec, System.Text.Json.JsonSerializer.Serialize(new
        {
            format = "arrow", compression = "zstd", @out = path,
            columns = new object[] { new { name = "dimu_mass", type = "float64", values = mass } },
        }));
        ExternalWriters.Node("write.mjs", spec);
        Assert.Equal(mass, EventTableIO.Read(path).GetDouble("dimu_mass"));
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]);
        bytes.AsSpan(at, 8).Fill(0);
        File.WriteAllBytes(path, bytes);
        Refusal.Expect(["bumphunt", "--masses", path], $"{path}: corrupt Feather/Arrow file (record batch 1: corrupt ZSTD data (");
    }

    [Fact]
    public void Case11_ABadDerivationNamesItAndTheColumnsThereAre()
    {
        string path = Events("events.parquet");
        Refusal.Expect(["inspect", path, "--derive", "pt2 = dimu_ptt * 2"],
            $"--derive 'pt2 = dimu_ptt * 2' on {path}: 'dimu_ptt' is neither a column nor a function; columns are: dimu_mass, dimu_pt, mu0_ip3d, mu1_ip3d;");
        Refusal.Expect(["convert", path, PathOf("o.csv"), "--derive", "pt2"], "--derive 'pt2': expected NAME=EXPRESSION");
        string cfg = PathOf("derive.yaml");
        File.WriteAllText(cfg, "columns:\n  derive: [\"x = sqrt(dimu_pt\"]\n  features: [dimu_pt, x]\nbaselines:\n  high: [dimu_pt]\n  low: []\n");
        Refusal.Expect(["cathode", "--data", path, "--config", cfg, "--out", PathOf("out")], $"--derive 'x = sqrt(dimu_pt' on {path}: ");
    }

    [Theory]
    [InlineData("conrad", "conrad")]
    [InlineData("simad", "multilepton")]
    public void Case11_ConradAndSimadApplyTheirConfigsDerivations(string command, string sample)
    {
        string path = PathOf($"{sample}.parquet"), cfg = PathOf("derive.yaml");
        var (code, output) = CliRunner.Run("generate", sample, "--out", path, "--events", "3000", "--seed", "2");
        Assert.True(code == 0, output);
        File.WriteAllText(cfg, "columns:\n  derive: [\"twice = 2 * nope\"]\n");
        Refusal.Expect([command, "--data", path, "--config", cfg, "--preset", "quick", "--out", PathOf("out")],
            $"--derive 'twice = 2 * nope' on {path}: 'nope' is neither a column nor a function; columns are: ");
    }
}
