using FastAD.Data;
using Xunit;

namespace FastAD.Data.Tests;

public class ColumnSummaryTests
{
    [Fact]
    public void NumericSummariesSkipNonFiniteValuesAndCountThem()
    {
        const int n = 1001;
        var values = Enumerable.Range(1, n).Select(i => (double)i).Concat([double.NaN, double.PositiveInfinity, double.NaN, double.NegativeInfinity]).ToArray();
        var t = EventTable.FromColumns(("x", values), ("k", Enumerable.Range(0, values.Length).Select(i => i % 2).ToArray()),
            ("big", new[] { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16, double.NaN }.Concat(Enumerable.Repeat(1e9 + 10, values.Length - 5)).ToArray()));
        var s = ColumnSummary.Of(t, "x");
        Assert.Equal((values.Length, 2, 2), (s.Count, s.NaNCount, s.InfinityCount));
        Assert.Equal((1.0, (double)n), (s.Min, s.Max));
        Assert.Equal((n + 1) / 2.0, s.Mean, 12);
        Assert.Equal(Math.Sqrt(n * (n + 1) / 12.0), s.Std, 10); // sample sd of 1..n
        var k = ColumnSummary.Of(t, "k");
        Assert.Equal(ColumnType.Int32, k.Type);
        Assert.Equal(502.0 / 1005, k.Mean, 14);
        // Large offset, small spread: still exact to rounding (a naive sum of squares loses it).
        var big = ColumnSummary.Of(t, "big");
        double[] finite = [4, 7, 13, 16, .. Enumerable.Repeat(10.0, values.Length - 5)];
        double mean = finite.Average();
        Assert.Equal(1e9 + mean, big.Mean, 6);
        Assert.Equal(Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)), big.Std, 9);
    }

    [Fact]
    public void TextSummariesCountDistinctValuesMostFrequentFirst()
    {
        var t = EventTable.FromColumns(("sel", new[] { "b", "a", "c", "a", "b", "a" }), ("y", new[] { double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN }));
        var all = ColumnSummary.Of(t);
        Assert.Equal(new[] { ("a", 3), ("b", 2), ("c", 1) }, all[0].Distinct);
        Assert.Equal(6, all[1].NaNCount);
        Assert.True(double.IsNaN(all[1].Mean) && double.IsNaN(all[1].Min) && double.IsNaN(all[1].Std));
    }
}
