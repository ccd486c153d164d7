using FastAD.Data;
using Xunit;

namespace FastAD.Data.Tests;

public class DelimitedTableTests
{
    private static DelimitedTable Parse(string text) => DelimitedTable.Read(new StringReader(text), "test.csv");

    [Fact]
    public void DetectsDelimitersAndSkipsCommentsAndBlankLines()
    {
        var t = Parse("# a comment\n\na\tb\n1\t2\n\n3\t4\n");
        Assert.Equal(new[] { "a", "b" }, t.Columns);
        Assert.Equal(new[] { 1.0, 3.0 }, t.GetDoubles("a"));
        Assert.Equal(6, t.LineOf(1));
        var s = Parse("x;y\n1,5;2\n");
        Assert.Equal(new[] { "1,5" }, s.GetStrings("x"));
    }

    [Fact]
    public void ErrorsNameTheFileLineAndColumn()
    {
        var t = Parse("m,w\n9.5,1\nabc,2\n");
        var e = Assert.Throws<FormatException>(() => t.GetDoubles("m"));
        Assert.Equal("test.csv, line 3, column 'm': 'abc' is not a number.", e.Message);
        var k = Assert.Throws<KeyNotFoundException>(() => t.GetDoubles("mass"));
        Assert.Contains("no column 'mass'; columns are: m, w", k.Message);
        Assert.Contains("line 3: 3 cells", Assert.Throws<InvalidDataException>(() => Parse("a,b\n1,2\n1,2,3\n")).Message);
        Assert.Contains("appears twice", Assert.Throws<InvalidDataException>(() => Parse("a,a\n1,2\n")).Message);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => Parse("# nothing\n")).Message);
        Assert.Throws<FileNotFoundException>(() => DelimitedTable.Read("/nonexistent/x.csv"));
    }

    [Fact]
    public void WhereComparesNumbersNumericallyAndTextExactly()
    {
        var t = Parse("selection,fpr,m\nos,1,9.1\nos,1.0,9.2\nss,1,9.3\nos,0.25,9.4\n");
        var mask = t.ToEventTable().Matches(new Dictionary<string, string> { ["selection"] = "os", ["fpr"] = "1" });
        Assert.Equal(new[] { true, true, false, false }, mask);
    }

    [Fact]
    public void NonFiniteNumbersParseForTheCallersPolicy()
    {
        var t = Parse("x\nnan\ninf\n-inf\n1e300\n");
        var v = t.GetDoubles("x");
        Assert.True(double.IsNaN(v[0]));
        Assert.True(double.IsPositiveInfinity(v[1]));
        Assert.True(double.IsNegativeInfinity(v[2]));
    }

    [Fact]
    public void TheStreamingReaderTypesColumnsAsTheCellTableDoes()
    {
        // Leading empties (NaN), integers then a real, int64s, a literal too big for a long, text with quotes, blocks of
        // more than one chunk (8192 values), comments and blank lines between rows.
        var text = new System.Text.StringBuilder("# head\nlead,mixed,big,huge,name,ints\n");
        for (int i = 0; i < 20_000; i++)
        {
            text.Append(i < 3 ? "" : (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(',');
            text.Append(i == 15_000 ? "2.5" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(',');
            text.Append(long.MaxValue - i).Append(',');
            text.Append(i == 9000 ? "99999999999999999999" : "7").Append(',');
            text.Append(i % 2 == 0 ? "\"a, \"\"b\"\"\"" : "c").Append(',');
            text.Append(i - 10_000).Append('\n');
            if (i == 100) text.Append("\n# a comment\n");
        }
        var cells = DelimitedTable.Read(new StringReader(text.ToString()), "s.csv").ToEventTable();
        var streamed = DelimitedTable.ReadEventTable(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text.ToString())), "s.csv");
        Assert.Equal([ColumnType.Float64, ColumnType.Float64, ColumnType.Int64, ColumnType.Float64, ColumnType.Text, ColumnType.Int32],
            streamed.ColumnNames.Select(streamed.TypeOf));
        foreach (var name in cells.ColumnNames)
        {
            Assert.Equal(cells.TypeOf(name), streamed.TypeOf(name));
            Assert.Equal(cells.GetStrings(name), streamed.GetStrings(name));
        }
        Assert.Equal([double.NaN, double.NaN, double.NaN, 1.5], streamed.GetDouble("lead")[..4]);
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => i == 15_000 ? 2.5 : i), streamed.GetDouble("mixed"));
        Assert.Equal(Enumerable.Range(-10_000, 20_000), streamed.View<int>("ints").ToArray());
        Assert.Equal(long.MaxValue - 19_999, streamed.View<long>("big")[19_999]);
        Assert.Equal("a, \"b\"", streamed.View<string>("name")[0]);
        Assert.Equal(cells.Locate(19_999), streamed.Locate(19_999));
        Assert.Equal("line 20004", streamed.Locate(19_999));

        var bad = "a,b\n1,x\n2,y\n3,4\nq,5\n";
        Assert.Equal("s.csv, line 5, column 'a': 'q' is not a number (the column's first value, '1', is).",
            Assert.Throws<FormatException>(() => DelimitedTable.ReadEventTable(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(bad)), "s.csv")).Message);
    }
}
