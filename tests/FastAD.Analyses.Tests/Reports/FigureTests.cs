using System.Globalization;
using System.Xml.Linq;
using FastAD.Analyses.Reports;
using Xunit;

namespace FastAD.Analyses.Tests.Reports;

public class FigureTests
{
    private static XDocument Parse(Figure f) => XDocument.Parse(f.ToSvg());

    private static IEnumerable<XElement> ByClass(XDocument doc, string cls) =>
        doc.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true);

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static (double X, double Y, double W, double H) Frame(XDocument doc, int index = 0)
    {
        var r = ByClass(doc, "frame").ElementAt(index);
        return (D(r, "x"), D(r, "y"), D(r, "width"), D(r, "height"));
    }

    private static double ParseLabel(string label) => double.Parse(label.Replace('\u2212', '-'), CultureInfo.InvariantCulture);

    [Fact]
    public void DataPointsLandOnTheirPixelsOnLinearAndLogAxes()
    {
        var fig = new Figure(500, 400);
        fig.Main.X.Limits(0, 10);
        fig.Main.Y.Limits(0, 100);
        fig.Main.Scatter([5, 2.5], [50, 100]);
        var doc = Parse(fig);
        var (x, y, w, h) = Frame(doc);
        var dots = ByClass(doc, "marker").ToList();
        Assert.Equal(2, dots.Count);
        Assert.Equal(x + 0.5 * w, D(dots[0], "cx"), 0.011);
        Assert.Equal(y + 0.5 * h, D(dots[0], "cy"), 0.011);
        Assert.Equal(x + 0.25 * w, D(dots[1], "cx"), 0.011);
        Assert.Equal(y, D(dots[1], "cy"), 0.011);

        var log = new Figure(500, 400);
        log.Main.X.Scale = AxisScale.Log;
        log.Main.Y.Scale = AxisScale.Log;
        log.Main.X.Limits(1e-3, 10);
        log.Main.Y.Limits(1, 1e4);
        log.Main.Scatter([1e-1, 1e-3], [1e3, 10]);
        doc = Parse(log);
        (x, y, w, h) = Frame(doc);
        dots = ByClass(doc, "marker").ToList();
        Assert.Equal(x + 0.5 * w, D(dots[0], "cx"), 0.011);
        Assert.Equal(y + 0.25 * h, D(dots[0], "cy"), 0.011);
        Assert.Equal(x, D(dots[1], "cx"), 0.011);
        Assert.Equal(y + 0.75 * h, D(dots[1], "cy"), 0.011);
    }

    [Fact]
    public void LinearTicksAreOneTwoFiveStepsThatCoverTheRangeAndLabelTheirValues()
    {
        var rng = new Random(20261123);
        for (int trial = 0; trial < 2000; trial++)
        {
            double scale = Math.Pow(10, rng.Next(-6, 8));
            double lo = (rng.NextDouble() * 2 - 1) * scale, hi = lo + rng.NextDouble() * scale * 3 + scale * 1e-3;
            int maxTicks = rng.Next(5, 11);
            double step = AxisTicks.NiceStep(lo, hi, maxTicks);
            double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
            var majors = AxisTicks.Linear(lo, hi, maxTicks).Where(t => t.Major).ToList();
            Assert.InRange(majors.Count, 2, maxTicks);
            Assert.True(majors[0].Value - lo < step * (1 + 1e-9) && hi - majors[^1].Value < step * (1 + 1e-9),
                $"ticks {majors[0].Value}..{majors[^1].Value} (step {step}) leave a gap of more than a step in [{lo}, {hi}]");
            foreach (var t in majors)
            {
                Assert.InRange(t.Value, lo - step * 1e-9, hi + step * 1e-9);
                Assert.Equal(0, Math.Abs(Math.IEEERemainder(t.Value, step)), step * 1e-6);
                if (Math.Max(Math.Abs(lo), Math.Abs(hi)) < 1e5 && step >= 1e-3) // plain labels (else m×10ⁿ)
                    Assert.Equal(t.Value, ParseLabel(t.Label!), step * 1e-6);
            }
            // A coarser step would give fewer ticks than allowed: the chosen step is the finest that fits.
            Assert.True((hi - lo) / (step / 2.5) > maxTicks - 1.0 - 1e-9);
        }
    }

    [Fact]
    public void LinearLabelsUseEnoughDecimalsAndATypographicMinus()
    {
        var labels = AxisTicks.Linear(-1, 1, 5, minor: false).Select(t => t.Label!).ToArray();
        Assert.Equal(["\u22121.0", "\u22120.5", "0", "0.5", "1.0"], labels);
        Assert.Equal(["0", "200", "400", "600", "800", "1000", "1200"], AxisTicks.Linear(0, 1300, 7, minor: false).Select(t => t.Label!).ToArray());
        Assert.Equal("2×10⁵", AxisTicks.FormatLinear(2e5, 1e5, 1e6));
    }

    [Fact]
    public void LogTicksSitOnDecadesWithMinorTicksBetweenAndSuperscriptLabels()
    {
        var ticks = AxisTicks.Log(2e-4, 30, 10);
        var majors = ticks.Where(t => t.Major).ToList();
        Assert.Equal([1e-3, 1e-2, 1e-1, 1, 10], majors.Select(t => t.Value).ToArray());
        Assert.Equal(["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"], majors.Select(t => t.Label!).ToArray());
        var minors = ticks.Where(t => !t.Major).Select(t => t.Value).ToList();
        Assert.Equal(8 + 4 * 8 + 2, minors.Count); // 2..9e-4, four full decades, 20 and 30
        Assert.Contains(minors, v => Math.Abs(v - 2e-4) < 1e-12);
        Assert.Contains(minors, v => Math.Abs(v - 30) < 1e-9);
        Assert.All(minors, v => Assert.InRange(v, 2e-4 * (1 - 1e-9), 30 * (1 + 1e-9)));

        // Twenty decades: labels thinned to every second or third decade, still starting from the axis.
        var wide = AxisTicks.Log(1e-12, 1e8, 8).Where(t => t.Label is not null).ToList();
        Assert.InRange(wide.Count, 4, 8);

        // Under two decades the 2 and 5 ticks get plain labels so the axis is readable.
        var narrow = AxisTicks.Log(1.5, 40, 8).Where(t => t.Label is not null).Select(t => t.Label!).ToArray();
        Assert.Equal(["2", "5", "10", "20"], narrow);
        // Two decades: 1-2-5 labels when they fit, decades alone when they do not.
        Assert.Equal(["10", "20", "50", "100", "200"], AxisTicks.Log(8, 400, 10).Where(t => t.Label is not null).Select(t => t.Label!).ToArray());
        Assert.Equal(["10¹", "10²"], AxisTicks.Log(8, 400, 4).Where(t => t.Label is not null).Select(t => t.Label!).ToArray());
    }

    [Fact]
    public void LogAxisTickLabelsAreEquallySpacedDecadesInTheSvg()
    {
        var fig = new Figure(600, 400);
        fig.Main.X.Scale = AxisScale.Log;
        fig.Main.X.Limits(1e-3, 1e2);
        fig.Main.Line([1e-3, 1e2], [0, 1]);
        var doc = Parse(fig);
        var (x, _, w, _) = Frame(doc);
        var labels = ByClass(doc, "x").Where(e => e.Name.LocalName == "text" && ByClassIs(e, "tick-label")).ToList();
        Assert.Equal(["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹", "10²"], labels.Select(e => e.Value).ToArray());
        for (int i = 0; i < labels.Count; i++) Assert.Equal(x + i * w / 5, D(labels[i], "x"), 0.011);
    }

    private static bool ByClassIs(XElement e, string cls) => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true;

    [Fact]
    public void AutomaticLimitsPadTheDataButKeepHistogramEdgesAndZeroExact()
    {
        var fig = new Figure();
        fig.Main.Step([5, 6, 7, 8], [10, 40, 20]);
        fig.Main.Line([5.5, 7.5], [15, 15]);
        fig.ToSvg();
        Assert.Equal((5.0, 8.0), (fig.Main.X.Lo, fig.Main.X.Hi));
        Assert.Equal(0, fig.Main.Y.Lo);
        Assert.Equal(40 + 0.05 * 40, fig.Main.Y.Hi, 1e-9);

        var pts = new Figure();
        pts.Main.Scatter([1, 3], [10, 20]);
        pts.ToSvg();
        Assert.Equal(1 - 0.1, pts.Main.X.Lo, 1e-12);
        Assert.Equal(3 + 0.1, pts.Main.X.Hi, 1e-12);

        // A fixed x range: the automatic y range follows only the visible data.
        var zoom = new Figure();
        var xs = Enumerable.Range(0, 101).Select(i => i / 10.0).ToArray();
        zoom.Main.Line(xs, xs.Select(v => v * v).ToArray());
        zoom.Main.X.Limits(0, 2);
        zoom.ToSvg();
        Assert.Equal(4 + 0.05 * 4, zoom.Main.Y.Hi, 1e-9);
    }

    [Fact]
    public void TextIsEscapedAndLabelMarkupBecomesShiftedTspans()
    {
        const string nasty = "a < b & \"c\" 'd' > e";
        var fig = new Figure();
        fig.Main.X.Label = "m_{μμ} [GeV]";
        fig.Main.Y.Label = nasty;
        fig.Main.Line([0, 1], [0, 1], label: nasty);
        fig.Main.Text(0.5, 0.5, "two\nlines <b>");
        var doc = Parse(fig);
        Assert.Contains(ByClass(doc, "y"), e => e.Name.LocalName == "text" && e.Value == nasty);
        Assert.Contains(doc.Descendants(), e => e.Name.LocalName == "text" && e.Value == nasty && !ByClassIs(e, "y")); // legend
        var xLabel = ByClass(doc, "axis-label").Single(e => ByClassIs(e, "x"));
        Assert.Equal("mμμ [GeV]", xLabel.Value);
        var sub = xLabel.Elements().First();
        Assert.Equal("μμ", sub.Value);
        Assert.True(D(sub, "dy") > 0, "a subscript moves down");
        Assert.True(D(xLabel.Elements().ElementAt(1), "dy") < 0, "and the text after it comes back up");
        var note = ByClass(doc, "annotation").Single();
        Assert.Equal(["two", "lines <b>"], note.Elements().Select(e => e.Value).ToArray());
    }

    [Fact]
    public void RatioPanelSharesTheMainPanelsXAxisAndFramesTouch()
    {
        var fig = Figure.WithRatio();
        fig.Main.Step([0, 1, 2, 3], [3, 4, 5]);
        fig.Ratio.Scatter([0.5, 1.5, 2.5, 9], [1, 1.1, 0.9, 1]);
        fig.Ratio.X.Label = "x";
        var doc = Parse(fig);
        var top = Frame(doc, 0);
        var bottom = Frame(doc, 1);
        Assert.Equal(top.X, bottom.X);
        Assert.Equal(top.W, bottom.W);
        Assert.Equal(top.Y + top.H, bottom.Y, 0.011);
        Assert.Equal((fig.Main.X.Lo, fig.Main.X.Hi), (fig.Ratio.X.Lo, fig.Ratio.X.Hi));
        Assert.True(fig.Main.X.Hi > 9, "the shared range covers the lower panel's data too");
        // Tick labels only under the lower panel.
        Assert.All(ByClass(doc, "tick-label").Where(e => ByClassIs(e, "x")), e => Assert.True(D(e, "y") > bottom.Y + bottom.H));
    }

    [Fact]
    public void BestLegendPlacementAvoidsTheData()
    {
        (double X, double Y) LegendCorner(double[] x, double[] y)
        {
            var fig = new Figure();
            fig.Main.Line(x, y, "curve");
            var doc = Parse(fig);
            var (fx, fy, fw, fh) = Frame(doc);
            var box = ByClass(doc, "legend").Single().Elements().First();
            return ((D(box, "x") - fx) / fw, (D(box, "y") - fy) / fh);
        }
        // Rising diagonal: upper right and lower left are taken, upper left is the first free corner.
        var rising = LegendCorner([0, 1], [0, 1]);
        Assert.True(rising.X < 0.2 && rising.Y < 0.2, $"legend at {rising}");
        // A curve along the top and down the right edge: only the lower left is free.
        var hook = LegendCorner([0, 0.9, 0.95, 1], [1, 0.95, 0.8, 0]);
        Assert.True(hook.X < 0.2 && hook.Y > 0.5, $"legend at {hook}");
    }

    [Fact]
    public void PValueAxisLabelsAreOneSidedGaussianTailProbabilities()
    {
        var fig = new Figure();
        fig.Main.Y.Limits(0, 6);
        fig.Main.Line([0, 1], [1, 2]);
        fig.Main.PValueAxis("p", [0, 1, 3, 5, 9]);
        var doc = Parse(fig);
        var (_, y, _, h) = Frame(doc);
        var labels = ByClass(doc, "right").Where(e => ByClassIs(e, "tick-label")).ToList();
        // Z = 9 is outside the axis and left out; 1 − Φ(1) = 0.1587, 1 − Φ(3) = 1.35e-3, 1 − Φ(5) = 2.87e-7.
        Assert.Equal(["0.5", "0.16", "1.3×10⁻³", "2.9×10⁻⁷"], labels.Select(e => e.Value).ToArray());
        Assert.Equal(y + h * (1 - 5 / 6.0) + 0.36 * 13, D(labels[3], "y"), 0.02);
    }

    [Fact]
    public void HeatmapColoursEveryCellOnViridisAndPrintsValues()
    {
        var v = new double[3, 4];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) v[r, c] = r * 4 + c - 0.01;
        v[1, 1] = double.NaN;
        var fig = new Figure();
        fig.Main.Heatmap([0, 1, 2, 3, 4], [0, 10, 20, 30], v, "Z", cellFormat: "F1");
        var doc = Parse(fig);
        var cells = ByClass(doc, "cell").ToList();
        Assert.Equal(12, cells.Count);
        Assert.Equal(Palette.ViridisAt(0), (string)cells[0].Attribute("fill")!);
        Assert.Equal(Palette.ViridisAt(1), (string)cells[11].Attribute("fill")!);
        Assert.Equal("#E8E8E8", (string)cells[5].Attribute("fill")!);
        var values = ByClass(doc, "cell-value").Select(e => e.Value).ToList();
        Assert.Equal(11, values.Count);
        Assert.Equal("0.0", values[0]); // −0.01 printed without a sign
        Assert.Single(ByClass(doc, "colorbar"), e => e.Name.LocalName == "rect");
        Assert.Equal((0.0, 4.0, 0.0, 30.0), (fig.Main.X.Lo, fig.Main.X.Hi, fig.Main.Y.Lo, fig.Main.Y.Hi));
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        var p = new Figure().Main;
        Assert.Contains("one more edge", Assert.Throws<ArgumentException>(() => p.Step([0, 1], [1, 2])).Message);
        Assert.Contains("increase", Assert.Throws<ArgumentException>(() => p.Step([0, 2, 1], [1, 2])).Message);
        Assert.Contains("3 values", Assert.Throws<ArgumentException>(() => p.Line([0, 1], [0, 1, 2])).Message);
        var log = new Figure();
        log.Main.Y.Scale = AxisScale.Log;
        log.Main.Y.Min = -1;
        log.Main.Line([0, 1], [1, 10]);
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => log.ToSvg()).Message);
    }
}
