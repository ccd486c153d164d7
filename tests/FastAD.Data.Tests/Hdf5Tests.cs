using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>
/// HDF5 files written by the real tools (Debian's h5py, pandas with PyTables), read back column for column against the
/// values the test handed them (as .npz): pandas' fixed format with mixed dtypes, h5py columns (chunked, gzip, shuffle),
/// 2-D arrays with and without names; and what is refused: pickled object columns, the table format, ambiguity,
/// truncated and corrupt files.
/// </summary>
public sealed class Hdf5Tests() : TempFolderTests("fastad-hdf5-")
{
    private static readonly string[] Pandas = ["numpy", "pandas", "tables"];
    private static readonly string[] H5py = ["numpy", "h5py"];

    /// <summary>Columns of every width pandas and h5py write, with awkward values (NaN, ±inf, extremes).</summary>
    private string Source(int n)
    {
        var table = EventTable.FromColumns(
            ("pxj1", Enumerable.Range(0, n).Select(i => Math.Sin(i) * 1e3 + (i == 3 ? double.NaN : 0) + (i == 5 ? double.PositiveInfinity : 0)).ToArray()),
            ("mj1", Enumerable.Range(0, n).Select(i => (float)(0.1 + i / 7.0)).ToArray()),
            ("label", Enumerable.Range(0, n).Select(i => i % 2).ToArray()),
            ("event", Enumerable.Range(0, n).Select(i => long.MaxValue - 977L * i).ToArray()));
        string path = PathOf("source.npz");
        EventTableIO.Write(table, path);
        return path;
    }

    private static void AssertColumns(EventTable expected, EventTable actual, params string[] names)
    {
        foreach (var name in names) Assert.Equal(expected.GetDouble(name), actual.GetDouble(name));
    }

    [SkippableFact]
    public void PandasFixedFormatWithMixedDtypesReadsColumnForColumn()
    {
        string source = Source(1000), h5 = PathOf("frame.h5");
        ExternalWriters.Python("""
import sys, numpy as np, pandas as pd
z = np.load(sys.argv[1])
df = pd.DataFrame({"pxj1": z["pxj1"], "mj1": z["mj1"], "label": z["label"], "event": z["event"],
                   "small": (z["label"] * 3 - 1).astype(np.int8), "u16": (z["label"] * 60000).astype(np.uint16),
                   "flag": z["label"] == 1, "u32": np.full(len(z["label"]), 4_000_000_000, dtype=np.uint32),
                   "pyj1": -2 * z["pxj1"], "n": z["event"] // 2})
# axis0's order is not the blocks' order, and pxj1/pyj1 (float64) and event/n (int64) share a block
df = df[["event", "mj1", "flag", "pxj1", "small", "u16", "label", "u32", "pyj1", "n"]]
df.to_hdf(sys.argv[2], key="df", mode="w", format="fixed")
""", Pandas, source, h5);
        var expected = EventTableIO.Read(source);
        var t = EventTableIO.Read(h5, null, out _, out var format);
        Assert.Equal(EventTableIO.Format.Hdf5, format);
        Assert.Equal(["event", "mj1", "flag", "pxj1", "small", "u16", "label", "u32", "pyj1", "n"], t.ColumnNames);
        Assert.Equal(expected.GetDouble("pxj1").Select(v => -2 * v), t.GetDouble("pyj1"));
        Assert.Equal(expected.View<long>("event").ToArray().Select(v => v / 2), t.View<long>("n").ToArray());
        Assert.Equal(ColumnType.Float32, t.TypeOf("mj1"));
        Assert.Equal(ColumnType.Int64, t.TypeOf("event"));
        Assert.Equal(expected.View<long>("event").ToArray(), t.View<long>("event").ToArray());
        AssertColumns(expected, t, "pxj1", "mj1", "label");
        var label = expected.View<int>("label").ToArray();
        Assert.Equal(label, t.View<int>("flag").ToArray());
        Assert.Equal(label.Select(l => l * 3 - 1), t.View<int>("small").ToArray());
        Assert.Equal(label.Select(l => l * 60000), t.View<int>("u16").ToArray());
        Assert.All(t.View<long>("u32").ToArray(), v => Assert.Equal(4_000_000_000L, v));
    }

