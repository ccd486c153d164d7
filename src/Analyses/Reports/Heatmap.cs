using System.Globalization;
using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

/// <summary>Cells coloured by value (viridis), values[row = y bin, column = x bin], with an optional printed value per cell.</summary>
internal sealed class HeatmapSeries : Series
{
    private readonly double[] _xEdges, _yEdges;
    private readonly double[,] _values;
    private readonly string? _cellFormat;

    public HeatmapSeries(double[] xEdges, double[] yEdges, double[,] values, double? min, double? max, string? colorbarLabel, string? cellFormat)
    {
        _xEdges = xEdges;
        _yEdges = yEdges;
        _values = values;
        _cellFormat = cellFormat;
        ColorbarLabel = colorbarLabel;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (double v in values)
            if (double.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        if (double.IsInfinity(lo)) (lo, hi) = (0, 1);
        lo = min ?? lo;
        hi = max ?? hi;
        if (!(hi > lo)) { hi = lo + 1; }
        Min = lo;
        Max = hi;
    }

    public override bool UsesPalette => false;
    public override int Layer => 0;
    public double Min { get; }
    public double Max { get; }
    public string? ColorbarLabel { get; }

    public override void Extend(ref Extent x, ref Extent y, Axis xa, Axis ya)
    {
        x.Add(_xEdges, xa.Scale);
        y.Add(_yEdges, ya.Scale);
        x.Sticky(_xEdges[0], _xEdges[^1], xa.Scale);
        y.Sticky(_yEdges[0], _yEdges[^1], ya.Scale);
    }

    public override void Render(StringBuilder sb, PlotFrame f)
    {
        int ny = _values.GetLength(0), nx = _values.GetLength(1);
        var text = new StringBuilder();
        for (int iy = 0; iy < ny; iy++)
        {
            for (int ix = 0; ix < nx; ix++)
            {
                double x0 = f.Px(_xEdges[ix]), x1 = f.Px(_xEdges[ix + 1]);
                double y0 = f.Py(_yEdges[iy + 1]), y1 = f.Py(_yEdges[iy]);
                if (double.IsNaN(x0 + x1 + y0 + y1)) continue;
                double v = _values[iy, ix];
                string fill = "#E8E8E8";
                (byte R, byte G, byte B) rgb = (0xE8, 0xE8, 0xE8);
                if (double.IsFinite(v))
                {
                    rgb = Palette.ViridisRgb((v - Min) / (Max - Min));
                    fill = $"#{rgb.R:X2}{rgb.G:X2}{rgb.B:X2}";
                }
                // Cells overlap by a hair so no background seams show between them.
                sb.Append($"<rect class=\"cell\" x=\"{Num(Math.Min(x0, x1))}\" y=\"{Num(Math.Min(y0, y1))}\" width=\"{Num(Math.Abs(x1 - x0) + 0.3)}\" height=\"{Num(Math.Abs(y1 - y0) + 0.3)}\" fill=\"{fill}\"/>\n");
                if (_cellFormat is not null && double.IsFinite(v))
                {
                    double cw = Math.Abs(x1 - x0), ch = Math.Abs(y1 - y0);
                    double size = Math.Clamp(Math.Min(ch * 0.45, 11), 6, 11);
                    string s = TypographicMinus(v.ToString(_cellFormat, CultureInfo.InvariantCulture));
                    if (Width(s, size) > cw - 2) continue;
                    string color = Palette.Luminance(rgb) > 0.45 ? "#000000" : "#FFFFFF";
                    text.Append($"<text class=\"cell-value\" x=\"{Num((x0 + x1) / 2)}\" y=\"{Num((y0 + y1) / 2 + 0.36 * size)}\" text-anchor=\"middle\" font-size=\"{Num(size)}\" fill=\"{color}\">{Escape(s)}</text>\n");
                }
            }
        }
        sb.Append(text);
    }

    public override void Swatch(StringBuilder sb, double x, double y, double w, double h) { }

    /// <summary>The colour bar: a vertical gradient with its own ticks on the right.</summary>
    internal void RenderColorbar(StringBuilder sb, double x, double y, double width, double height, string gradientId, List<Tick> ticks)
    {
        sb.Append($"<defs><linearGradient id=\"{gradientId}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (int i = 0; i <= 20; i++) sb.Append($"<stop offset=\"{Num(i / 20.0)}\" stop-color=\"{Palette.ViridisAt(i / 20.0)}\"/>");
        sb.Append("</linearGradient></defs>\n");
        sb.Append($"<rect class=\"colorbar\" x=\"{Num(x)}\" y=\"{Num(y)}\" width=\"{Num(width)}\" height=\"{Num(height)}\" fill=\"url(#{gradientId})\" stroke=\"#000000\" stroke-width=\"0.8\"/>\n");
        var path = new StringBuilder();
        foreach (var t in ticks)
        {
            double py = y + height - (t.Value - Min) / (Max - Min) * height;
            double len = t.Major ? 4 : 2;
            path.Append($"M{Num(x + width - len)},{Num(py)}H{Num(x + width)}");
            if (t.Label is not null)
                sb.Append($"<text class=\"tick-label\" x=\"{Num(x + width + 5)}\" y=\"{Num(py + 0.36 * Figure.TickFont)}\" font-size=\"{Num(Figure.TickFont)}\">{Escape(t.Label)}</text>\n");
        }
        sb.Append($"<path d=\"{path}\" stroke=\"#000000\" stroke-width=\"0.8\"/>\n");
    }

    internal List<Tick> ColorbarTicks(double height)
    {
        var ticks = AxisTicks.Linear(Min, Max, Math.Clamp((int)(height / 40), 3, 8), minor: false);
        return ticks;
    }
}
