using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

/// <summary>Where a panel's legend goes.</summary>
public enum LegendPosition
{
    /// <summary>Inside the plot area where it covers the fewest drawn points and texts (default): a corner (upper right first), else the middle of an edge.</summary>
    Best,
    /// <summary>Inside the plot area, upper right.</summary>
    UpperRight,
    /// <summary>Inside, upper left.</summary>
    UpperLeft,
    /// <summary>Inside, lower right.</summary>
    LowerRight,
    /// <summary>Inside, lower left.</summary>
    LowerLeft,
    /// <summary>To the right of the plot area (the panel gives up width for it).</summary>
    OutsideRight,
    /// <summary>No legend.</summary>
    None,
}

// The legend: which series it lists, its size, where it goes and how it is drawn.
public sealed partial class Panel
{
    private IEnumerable<Series> LegendEntries() => _series.Where(s => s.Label is not null && s is not TextAnnotation and not HeatmapSeries);

    private const double LegendFont = 12.5, LegendRow = 19, SwatchW = 26;

    private (double W, double H) LegendSize()
    {
        var entries = LegendEntries().ToList();
        double w = 8 + SwatchW + 7 + entries.Select(e => Width(e.Label!, LegendFont)).DefaultIfEmpty(0).Max() + 8;
        return (w, entries.Count * LegendRow + 8);
    }

    /// <summary>
    /// The legend's top-left corner for <see cref="LegendPosition.Best"/>: of the four corners, then the middles of
    /// the top, bottom, left and right edges, the first that covers the fewest drawn points and texts.
    /// </summary>
    private (double X, double Y) BestPlace(PlotFrame f, double w, double h, double inset)
    {
        var points = _series.SelectMany(s => s.Occupied(f)).ToList();
        double left = f.X0 + inset, right = f.X0 + f.Width - inset - w, centreX = f.X0 + (f.Width - w) / 2;
        double top = f.Y0 + inset, bottom = f.Y0 + f.Height - inset - h, centreY = f.Y0 + (f.Height - h) / 2;
        (double X, double Y)[] candidates =
        [
            (right, top), (left, top), (right, bottom), (left, bottom),
            (centreX, top), (centreX, bottom), (left, centreY), (right, centreY),
        ];
        var best = candidates[0];
        int fewest = int.MaxValue;
        foreach (var c in candidates)
        {
            int n = points.Count(p => p.X >= c.X && p.X <= c.X + w && p.Y >= c.Y && p.Y <= c.Y + h);
            if (n < fewest) { fewest = n; best = c; }
        }
        return best;
    }

    private void RenderLegend(StringBuilder sb, PlotFrame f, double outsideX)
    {
        var entries = LegendEntries().ToList();
        if (entries.Count == 0 || Legend == LegendPosition.None) return;
        var (w, h) = LegendSize();
        const double inset = 8;
        double x = Legend switch
        {
            LegendPosition.UpperLeft or LegendPosition.LowerLeft => f.X0 + inset,
            LegendPosition.OutsideRight => outsideX + 10,
            _ => f.X0 + f.Width - inset - w,
        };
        double y = Legend is LegendPosition.LowerLeft or LegendPosition.LowerRight ? f.Y0 + f.Height - inset - h : f.Y0 + inset;
        if (Legend == LegendPosition.OutsideRight) y = f.Y0;
        if (Legend == LegendPosition.Best) (x, y) = BestPlace(f, w, h, inset);
        sb.Append("<g class=\"legend\">\n");
        sb.Append($"<rect x=\"{Num(x)}\" y=\"{Num(y)}\" width=\"{Num(w)}\" height=\"{Num(h)}\" fill=\"#FFFFFF\" fill-opacity=\"0.85\" stroke=\"#CCCCCC\" stroke-width=\"0.8\" rx=\"2\"/>\n");
        for (int i = 0; i < entries.Count; i++)
        {
            double cy = y + 4 + (i + 0.5) * LegendRow;
            entries[i].Swatch(sb, x + 8, cy, SwatchW, 10);
            sb.Append($"<text x=\"{Num(x + 8 + SwatchW + 7)}\" y=\"{Num(cy + 0.36 * LegendFont)}\" font-size=\"{Num(LegendFont)}\">{Markup(entries[i].Label!, LegendFont)}</text>\n");
        }
        sb.Append("</g>\n");
    }
}
