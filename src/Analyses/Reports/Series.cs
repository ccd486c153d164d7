using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

/// <summary>Line dash pattern.</summary>
public enum LineStyle
{
    /// <summary>Solid line.</summary>
    Solid,
    /// <summary>Dashed line.</summary>
    Dashed,
    /// <summary>Dotted line.</summary>
    Dotted,
    /// <summary>Dash-dot line.</summary>
    DashDot,
}

/// <summary>Marker shape.</summary>
public enum Marker
{
    /// <summary>No marker.</summary>
    None,
    /// <summary>Filled circle.</summary>
    Circle,
    /// <summary>Filled square.</summary>
    Square,
    /// <summary>Filled upward triangle.</summary>
    Triangle,
    /// <summary>Filled diamond.</summary>
    Diamond,
    /// <summary>Open circle.</summary>
    OpenCircle,
}

/// <summary>Where a text annotation's coordinates live.</summary>
public enum Coordinates
{
    /// <summary>Data units of the panel's axes.</summary>
    Data,
    /// <summary>Fractions of the plot area: (0, 0) lower left, (1, 1) upper right.</summary>
    Axes,
}

/// <summary>Horizontal anchoring of text.</summary>
public enum TextAnchor
{
    /// <summary>Text starts at the point.</summary>
    Start,
    /// <summary>Text is centred on the point.</summary>
    Middle,
    /// <summary>Text ends at the point.</summary>
    End,
}

/// <summary>The plot area of a panel in pixels and the mapping from data to pixels.</summary>
internal sealed class PlotFrame(double x0, double y0, double width, double height, Axis x, Axis y)
{
    public double X0 { get; } = x0;
    public double Y0 { get; } = y0;
    public double Width { get; } = width;
    public double Height { get; } = height;
    public Axis X { get; } = x;
    public Axis Y { get; } = y;

    // Values a log axis cannot show land well outside the frame (and are clipped) instead of at infinity.
    private static double Clamp(double f) => double.IsNaN(f) ? f : Math.Clamp(f, -3, 4);
    public double Px(double v) => X0 + Clamp(X.Fraction(v)) * Width;
    public double Py(double v) => Y0 + Height - Clamp(Y.Fraction(v)) * Height;
    public double AxesX(double f) => X0 + f * Width;
    public double AxesY(double f) => Y0 + Height - f * Height;
}

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

internal sealed class LineSeries(double[] xs, double[] ys, LineStyle style, double width, Marker marker, double markerSize, bool line) : Series
{
    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        for (int i = 0; i < xs.Length; i++)
            if (double.IsFinite(ys[i]) && double.IsFinite(xs[i])) { x.Add(xs[i], xa.Scale); y.AddAt(xs[i], xs[i], ys[i], ya.Scale); }
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        if (line) Stroke(sb, PolylinePath(xs, ys, f), Color, width, style, "line");
        if (marker == Marker.None) return;
        for (int i = 0; i < xs.Length; i++)
            if (Drawable(xs[i], f.X) && Drawable(ys[i], f.Y)) DrawMarker(sb, marker, f.Px(xs[i]), f.Py(ys[i]), markerSize, Color);
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        (double X, double Y)? last = null;
        for (int i = 0; i < xs.Length; i++)
        {
            if (!Drawable(xs[i], f.X) || !Drawable(ys[i], f.Y)) { last = null; continue; }
            var p = (f.Px(xs[i]), f.Py(ys[i]));
            if (line && last is { } l) foreach (var q in Along(l.X, l.Y, p.Item1, p.Item2)) yield return q;
            else yield return p;
            last = p;
        }
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h)
    {
        if (line) Stroke(sb, $"M{Num(x)},{Num(y)}H{Num(x + w)}", Color, width, style, "legend-line");
        DrawMarker(sb, marker, x + w / 2, y, markerSize, Color);
    }
}

