using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastAD.Data;
using Xunit;

namespace FastAD.Data.Tests;

public class EventTableTests
{
    private static EventTable Sample(int n = 10) => EventTable.FromColumns(
        ("m", Enumerable.Range(0, n).Select(i => 9.0 + 0.1 * i).ToArray()),
        ("pt", Enumerable.Range(0, n).Select(i => (float)i * 2f).ToArray()),
        ("nj", Enumerable.Range(0, n).Select(i => i % 4).ToArray()),
        ("id", Enumerable.Range(0, n).Select(i => 1_000_000_000_000L + i).ToArray()),
        ("sel", Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "os" : "ss").ToArray()));

    [Fact]
    public void ConstructionValidatesNamesLengthsAndTypes()
    {
        var t = Sample();
        Assert.Equal(10, t.RowCount);
        Assert.Equal(new[] { "m", "pt", "nj", "id", "sel" }, t.ColumnNames);
        Assert.Equal(new[] { ColumnType.Float64, ColumnType.Float32, ColumnType.Int32, ColumnType.Int64, ColumnType.Text },
            t.ColumnNames.Select(t.TypeOf));
        Assert.Contains("'a' appears twice", Assert.Throws<ArgumentException>(() => EventTable.FromColumns(("a", new double[2]), ("a", new double[2]))).Message);
        var e = Assert.Throws<ArgumentException>(() => EventTable.FromColumns(("a", new double[2]), ("b", new int[3]))).Message;
        Assert.Contains("'b' has 3 rows but column 'a' has 2", e);
        Assert.Contains("Boolean[]", Assert.Throws<ArgumentException>(() => EventTable.FromColumns(("flag", new bool[2]))).Message);
        Assert.Contains("empty name", Assert.Throws<ArgumentException>(() => EventTable.FromColumns((" ", new double[2]))).Message);
        var missing = Assert.Throws<ArgumentException>(() => t.GetDouble("mass")).Message;
        Assert.Equal("No column 'mass'; columns are: m, pt, nj, id, sel.", missing);
        Assert.Equal("events.npy has no column 'mass'; columns are: m.",
            Assert.Throws<ArgumentException>(() => t.WithSource("events.npy").Shuffle(1).SelectColumns(["m"]).Where("mass", _ => true)).Message);
        Assert.Contains("holds text", Assert.Throws<ArgumentException>(() => t.GetDouble("sel")).Message);
    }

    [Fact]
    public void ViewsShareStorageAndGetDoubleConverts()
    {
        var m = new[] { 1.5, 2.5, -3.0 };
        var n = new[] { 7, -8, 9 };
        var t = EventTable.FromColumns(("m", m), ("n", n), ("l", new[] { long.MaxValue, 0L, -1L }), ("f", new[] { 0.1f, 0.2f, 0.3f }));
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(t.View<double>("m")), ref m[0]));
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(t.View<int>("n")), ref n[0]));
        Assert.Contains("is Int32, not Double", Assert.Throws<ArgumentException>(() => t.View<double>("n")).Message);
        Assert.Equal(new[] { 7.0, -8.0, 9.0 }, t.GetDouble("n"));
        Assert.Equal(new[] { (double)long.MaxValue, 0, -1 }, t.GetDouble("l"));
        Assert.Equal(new[] { (double)0.1f, (double)0.2f, (double)0.3f }, t.GetDouble("f"));
        var copy = t.GetDouble("m");
        copy[0] = 99;
        Assert.Equal(1.5, t.View<double>("m")[0]);
        Assert.Equal(new[] { 1.5, 7.0, 2.5, -8.0, -3.0, 9.0 }, t.Matrix(["m", "n"]));
    }

    [Fact]
    public void SelectTakeWhereAndEqualityFilters()
    {
        var t = Sample();
        var s = t.Select(Enumerable.Range(0, 10).Select(i => i % 3 == 0).ToArray());
        Assert.Equal(new[] { 0L, 3, 6, 9 }, s.View<long>("id").ToArray().Select(v => v - 1_000_000_000_000L));
        Assert.Equal(new[] { 9.0, 9.3, 9.6, 9.9 }.Select(v => Math.Round(v, 10)), s.GetDouble("m").Select(v => Math.Round(v, 10)));
        var k = t.Take([9, 0, 9]);
        Assert.Equal(new[] { 1_000_000_000_009L, 1_000_000_000_000L, 1_000_000_000_009L }, k.View<long>("id").ToArray());
        Assert.Equal(new[] { "ss", "os", "ss" }, k.View<string>("sel").ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Take([10]));
        Assert.Contains("mask has 3 entries", Assert.Throws<ArgumentException>(() => t.Select(new bool[3])).Message);
        Assert.Equal(new[] { 14f, 16f, 18f }, t.Where("pt", v => v > 12).View<float>("pt").ToArray());
        // Numeric filter values compare numerically ("1.0" matches 1), text exactly.
        var f = t.WhereEquals(new Dictionary<string, string> { ["sel"] = "os", ["nj"] = "2.0" });
        Assert.Equal(new[] { 2, 6 }, f.View<long>("id").ToArray().Select(v => (int)(v - 1_000_000_000_000L)));
        Assert.Equal(0, t.WhereEquals(new Dictionary<string, string> { ["sel"] = "OS" }).RowCount);
        Assert.Contains("is numeric but 'x' is not a number", Assert.Throws<ArgumentException>(() => t.Matches(new Dictionary<string, string> { ["nj"] = "x" })).Message);
        Assert.Contains("columns are", Assert.Throws<ArgumentException>(() => t.Matches(new Dictionary<string, string> { ["fpr"] = "1" })).Message);
    }

    [Fact]
    public void ConcatStacksMatchingTablesAndRejectsOthers()
    {
        var a = Sample(3);
        var b = Sample(5).SelectColumns(["sel", "id", "nj", "pt", "m"]); // other order is fine
        var c = EventTable.Concat(a, b);
        Assert.Equal(8, c.RowCount);
        Assert.Equal(a.ColumnNames, c.ColumnNames);
        Assert.Equal(a.GetDouble("m").Concat(b.GetDouble("m")), c.GetDouble("m"));
        Assert.Equal(a.GetStrings("sel").Concat(b.GetStrings("sel")), c.GetStrings("sel"));
        Assert.Contains("column 'nj' is Int32 in table 1 and Float64 in table 2",
            Assert.Throws<ArgumentException>(() => EventTable.Concat(a, a.WithColumn("nj", new double[3]))).Message);
        Assert.Contains("table 2 has columns [m, pt, nj, id]", Assert.Throws<ArgumentException>(() => EventTable.Concat(a, a.WithoutColumn("sel"))).Message);
    }

    [Fact]
    public void WithColumnAddsOrReplacesAndChecksLength()
    {
        var t = Sample(4);
        var w = t.WithColumn("w", new[] { 1.0, 2, 3, 4 }).WithColumn("m", new[] { 5f, 6f, 7f, 8f });
        Assert.Equal(new[] { "m", "pt", "nj", "id", "sel", "w" }, w.ColumnNames);
        Assert.Equal(ColumnType.Float32, w.TypeOf("m"));
        Assert.Equal(ColumnType.Float64, t.TypeOf("m")); // the original is unchanged
        Assert.Contains("has 3 rows", Assert.Throws<ArgumentException>(() => t.WithColumn("x", new double[3])).Message);
    }

    [Fact]
    public void SplitIsAReproduciblePartitionKeepingOrder()
    {
        var t = Sample(1000);
        var (a, b) = t.Split(0.3, 42);
        Assert.Equal(300, a.RowCount);
        Assert.Equal(700, b.RowCount);
        var ida = a.View<long>("id").ToArray();
        var idb = b.View<long>("id").ToArray();
        Assert.Empty(ida.Intersect(idb));
        Assert.Equal(t.View<long>("id").ToArray(), ida.Concat(idb).Order());
        Assert.Equal(ida.Order(), ida); // original order kept
        Assert.Equal(ida, t.Split(0.3, 42).First.View<long>("id").ToArray());
        Assert.NotEqual(ida, t.Split(0.3, 43).First.View<long>("id").ToArray());
        // Not just the first rows: both halves of the table are represented.
        Assert.InRange(ida.Count(v => v - 1_000_000_000_000L < 500), 110, 190);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Split(1.5, 1));
        Assert.Equal(0, t.Split(0, 1).First.RowCount);
    }

    [Fact]
    public void ShufflesAreUniformPermutations()
    {
        var t = Sample(200);
        var s = t.Shuffle(7);
        Assert.Equal(t.View<long>("id").ToArray(), s.View<long>("id").ToArray().Order());
        Assert.NotEqual(t.View<long>("id").ToArray(), s.View<long>("id").ToArray());
        Assert.Equal(s.GetStrings("sel"), t.Shuffle(7).GetStrings("sel"));
        // Rows stay intact: the id still matches its mass.
        var ids = s.View<long>("id");
        var m = s.View<double>("m");
        for (int i = 0; i < ids.Length; i++) Assert.Equal(9.0 + 0.1 * (ids[i] - 1_000_000_000_000L), m[i], 12);
        // All 6 orders of 3 rows equally likely: chi-square with 5 dof over 30000 seeds (p = 1e-4 cut at 25.7).
        var counts = new Dictionary<string, int>();
        for (ulong seed = 0; seed < 30000; seed++)
        {
            string key = string.Join("", EventTable.Permutation(3, seed, 1));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(6, counts.Count);
        double chi2 = counts.Values.Sum(c => (c - 5000.0) * (c - 5000.0) / 5000.0);
        Assert.True(chi2 < 25.7, $"chi2 = {chi2}");
    }

    [Fact]
    public void BootstrapDrawsRowsWithReplacementUniformly()
    {
        var t = Sample(10000);
        var b = t.Bootstrap(3);
        Assert.Equal(10000, b.RowCount);
        var ids = b.View<long>("id").ToArray();
        // Expected distinct fraction 1 - (1 - 1/n)^n = 0.6321 with sd about 0.003.
        double distinct = ids.Distinct().Count() / 10000.0;
        Assert.InRange(distinct, 0.62, 0.645);
        Assert.Equal(ids, t.Bootstrap(3).View<long>("id").ToArray());
        Assert.NotEqual(ids, t.Bootstrap(4).View<long>("id").ToArray());
        var small = t.Bootstrap(3, 50);
        Assert.Equal(50, small.RowCount);
        // Each row index is equally likely: chi-square over 10 bins of the row index (9 dof, p = 1e-4 cut at 33.7).
        var bins = new int[10];
        foreach (var id in ids) bins[(int)((id - 1_000_000_000_000L) / 1000)]++;
        double chi2 = bins.Sum(c => (c - 1000.0) * (c - 1000.0) / 1000.0);
        Assert.True(chi2 < 33.7, $"chi2 = {chi2}");
        Assert.Throws<InvalidOperationException>(() => Sample(0).Bootstrap(1, 5));
    }

    [Fact]
    public void NonFinitePolicyErrorsOrDropsWithACount()
    {
        var t = EventTable.FromColumns(("a", new[] { 1.0, double.NaN, 3, 4 }), ("b", new[] { 1f, 2f, float.PositiveInfinity, 4f }), ("n", new[] { 1, 2, 3, 4 }));
        Assert.Same(t, t.ApplyNonFinitePolicy(NonFinitePolicy.Keep, "x", out int kept));
        Assert.Equal(0, kept);
        var e = Assert.Throws<InvalidDataException>(() => t.ApplyNonFinitePolicy(NonFinitePolicy.Error, "f.npy", out _)).Message;
        Assert.StartsWith("f.npy, column 'a', row 2: value NaN is not finite", e);
        var d = t.ApplyNonFinitePolicy(NonFinitePolicy.Drop, "x", out int dropped);
        Assert.Equal(2, dropped);
        Assert.Equal(new[] { 1, 4 }, d.View<int>("n").ToArray());
        var onlyB = t.ApplyNonFinitePolicy(NonFinitePolicy.Drop, "x", out dropped, ["b"]);
        Assert.Equal(1, dropped);
        Assert.Equal(new[] { 1, 2, 4 }, onlyB.View<int>("n").ToArray());
    }
}
