using System.Text;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

// Drawing: the series, ticks, frame, axis labels, titles, right axis and colour bar of one laid-out panel.
public sealed partial class Panel
{
    internal void Render(StringBuilder sb, PlotFrame f, int index)
    {
        string clip = $"clip{index}";
        sb.Append($"<g class=\"panel\" id=\"panel{index}\">\n");
        sb.Append($"<defs><clipPath id=\"{clip}\"><rect x=\"{Num(f.X0)}\" y=\"{Num(f.Y0)}\" width=\"{Num(f.Width)}\" height=\"{Num(f.Height)}\"/></clipPath></defs>\n");
        sb.Append($"<g clip-path=\"url(#{clip})\">\n");
        foreach (var s in _series.Where(s => s.Layer < 3).OrderBy(s => s.Layer)) s.Render(sb, f);
        sb.Append("</g>\n");

        var xt = XTicks(f.Width);
        var yt = YTicks(f.Height);
        var ticks = new StringBuilder();
        foreach (var t in xt)
        {
            double px = f.Px(t.Value);
            double len = t.Major ? 6 : 3;
            ticks.Append($"M{Num(px)},{Num(f.Y0 + f.Height)}v{Num(-len)}M{Num(px)},{Num(f.Y0)}v{Num(len)}");
            if (t.Label is not null && X.ShowTickLabels)
                sb.Append($"<text class=\"tick-label x\" x=\"{Num(px)}\" y=\"{Num(f.Y0 + f.Height + Figure.TickFont + 4)}\" text-anchor=\"middle\" font-size=\"{Num(Figure.TickFont)}\">{Escape(t.Label)}</text>\n");
        }
        bool right = _rightAxis is null;
        foreach (var t in yt)
        {
            double py = f.Py(t.Value);
            double len = t.Major ? 6 : 3;
            ticks.Append($"M{Num(f.X0)},{Num(py)}h{Num(len)}");
            if (right) ticks.Append($"M{Num(f.X0 + f.Width)},{Num(py)}h{Num(-len)}");
            // Where frames touch, labels at the shared edge would collide: leave them out.
            bool atTop = py - f.Y0 < 6, atBottom = f.Y0 + f.Height - py < 6;
            if (t.Label is null || (AttachedBelow && atTop) || (!X.ShowTickLabels && atBottom)) continue;
            sb.Append($"<text class=\"tick-label y\" x=\"{Num(f.X0 - 6)}\" y=\"{Num(py + 0.36 * Figure.TickFont)}\" text-anchor=\"end\" font-size=\"{Num(Figure.TickFont)}\">{Escape(t.Label)}</text>\n");
        }
        double rightEdge = f.X0 + f.Width;
        if (_rightAxis is { } ra)
        {
            double maxW = 0;
            for (int i = 0; i < ra.Positions.Length; i++)
            {
                double py = f.Py(ra.Positions[i]);
                if (double.IsNaN(py) || py < f.Y0 - 0.5 || py > f.Y0 + f.Height + 0.5) continue;
                ticks.Append($"M{Num(f.X0 + f.Width)},{Num(py)}h-6");
                sb.Append($"<text class=\"tick-label right\" x=\"{Num(f.X0 + f.Width + 6)}\" y=\"{Num(py + 0.36 * Figure.TickFont)}\" font-size=\"{Num(Figure.TickFont)}\">{Escape(ra.Labels[i])}</text>\n");
                maxW = Math.Max(maxW, Width(ra.Labels[i], Figure.TickFont));
            }
            rightEdge += 6 + maxW;
            if (ra.Label is not null)
            {
                double lx = rightEdge + 6 + Figure.LabelFont;
                sb.Append($"<text class=\"axis-label right\" transform=\"translate({Num(lx)},{Num(f.Y0 + f.Height / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"{Num(Figure.LabelFont)}\">{Markup(ra.Label, Figure.LabelFont)}</text>\n");
                rightEdge = lx + 4;
            }
        }
        if (Heat is { } heat)
        {
            double cx = rightEdge + 12;
            var cticks = heat.ColorbarTicks(f.Height);
            heat.RenderColorbar(sb, cx, f.Y0, 14, f.Height, $"cmap{index}", cticks);
            double w = cticks.Where(t => t.Label is not null).Select(t => Width(t.Label!, Figure.TickFont)).DefaultIfEmpty(0).Max();
            rightEdge = cx + 14 + 5 + w;
            if (heat.ColorbarLabel is not null)
            {
                double lx = rightEdge + 6 + Figure.LabelFont;
                sb.Append($"<text class=\"axis-label colorbar\" transform=\"translate({Num(lx)},{Num(f.Y0 + f.Height / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"{Num(Figure.LabelFont)}\">{Markup(heat.ColorbarLabel, Figure.LabelFont)}</text>\n");
                rightEdge = lx + 4;
            }
        }
        sb.Append($"<path class=\"ticks\" d=\"{ticks}\" stroke=\"#000000\" stroke-width=\"0.8\" fill=\"none\"/>\n");
        sb.Append($"<rect class=\"frame\" x=\"{Num(f.X0)}\" y=\"{Num(f.Y0)}\" width=\"{Num(f.Width)}\" height=\"{Num(f.Height)}\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>\n");

        if (X.Label is not null && X.ShowTickLabels)
            sb.Append($"<text class=\"axis-label x\" x=\"{Num(f.X0 + f.Width / 2)}\" y=\"{Num(f.Y0 + f.Height + Figure.TickFont + 8 + Figure.LabelFont * 1.1)}\" text-anchor=\"middle\" font-size=\"{Num(Figure.LabelFont)}\">{Markup(X.Label, Figure.LabelFont)}</text>\n");
        if (Y.Label is not null)
        {
            double yLabelW = yt.Where(t => t.Label is not null).Select(t => Width(t.Label!, Figure.TickFont)).DefaultIfEmpty(0).Max();
            double lx = f.X0 - 6 - yLabelW - 8;
            sb.Append($"<text class=\"axis-label y\" transform=\"translate({Num(lx)},{Num(f.Y0 + f.Height / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"{Num(Figure.LabelFont)}\">{Markup(Y.Label, Figure.LabelFont)}</text>\n");
        }
        if (Title is not null)
            sb.Append($"<text class=\"title\" x=\"{Num(f.X0)}\" y=\"{Num(f.Y0 - 8)}\" font-size=\"{Num(Figure.LabelFont)}\" font-weight=\"bold\">{Markup(Title, Figure.LabelFont)}</text>\n");
        if (TitleRight is not null)
            sb.Append($"<text class=\"title right\" x=\"{Num(f.X0 + f.Width)}\" y=\"{Num(f.Y0 - 8)}\" text-anchor=\"end\" font-size=\"{Num(Figure.LabelFont)}\">{Markup(TitleRight, Figure.LabelFont)}</text>\n");

        foreach (var s in _series.Where(s => s.Layer == 3)) s.Render(sb, f);
        RenderLegend(sb, f, Math.Max(rightEdge, f.X0 + f.Width));
        sb.Append("</g>\n");
    }
}
