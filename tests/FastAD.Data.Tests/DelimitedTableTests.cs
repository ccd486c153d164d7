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
}
