using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

// Layout, decided before anything is drawn: the axis ranges, the ticks that fit and the margins the panel needs.
public sealed partial class Panel
{
    internal void DataExtent(out Extent x, out Extent y, bool windowed = false)
    {
        x = new Extent();
        y = new Extent();
        // With a fixed x range the automatic y range follows only what is visible (x is resolved first).
        var root = XRoot.X;
        if (windowed && (root.Min is not null || root.Max is not null)) (y.WindowLo, y.WindowHi) = (X.Lo, X.Hi);
        foreach (var s in _series) s.Extend(ref x, ref y, root, Y);
    }

    internal void ResolveY()
    {
        DataExtent(out _, out var y, windowed: true);
        (Y.Lo, Y.Hi) = y.Resolve(Y);
    }

    internal void ApplyX(Axis root, double lo, double hi)
    {
        X.Scale = root.Scale;
        (X.Lo, X.Hi) = (lo, hi);
    }

    private HeatmapSeries? Heat => _series.OfType<HeatmapSeries>().FirstOrDefault();

    internal List<Tick> XTicks(double length)
    {
        static double Need(List<Tick> ticks) => ticks.Where(t => t.Label is not null).Sum(t => Width(t.Label!, Figure.TickFont) + 16);
        if (X.FixedTicks is not null)
        {
            // Given labels are never changed, but when they would overlap only every k-th one is written.
            var ticks = X.ComputeTicks(0);
            double need = Need(ticks);
            int k = (int)Math.Ceiling(need / Math.Max(1, length));
            if (k <= 1) return ticks;
            return ticks.Select((t, i) => i % k == 0 ? t : t with { Label = null }).ToList();
        }
        int n = Math.Clamp((int)(length / 70), 3, 10);
        while (true)
        {
            var ticks = X.ComputeTicks(n);
            if (Need(ticks) <= length || n <= 2) return ticks;
            n--;
        }
    }

    /// <summary>Half the width of x tick labels that sit at the left or right end of the axis (they overhang the frame).</summary>
    private (double Left, double Right) XLabelOverhang(double width)
    {
        if (!X.ShowTickLabels) return (0, 0);
        var labelled = XTicks(width).Where(t => t.Label is not null).ToList();
        if (labelled.Count == 0) return (0, 0);
        double Over(Tick t, bool left)
        {
            double f = X.Fraction(t.Value);
            double fromEdge = (left ? f : 1 - f) * width;
            return Math.Max(0, Width(t.Label!, Figure.TickFont) / 2 - fromEdge);
        }
        return (Over(labelled[0], true), Over(labelled[^1], false));
    }

    internal List<Tick> YTicks(double length) => Y.ComputeTicks(Math.Clamp((int)(length / 38), 3, 10));

    /// <summary>Space needed around the plot area: left, top, right, bottom.</summary>
    internal (double L, double T, double R, double B) Margins(double width, double height)
    {
        var yt = YTicks(height);
        double yLabelW = yt.Where(t => t.Label is not null).Select(t => Width(t.Label!, Figure.TickFont)).DefaultIfEmpty(0).Max();
        double left = 6 + yLabelW + 6 + (Y.Label is null ? 0 : Figure.LabelFont * 1.25 + 4);
        double bottom = X.ShowTickLabels ? Figure.TickFont + 8 + (X.Label is null ? 4 : Figure.LabelFont * 1.25 + 6) : 0;
        double top = (Title ?? TitleRight) is null ? (AttachedBelow ? 0 : 9) : Figure.LabelFont + 14;
        var overhang = XLabelOverhang(width);
        left = Math.Max(left, overhang.Left + 4);
        double right = Math.Max(12, overhang.Right + 4);
        if (_rightAxis is { } ra)
            right += 6 + ra.Labels.Select(l => Width(l, Figure.TickFont)).DefaultIfEmpty(0).Max() + (ra.Label is null ? 0 : Figure.LabelFont * 1.25 + 6);
        if (Heat is { } heat)
        {
            double w = heat.ColorbarTicks(height).Where(t => t.Label is not null).Select(t => Width(t.Label!, Figure.TickFont)).DefaultIfEmpty(0).Max();
            right += 12 + 14 + 5 + w + (heat.ColorbarLabel is null ? 0 : Figure.LabelFont * 1.25 + 6);
        }
        if (Legend == LegendPosition.OutsideRight && LegendEntries().Any()) right += 10 + LegendSize().W;
        return (left, top, right, bottom);
    }
}