internal sealed class StepSeries(double[] edges, double[] contents, LineStyle style, double width, string? fill, double fillOpacity) : Series
{
    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        x.Add(edges, xa.Scale);
        x.Sticky(edges[0], edges[^1], xa.Scale);
        for (int i = 0; i < contents.Length; i++) y.AddAt(edges[i], edges[i + 1], contents[i], ya.Scale);
        if (ya.Scale == AxisScale.Linear) { y.Add(0, ya.Scale); y.Sticky(0, double.NaN, ya.Scale); }
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        // Zero baseline on linear axes; just below the frame on log axes.
        double baseline = f.Y.Scale == AxisScale.Linear ? f.Py(0) : f.Y0 + f.Height + 2;
        double Y(double c) => Drawable(c, f.Y) ? f.Py(c) : baseline;
        var d = new StringBuilder();
        d.Append('M').Append(Num(f.Px(edges[0]))).Append(',').Append(Num(baseline));
        for (int i = 0; i < contents.Length; i++)
        {
            d.Append('V').Append(Num(Y(contents[i])));
            d.Append('H').Append(Num(f.Px(edges[i + 1])));
        }
        d.Append('V').Append(Num(baseline));
        if (fill is not null)
            sb.Append($"<path class=\"hist-fill\" d=\"{d}Z\" fill=\"{fill}\" fill-opacity=\"{Num(fillOpacity)}\" stroke=\"none\"/>\n");
        if (width > 0) Stroke(sb, d.ToString(), Color, width, style, "hist");
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        for (int i = 0; i < contents.Length; i++)
        {
            if (!Drawable(contents[i], f.Y)) continue;
            double py = f.Py(contents[i]);
            foreach (var q in Along(f.Px(edges[i]), py, f.Px(edges[i + 1]), py)) yield return q;
            // A filled histogram covers the area under it too.
            if (fill is not null)
                for (double y = py + 8; y < f.Y0 + f.Height; y += 8) yield return (0.5 * (f.Px(edges[i]) + f.Px(edges[i + 1])), y);
        }
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h)
    {
        if (fill is not null)
        {
            sb.Append($"<rect x=\"{Num(x)}\" y=\"{Num(y - h / 2)}\" width=\"{Num(w)}\" height=\"{Num(h)}\" fill=\"{fill}\" fill-opacity=\"{Num(fillOpacity)}\"");
            sb.Append(width > 0 ? $" stroke=\"{Color}\" stroke-width=\"{Num(width)}\"{Dash(style, width)}/>\n" : "/>\n");
        }
        else Stroke(sb, $"M{Num(x)},{Num(y)}H{Num(x + w)}", Color, width, style, "legend-line");
    }
}

internal sealed class ErrorBarSeries(double[] xs, double[] ys, double[]? yLow, double[]? yHigh, double[]? xLow, double[]? xHigh,
    Marker marker, double markerSize, double width) : Series
{
    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        for (int i = 0; i < xs.Length; i++)
        {
            if (!double.IsFinite(xs[i]) || !double.IsFinite(ys[i])) continue;
            x.Add(xs[i] - (xLow?[i] ?? 0), xa.Scale);
            x.Add(xs[i] + (xHigh?[i] ?? 0), xa.Scale);
            y.AddAt(xs[i], xs[i], ys[i] - (yLow?[i] ?? 0), ya.Scale);
            y.AddAt(xs[i], xs[i], ys[i] + (yHigh?[i] ?? 0), ya.Scale);
            y.AddAt(xs[i], xs[i], ys[i], ya.Scale);
        }
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        var d = new StringBuilder();
        for (int i = 0; i < xs.Length; i++)
        {
            if (!Drawable(xs[i], f.X) || !Drawable(ys[i], f.Y)) continue;
            double px = f.Px(xs[i]), py = f.Py(ys[i]);
            if (yLow is not null || yHigh is not null)
            {
                double lo = ys[i] - (yLow?[i] ?? 0), hi = ys[i] + (yHigh?[i] ?? 0);
                double plo = Drawable(lo, f.Y) ? f.Py(lo) : f.Y0 + f.Height + 2;
                d.Append($"M{Num(px)},{Num(plo)}V{Num(f.Py(hi))}");
            }
            if (xLow is not null || xHigh is not null)
            {
                double lo = xs[i] - (xLow?[i] ?? 0), hi = xs[i] + (xHigh?[i] ?? 0);
                double plo = Drawable(lo, f.X) ? f.Px(lo) : f.X0 - 2;
                d.Append($"M{Num(plo)},{Num(py)}H{Num(f.Px(hi))}");
            }
        }
        if (d.Length > 0) sb.Append($"<path class=\"errorbar\" d=\"{d}\" fill=\"none\" stroke=\"{Color}\" stroke-width=\"{Num(width)}\"/>\n");
        for (int i = 0; i < xs.Length; i++)
            if (Drawable(xs[i], f.X) && Drawable(ys[i], f.Y)) DrawMarker(sb, marker, f.Px(xs[i]), f.Py(ys[i]), markerSize, Color);
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        for (int i = 0; i < xs.Length; i++)
        {
            if (!Drawable(xs[i], f.X) || !Drawable(ys[i], f.Y)) continue;
            double px = f.Px(xs[i]);
            double lo = ys[i] - (yLow?[i] ?? 0), hi = ys[i] + (yHigh?[i] ?? 0);
            double plo = Drawable(lo, f.Y) ? f.Py(lo) : f.Y0 + f.Height;
            foreach (var q in Along(px, plo, px, f.Py(hi))) yield return q;
        }
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h)
    {
        double cx = x + w / 2;
        sb.Append($"<path d=\"M{Num(cx)},{Num(y - h / 2)}V{Num(y + h / 2)}\" stroke=\"{Color}\" stroke-width=\"{Num(width)}\"/>\n");
        DrawMarker(sb, marker, cx, y, markerSize, Color);
    }
}