    [SkippableFact]
    public void H5pyColumnsInAGroupChunkedAndCompressedRead()
    {
        string source = Source(5000), h5 = PathOf("columns.hdf5");
        ExternalWriters.Python("""
import sys, numpy as np, h5py
z = np.load(sys.argv[1])
with h5py.File(sys.argv[2], "w") as f:
    g = f.create_group("events")
    g.create_dataset("pxj1", data=z["pxj1"], chunks=(700,), compression="gzip", shuffle=True)
    g.create_dataset("mj1", data=z["mj1"], chunks=(1000,), fletcher32=True)
    g.create_dataset("label", data=z["label"].astype(bool))
    g.create_dataset("event", data=z["event"])
    g.create_dataset("sel", data=np.array([b"os", b"ss"] * (len(z["label"]) // 2)))
    g.create_dataset("name", data=["mü"] * len(z["label"]), dtype=h5py.string_dtype())
""", H5py, source, h5);
        var expected = EventTableIO.Read(source);
        var t = EventTableIO.Read(h5);
        Assert.Equal(["event", "label", "mj1", "name", "pxj1", "sel"], t.ColumnNames.Order(StringComparer.Ordinal));
        AssertColumns(expected, t, "pxj1", "mj1", "label", "event");
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => i % 2 == 0 ? "os" : "ss"), t.View<string>("sel").ToArray());
        Assert.All(t.View<string>("name").ToArray(), s => Assert.Equal("mü", s));
    }

    [SkippableFact]
    public void A2DArrayTakesItsNamesFromAnAttributeOrTheOptions()
    {
        string source = Source(300), h5 = PathOf("matrix.h5");
        ExternalWriters.Python("""
import sys, numpy as np, h5py
z = np.load(sys.argv[1])
m = np.stack([z["pxj1"], z["mj1"].astype(np.float64), z["label"].astype(np.float64)], axis=1)
with h5py.File(sys.argv[2], "w") as f:
    d = f.create_dataset("jets", data=m)
    d.attrs["columns"] = np.array([b"pxj1", b"mj1", b"label"])
    f.create_dataset("plain", data=m[:, :2])
""", H5py, source, h5);
        var expected = EventTableIO.Read(source);
        var named = EventTableIO.Read(h5, new ReadOptions(Key: "jets"));
        Assert.Equal(["pxj1", "mj1", "label"], named.ColumnNames);
        AssertColumns(expected, named, "pxj1", "mj1", "label");
        Assert.Equal(["plain_0", "plain_1"], EventTableIO.Read(h5, new ReadOptions(Key: "plain")).ColumnNames);
        var renamed = EventTableIO.Read(h5, new ReadOptions(Key: "/plain", Names: ["a", "b"]));
        Assert.Equal(expected.GetDouble("mj1"), renamed.GetDouble("b"));
        var e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(h5)).Message;
        Assert.Equal($"{h5}: the root group holds datasets of different shapes (jets (300 × 3), plain (300 × 2)); expected equally long 1-D columns; name the dataset to read with --key.", e);
        e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(h5, new ReadOptions(Key: "plain", Names: ["a"]))).Message;
        Assert.Equal($"{h5}: dataset 'plain' has 2 columns but 1 names are given (a).", e);
        e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(h5, new ReadOptions(Key: "nope"))).Message;
        Assert.Equal($"{h5} has no group or dataset 'nope'; it holds: jets (300 × 3), plain (300 × 2).", e);
    }

    [SkippableFact]
    public void PickledTextColumnsTheTableFormatAndSeveralFramesAreRefusedWithWhatToDo()
    {
        string objects = PathOf("objects.h5"), table = PathOf("table.h5"), two = PathOf("two.h5");
        ExternalWriters.Python("""
import sys, pandas as pd
df = pd.DataFrame({"m": [1.0, 2.0], "sel": ["os", "ss"]})
df.to_hdf(sys.argv[1], key="df", mode="w")
df.to_hdf(sys.argv[2], key="df", mode="w", format="table")
df[["m"]].to_hdf(sys.argv[3], key="a", mode="w")
df[["m"]].to_hdf(sys.argv[3], key="b", mode="a")
""", Pandas, objects, table, two);
        var e = Assert.Throws<NotSupportedException>(() => EventTableIO.Read(objects)).Message;
        Assert.StartsWith($"{objects}: column 'sel' of pandas frame 'df' holds Python objects (text, pickled by pandas), which FastAD cannot read", e);
        e = Assert.Throws<NotSupportedException>(() => EventTableIO.Read(table)).Message;
        Assert.StartsWith($"{table}: group 'df' is in pandas' \"table\" format, which is not supported", e);
        e = Assert.Throws<InvalidDataException>(() => EventTableIO.Read(two)).Message;
        Assert.Equal($"{two}: the root group holds several groups (a, b); name the one to read with --key.", e);
        Assert.Equal([1.0, 2.0], EventTableIO.Read(two, new ReadOptions(Key: "b")).GetDouble("m"));
    }

    [SkippableFact]
    public void TruncatedAndCorruptFilesNameTheFileAndTheDamage()
    {
        string source = Source(2000), h5 = PathOf("good.h5");
        ExternalWriters.Python("""
import sys, numpy as np, pandas as pd
z = np.load(sys.argv[1])
pd.DataFrame({"pxj1": z["pxj1"], "label": z["label"]}).to_hdf(sys.argv[2], key="df", mode="w")
""", Pandas, source, h5);
        var bytes = File.ReadAllBytes(h5);
        string cut = PathOf("cut.h5");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.Equal($"{cut} is truncated: its HDF5 superblock says the file is {bytes.Length:N0} bytes, it has {bytes.Length / 2:N0}.",
            Assert.Throws<InvalidDataException>(() => EventTableIO.Read(cut)).Message);
        File.WriteAllBytes(cut, bytes[..20]);
        Assert.Equal($"{cut} is truncated: it ends inside the HDF5 superblock (20 bytes).", Assert.Throws<InvalidDataException>(() => EventTableIO.Read(cut)).Message);
        var rng = new Random(3);
        string bad = PathOf("bad.h5");
        for (int trial = 0; trial < 40; trial++)
        {
            var broken = (byte[])bytes.Clone();
            for (int k = 0; k < 4; k++) broken[rng.Next(8, Math.Min(broken.Length, 6000))] ^= (byte)rng.Next(1, 256); // the metadata lies in front
            File.WriteAllBytes(bad, broken);
            try
            {
                EventTableIO.Read(bad); // a flipped bit in a value or in padding still reads
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or ArgumentException)
            {
                Assert.Contains(bad, e.Message);
            }
        }
    }
}
