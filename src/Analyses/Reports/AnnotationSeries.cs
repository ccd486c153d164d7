using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

// Series that mark up a plot rather than show data: reference lines, shaded spans and text.

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