internal sealed class BandSeries(double[] xs, double[] lower, double[] upper, double opacity) : Series
{
    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        x.Add(xs, xa.Scale);
        for (int i = 0; i < xs.Length; i++)
        {
            y.AddAt(xs[i], xs[i], lower[i], ya.Scale);
            y.AddAt(xs[i], xs[i], upper[i], ya.Scale);
        }
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        // Fill between the curves over each run of drawable points.
        int i = 0;
        while (i < xs.Length)
        {
            while (i < xs.Length && !Ok(i, f)) i++;
            int start = i;
            while (i < xs.Length && Ok(i, f)) i++;
            if (i - start < 2) continue;
            var d = new StringBuilder();
            for (int k = start; k < i; k++) d.Append(k == start ? 'M' : 'L').Append(Num(f.Px(xs[k]))).Append(',').Append(Num(f.Py(upper[k])));
            for (int k = i - 1; k >= start; k--) d.Append('L').Append(Num(f.Px(xs[k]))).Append(',').Append(Num(f.Py(lower[k])));
            sb.Append($"<path class=\"band\" d=\"{d}Z\" fill=\"{Color}\" fill-opacity=\"{Num(opacity)}\" stroke=\"none\"/>\n");
        }
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        for (int k = 0; k < xs.Length; k++)
        {
            if (!Ok(k, f)) continue;
            double px = f.Px(xs[k]);
            foreach (var q in Along(px, f.Py(lower[k]), px, f.Py(upper[k]))) yield return q;
        }
    }

    private bool Ok(int k, PlotFrame f) => Drawable(xs[k], f.X) && Drawable(lower[k], f.Y) && Drawable(upper[k], f.Y);

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h) =>
        sb.Append($"<rect x=\"{Num(x)}\" y=\"{Num(y - h / 2)}\" width=\"{Num(w)}\" height=\"{Num(h)}\" fill=\"{Color}\" fill-opacity=\"{Num(opacity)}\"/>\n");
}

