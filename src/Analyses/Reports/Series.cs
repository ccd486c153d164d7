using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

internal abstract class Series
{
    public string? Label { get; init; }
    public string Color { get; set; } = Palette.Black;
    /// <summary>0: backgrounds (spans, heat maps), 1: data, 2: annotations.</summary>
    public virtual int Layer => 1;
    /// <summary>Whether the series takes the next palette colour when none is given.</summary>
    public virtual bool UsesPalette => true;
    public abstract void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya);
    public abstract void Render(StringBuilder sb, PlotFrame f);
    /// <summary>Pixel positions the series occupies, for placing the legend where it hides least.</summary>
    public virtual IEnumerable<(double X, double Y)> Occupied(PlotFrame f) => [];

    /// <summary>Points every few pixels along the segment from a to b.</summary>
    internal static IEnumerable<(double X, double Y)> Along(double ax, double ay, double bx, double by)
    {
        int n = Math.Clamp((int)(Math.Sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay)) / 4), 1, 400);
        for (int i = 0; i <= n; i++) yield return (ax + (bx - ax) * i / n, ay + (by - ay) * i / n);
    }

    /// <summary>Points every 3 px over a box (text the legend should not hide).</summary>
    internal static IEnumerable<(double X, double Y)> Box(double x0, double y0, double w, double h)
    {
        for (double y = y0; y <= y0 + h; y += 3)
            for (double x = x0; x <= x0 + w; x += 3) yield return (x, y);
    }

    /// <summary>A legend sample in the box [x, x + w] centred vertically on y.</summary>
    public abstract void Swatch(StringBuilder sb, double x, double y, double w, double h);

    internal static string Dash(LineStyle style, double width) => style switch
    {
        LineStyle.Dashed => $" stroke-dasharray=\"{Num(3.7 * width)},{Num(1.6 * width)}\"",
        LineStyle.Dotted => $" stroke-dasharray=\"{Num(1 * width)},{Num(1.65 * width)}\"",
        LineStyle.DashDot => $" stroke-dasharray=\"{Num(6.4 * width)},{Num(1.6 * width)},{Num(1 * width)},{Num(1.6 * width)}\"",
        _ => "",
    };

    internal static void Stroke(StringBuilder sb, string d, string color, double width, LineStyle style, string cls) =>
        sb.Append($"<path class=\"{cls}\" d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{Num(width)}\" stroke-linejoin=\"round\"{Dash(style, width)}/>\n");

    internal static void DrawMarker(StringBuilder sb, Marker marker, double x, double y, double size, string color)
    {
        double r = size / 2;
        switch (marker)
        {
            case Marker.Circle:
                sb.Append($"<circle class=\"marker\" cx=\"{Num(x)}\" cy=\"{Num(y)}\" r=\"{Num(r)}\" fill=\"{color}\"/>\n");
                break;
            case Marker.OpenCircle:
                sb.Append($"<circle class=\"marker\" cx=\"{Num(x)}\" cy=\"{Num(y)}\" r=\"{Num(r)}\" fill=\"white\" stroke=\"{color}\" stroke-width=\"1.2\"/>\n");
                break;
            case Marker.Square:
                sb.Append($"<rect class=\"marker\" x=\"{Num(x - r * 0.9)}\" y=\"{Num(y - r * 0.9)}\" width=\"{Num(1.8 * r)}\" height=\"{Num(1.8 * r)}\" fill=\"{color}\"/>\n");
                break;
            case Marker.Triangle:
                sb.Append($"<path class=\"marker\" d=\"M{Num(x)},{Num(y - 1.15 * r)}L{Num(x + 1.05 * r)},{Num(y + 0.7 * r)}L{Num(x - 1.05 * r)},{Num(y + 0.7 * r)}Z\" fill=\"{color}\"/>\n");
                break;
            case Marker.Diamond:
                sb.Append($"<path class=\"marker\" d=\"M{Num(x)},{Num(y - 1.2 * r)}L{Num(x + 0.85 * r)},{Num(y)}L{Num(x)},{Num(y + 1.2 * r)}L{Num(x - 0.85 * r)},{Num(y)}Z\" fill=\"{color}\"/>\n");
                break;
        }
    }

    /// <summary>A polyline path through the points, broken where a coordinate cannot be drawn (NaN, or ≤ 0 on a log axis).</summary>
    internal static string PolylinePath(IReadOnlyList<double> xs, IReadOnlyList<double> ys, PlotFrame f)
    {
        var d = new StringBuilder();
        bool pen = false;
        for (int i = 0; i < xs.Count; i++)
        {
            if (!Drawable(xs[i], f.X) || !Drawable(ys[i], f.Y)) { pen = false; continue; }
            d.Append(pen ? 'L' : 'M').Append(Num(f.Px(xs[i]))).Append(',').Append(Num(f.Py(ys[i])));
            pen = true;
        }
        return d.ToString();
    }

    internal static bool Drawable(double v, Axis a) => double.IsFinite(v) && (a.Scale == AxisScale.Linear || v > 0);
}
