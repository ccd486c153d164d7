using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

// Series that show data: lines and markers, step histograms, error bars and bands.

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