internal sealed class ReferenceLine(bool horizontal, double value, string? text, LineStyle style, double width) : Series
{
    public override bool UsesPalette => false;
    public override int Layer => 2;

    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        if (horizontal) y.Add(value, ya.Scale);
        else x.Add(value, xa.Scale);
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        if (horizontal)
        {
            if (!Drawable(value, f.Y)) return;
            double py = f.Py(value);
            Stroke(sb, $"M{Num(f.X0)},{Num(py)}H{Num(f.X0 + f.Width)}", Color, width, style, "hline");
            if (text is not null)
                sb.Append($"<text x=\"{Num(f.X0 + f.Width - 6)}\" y=\"{Num(py - 4)}\" text-anchor=\"end\" font-size=\"12\" fill=\"{Color}\">{Markup(text, 12)}</text>\n");
        }
        else
        {
            if (!Drawable(value, f.X)) return;
            double px = f.Px(value);
            Stroke(sb, $"M{Num(px)},{Num(f.Y0)}V{Num(f.Y0 + f.Height)}", Color, width, style, "vline");
            if (text is not null)
                sb.Append($"<text transform=\"translate({Num(px - 4)},{Num(f.Y0 + 8)}) rotate(-90)\" text-anchor=\"end\" font-size=\"12\" fill=\"{Color}\">{Markup(text, 12)}</text>\n");
        }
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        if (horizontal && Drawable(value, f.Y))
        {
            double py = f.Py(value);
            var line = Along(f.X0, py, f.X0 + f.Width, py);
            if (text is null) return line;
            double w = Width(text, 12);
            return line.Concat(Box(f.X0 + f.Width - 6 - w, py - 16, w, 12));
        }
        if (!horizontal && Drawable(value, f.X))
        {
            double px = f.Px(value);
            var line = Along(px, f.Y0, px, f.Y0 + f.Height);
            if (text is null) return line;
            return line.Concat(Box(px - 16, f.Y0 + 8, 12, Width(text, 12)));
        }
        return [];
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h) =>
        Stroke(sb, $"M{Num(x)},{Num(y)}H{Num(x + w)}", Color, width, style, "legend-line");
}

internal sealed class SpanSeries(double from, double to, double opacity) : Series
{
    public override int Layer => 0;

    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        x.Add(from, xa.Scale);
        x.Add(to, xa.Scale);
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        double a = Math.Clamp(f.Px(from), f.X0, f.X0 + f.Width), b = Math.Clamp(f.Px(to), f.X0, f.X0 + f.Width);
        if (double.IsNaN(a) || double.IsNaN(b)) return;
        sb.Append($"<rect class=\"span\" x=\"{Num(Math.Min(a, b))}\" y=\"{Num(f.Y0)}\" width=\"{Num(Math.Abs(b - a))}\" height=\"{Num(f.Height)}\" fill=\"{Color}\" fill-opacity=\"{Num(opacity)}\"/>\n");
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h) =>
        sb.Append($"<rect x=\"{Num(x)}\" y=\"{Num(y - h / 2)}\" width=\"{Num(w)}\" height=\"{Num(h)}\" fill=\"{Color}\" fill-opacity=\"{Num(opacity)}\"/>\n");
}

internal sealed class TextAnnotation(double x, double y, string text, Coordinates coordinates, TextAnchor anchor, double fontSize, bool bold) : Series
{
    public override bool UsesPalette => false;
    public override int Layer => 3;

    public override void Extend(ref Extent xe, ref Extent ye, Axis xa, Axis ya) { }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        double px = coordinates == Coordinates.Axes ? f.AxesX(x) : f.Px(x);
        double py = coordinates == Coordinates.Axes ? f.AxesY(y) : f.Py(y);
        if (double.IsNaN(px) || double.IsNaN(py)) return;
        string a = anchor switch { TextAnchor.Middle => "middle", TextAnchor.End => "end", _ => "start" };
        string weight = bold ? " font-weight=\"bold\"" : "";
        var lines = text.Split('\n');
        sb.Append($"<text class=\"annotation\" x=\"{Num(px)}\" y=\"{Num(py)}\" text-anchor=\"{a}\" font-size=\"{Num(fontSize)}\"{weight} fill=\"{Color}\">");
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines.Length == 1) sb.Append(Markup(lines[i], fontSize));
            else sb.Append($"<tspan x=\"{Num(px)}\" y=\"{Num(py + i * 1.25 * fontSize)}\">{Markup(lines[i], fontSize)}</tspan>");
        }
        sb.Append("</text>\n");
    }

    public override IEnumerable<(double X, double Y)> Occupied(PlotFrame f)
    {
        double px = coordinates == Coordinates.Axes ? f.AxesX(x) : f.Px(x);
        double py = coordinates == Coordinates.Axes ? f.AxesY(y) : f.Py(y);
        if (double.IsNaN(px) || double.IsNaN(py)) return [];
        var lines = text.Split('\n');
        double w = lines.Max(l => Width(l, fontSize));
        double x0 = anchor switch { TextAnchor.Middle => px - w / 2, TextAnchor.End => px - w, _ => px };
        return Box(x0, py - fontSize, w, lines.Length * 1.25 * fontSize);
    }

    public override void Swatch(StringBuilder sb, double x0, double y0, double w, double h) { }
}
