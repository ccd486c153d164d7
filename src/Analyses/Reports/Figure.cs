using System.Text;
using FastAD.Kernels.IO;
using static FastAD.Analyses.Reports.SvgText;

namespace FastAD.Analyses.Reports;

/// <summary>
/// A figure of one or more <see cref="Panel"/>s on a grid, written as a standalone SVG in a paper-like style:
/// white background, thin black frame, inward ticks on all four sides, sans-serif text, Okabe–Ito colours.
/// Output is deterministic (invariant culture, coordinates rounded to 0.01 px), so files diff cleanly.
/// </summary>
/// <example>
/// <code>
/// var fig = new Figure();
/// fig.Main.X.Label = "m_{μμ} [GeV]";
/// fig.Main.Histogram(masses, edges, "data").VerticalSpan(9, 10.6, "SR");
/// fig.Save("run/mass.svg");
/// </code>
/// </example>
public sealed class Figure
{
    internal const double TickFont = 13, LabelFont = 14;
    private readonly Panel[,] _panels;
    private readonly double[] _rowWeights, _columnWeights;

    /// <summary>A figure with a single panel (<see cref="Main"/>).</summary>
    public Figure(double width = 560, double height = 420) : this(1, 1, width, height) { }

    /// <summary>
    /// A grid of panels. <paramref name="rowHeights"/> and <paramref name="columnWidths"/> are relative weights
    /// (default equal) for the plot areas.
    /// </summary>
    public Figure(int rows, int columns, double width, double height, IReadOnlyList<double>? rowHeights = null, IReadOnlyList<double>? columnWidths = null)
    {
        if (rows < 1 || columns < 1) throw new ArgumentException($"A figure needs at least one row and one column (got {rows}×{columns}).");
        if (!(width >= 100 && height >= 80)) throw new ArgumentException($"Figure size {width}×{height} px is too small (at least 100×80).");
        _rowWeights = Weights(rowHeights, rows, "rowHeights");
        _columnWeights = Weights(columnWidths, columns, "columnWidths");
        Width = width;
        Height = height;
        _panels = new Panel[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                _panels[r, c] = new Panel(r, c);
    }

    private static double[] Weights(IReadOnlyList<double>? weights, int n, string name)
    {
        if (weights is null) return Enumerable.Repeat(1.0, n).ToArray();
        if (weights.Count != n || weights.Any(w => !(w > 0)))
            throw new ArgumentException($"{name} needs {n} positive weights (got {string.Join(", ", weights)}).");
        return weights.ToArray();
    }

    /// <summary>
    /// A main panel with a ratio (or pull) panel below it, sharing x, frames touching; the main panel's x tick
    /// labels are hidden. <paramref name="ratioFraction"/> is the lower panel's share of the plot height.
    /// </summary>
    public static Figure WithRatio(double width = 560, double height = 520, double ratioFraction = 0.28)
    {
        if (!(ratioFraction > 0.05 && ratioFraction < 0.8)) throw new ArgumentException($"ratioFraction {ratioFraction} should be in (0.05, 0.8).");
        var fig = new Figure(2, 1, width, height, [1 - ratioFraction, ratioFraction]);
        fig[1, 0].ShareX(fig[0, 0]);
        fig[0, 0].X.ShowTickLabels = false;
        fig[1, 0].AttachedBelow = true;
        return fig;
    }

    /// <summary>Width in pixels.</summary>
    public double Width { get; }

    /// <summary>Height in pixels.</summary>
    public double Height { get; }

    /// <summary>Number of panel rows.</summary>
    public int Rows => _panels.GetLength(0);

    /// <summary>Number of panel columns.</summary>
    public int Columns => _panels.GetLength(1);

    /// <summary>Optional title centred above all panels.</summary>
    public string? Title { get; set; }

    /// <summary>The panel in a grid cell (row 0 at the top).</summary>
    public Panel this[int row, int column] => _panels[row, column];

    /// <summary>The top-left panel (the only one of a single-panel figure).</summary>
    public Panel Main => _panels[0, 0];

    /// <summary>The lower panel of a <see cref="WithRatio"/> figure.</summary>
    public Panel Ratio => Rows >= 2 ? _panels[1, 0] : throw new InvalidOperationException("This figure has no ratio panel (use Figure.WithRatio).");

    /// <summary>Writes the figure atomically to <paramref name="path"/> (an .svg file).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToSvg());

    /// <summary>The figure as an SVG document.</summary>
    public string ToSvg()
    {
        int rows = Rows, cols = Columns;
        var all = _panels.Cast<Panel>().ToList();
        ResolveLimits(all);

        const double pad = 4;
        double titleH = Title is null ? 0 : LabelFont * 1.6 + 4;
        // Pass 1: margins from approximate plot sizes, aligned per column (left/right) and per row (top/bottom).
        double approxW = (Width - 2 * pad) / cols - 90, approxH = (Height - titleH - 2 * pad) / rows - 60;
        var left = new double[cols]; var right = new double[cols]; var top = new double[rows]; var bottom = new double[rows];
        foreach (var p in all)
        {
            double w = Math.Max(40, approxW * _columnWeights[p.Column] * cols / _columnWeights.Sum());
            double h = Math.Max(30, approxH * _rowWeights[p.Row] * rows / _rowWeights.Sum());
            var m = p.Margins(w, h);
            left[p.Column] = Math.Max(left[p.Column], m.L);
            right[p.Column] = Math.Max(right[p.Column], m.R);
            top[p.Row] = Math.Max(top[p.Row], m.T);
            bottom[p.Row] = Math.Max(bottom[p.Row], m.B);
        }
        double plotW = Width - 2 * pad - left.Sum() - right.Sum();
        double plotH = Height - 2 * pad - titleH - top.Sum() - bottom.Sum();
        if (plotW < 20 * cols || plotH < 20 * rows)
            throw new ArgumentException($"Figure {Width}×{Height} px leaves no room for the plot areas after labels; make it larger.");

        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" xml:space=\"preserve\" width=\"{Num(Width)}\" height=\"{Num(Height)}\" viewBox=\"0 0 {Num(Width)} {Num(Height)}\" ");
        sb.Append($"font-family=\"{Escape(FontFamily)}\" font-size=\"{Num(TickFont)}\" fill=\"#000000\">\n");
        sb.Append($"<rect class=\"background\" width=\"{Num(Width)}\" height=\"{Num(Height)}\" fill=\"#FFFFFF\"/>\n");
        if (Title is not null)
            sb.Append($"<text class=\"figure-title\" x=\"{Num(Width / 2)}\" y=\"{Num(pad + LabelFont * 1.2)}\" text-anchor=\"middle\" font-size=\"{Num(LabelFont + 1)}\" font-weight=\"bold\">{Markup(Title, LabelFont + 1)}</text>\n");

        double sumC = _columnWeights.Sum(), sumR = _rowWeights.Sum();
        int index = 0;
        double y = pad + titleH;
        for (int r = 0; r < rows; r++)
        {
            double h = plotH * _rowWeights[r] / sumR;
            double x = pad;
            for (int c = 0; c < cols; c++)
            {
                double w = plotW * _columnWeights[c] / sumC;
                var p = _panels[r, c];
                if (!p.IsEmpty || p.X.Label is not null || p.Y.Label is not null)
                    p.Render(sb, new PlotFrame(x + left[c], y + top[r], w, h, p.X, p.Y), index);
                index++;
                x += left[c] + w + right[c];
            }
            y += top[r] + h + bottom[r];
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static void ResolveLimits(List<Panel> all)
    {
        foreach (var group in all.GroupBy(p => p.XRoot))
        {
            var root = group.Key;
            var ext = new Extent();
            foreach (var p in group)
            {
                p.DataExtent(out var x, out _);
                ext.Union(x);
            }
            var (lo, hi) = ext.Resolve(root.X);
            foreach (var p in group) p.ApplyX(root.X, lo, hi);
        }
        foreach (var p in all) p.ResolveY();
    }
}
