using FastAD.Data;
using Xunit;

namespace FastAD.Data.Tests;

/// <summary>--derive: the grammar (precedence, functions, comparisons, chaining), the dijet mass and its errors.</summary>
public sealed class DerivedColumnsTests
{
    private static readonly EventTable Jets = EventTable.FromColumns(
        ("a", new[] { 1.0, 2.0, -3.0 }),
        ("b", new[] { 4.0, 0.5, 2.0 }),
        ("n", new[] { 7, 8, 9 }),
        ("sel", new[] { "os", "ss", "os" }));

    [Fact]
    public void ArithmeticFollowsTheUsualPrecedenceAndDefinitionsChain()
    {
        var t = DerivedColumns.Apply(Jets, ["c = a + b * n", "d = (a + b) / 2 - n % 4", "ratio = c / d", "a = abs(a)"]);
        Assert.Equal(["a", "b", "n", "sel", "c", "d", "ratio"], t.ColumnNames);
        Assert.Equal([29.0, 6.0, 15.0], t.GetDouble("c"));
        Assert.Equal([-0.5, 1.25, -1.5], t.GetDouble("d"));
        Assert.Equal([-58.0, 4.8, -10.0], t.GetDouble("ratio"));
        Assert.Equal([1.0, 2.0, 3.0], t.GetDouble("a")); // replaced in place
        Assert.Equal(Jets.GetDouble("a"), DerivedColumns.Apply(Jets, ["a2 = a"]).GetDouble("a2")); // the input is not changed
    }

    [Fact]
    public void FunctionsConstantsComparisonsAndConditionals()
    {
        var t = DerivedColumns.Apply(Jets, [
            "p = pow(b, 2) + sqrt(b)", "m = max(a, b) - min(a, b)", "big = b > 1 && a < 2", "pick = a < 0 ? -a : log(exp(a))",
            "circle = 2 * pi * hypot(3, 4) / e", "angle = atan2(b, a)",
        ]);
        var p = t.GetDouble("p");
        Assert.Equal(18.0, p[0], 12);
        Assert.Equal(0.25 + Math.Sqrt(0.5), p[1], 12);
        Assert.Equal(4 + Math.Sqrt(2), p[2], 12);
        Assert.Equal([3.0, 1.5, 5.0], t.GetDouble("m"));
        Assert.Equal([1.0, 0.0, 1.0], t.GetDouble("big"));
        Assert.Equal([1.0, 2.0, 3.0], t.GetDouble("pick").Select(v => Math.Round(v, 12)));
        Assert.All(t.GetDouble("circle"), v => Assert.Equal(10 * Math.PI / Math.E, v, 12));
        Assert.Equal(Math.PI - Math.Atan(2.0 / 3), t.GetDouble("angle")[2], 12);
    }

    [Fact]
    public void TheDijetMassOfKnownConfigurations()
    {
        // Back to back massless jets of momentum p: 2p; collinear massless jets: 0; two jets at rest: m1 + m2;
        // a jet of mass m alone (the other with nothing): m.
        var t = EventTable.FromColumns(
            ("px1", new[] { 1500.0, 0, 0, 30 }), ("py1", new[] { 0.0, 200, 0, 40 }), ("pz1", new[] { 0.0, 0, 0, 0 }), ("m1", new[] { 0.0, 0, 500, 100 }),
            ("px2", new[] { -1500.0, 0, 0, 0 }), ("py2", new[] { 0.0, 300, 0, 0 }), ("pz2", new[] { 0.0, 0, 0, 0 }), ("m2", new[] { 0.0, 0, 250, 0 }));
        var mjj = DerivedColumns.Apply(t, ["mjj = mass(px1, py1, pz1, m1, px2, py2, pz2, m2) / 1000"]).GetDouble("mjj");
        Assert.Equal([3.0, 0.0, 0.75, 0.1], mjj.Select(v => Math.Round(v, 12)));
    }

    [Theory]
    [InlineData("mjj", "--derive 'mjj': expected NAME=EXPRESSION, e.g. tau21j1=tau2j1/tau1j1.")]
    [InlineData("=a+b", "--derive '=a+b': expected NAME=EXPRESSION")]
    [InlineData("x = a + q", "--derive 'x = a + q' on f.h5: 'q' is neither a column nor a function; columns are: a, b, n, sel; functions: sqrt(x)")]
    [InlineData("x = a + sel", "--derive 'x = a + sel' on f.h5: column 'sel' holds text, not numbers.")]
    [InlineData("x = a +", "--derive 'x = a +' on f.h5: ")]
    [InlineData("x = a ^ 2", "--derive 'x = a ^ 2' on f.h5: Invalid Operation")]
    public void MistakesNameTheDefinitionAndWhatIsWrong(string definition, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DerivedColumns.Apply(Jets, [definition], "f.h5")).Message;
        Assert.StartsWith(message, e);
        if (definition.Contains('^')) Assert.Contains("; there is no ^ power operator, write pow(x, 2) (grammar: docs/DATA.md, derived columns).", e);
    }
}
