namespace FastAD.Analyses.Reports;

/// <summary>
/// One set of axes in a <see cref="Figure"/>: series are drawn in the order added (shaded regions and heat
/// maps first, reference lines and text last); series with a label appear in the legend. Colours not given
/// are taken from <see cref="Palette.Cycle"/> in turn. Every method returns the panel, for chaining.
/// </summary>
public sealed partial class Panel
{
    private readonly List<Series> _series = [];
    private int _nextColor;
    private Panel? _shareXWith;
    private (string? Label, double[] Positions, string[] Labels)? _rightAxis;

    internal Panel(int row, int column)
    {
        Row = row;
        Column = column;
    }

    internal int Row { get; }
    internal int Column { get; }

    /// <summary>The x axis.</summary>
    public Axis X { get; } = new();

    /// <summary>The (left) y axis.</summary>
    public Axis Y { get; } = new();

    /// <summary>Bold title above the plot area, left-aligned (e.g. <c>"CMS Open Data"</c>).</summary>
    public string? Title { get; set; }

    /// <summary>Title above the plot area, right-aligned (e.g. <c>"8.7 fb^{−1} (13 TeV)"</c>).</summary>
    public string? TitleRight { get; set; }

    /// <summary>Legend placement.</summary>
    public LegendPosition Legend { get; set; } = LegendPosition.Best;

    /// <summary>Set on the lower panel of a stack whose frames touch (ratio panel): its top tick label is left out.</summary>
    internal bool AttachedBelow { get; set; }

    private string NextColor(string? color) => color ?? Palette.Cycle[_nextColor++ % Palette.Cycle.Count];

    private static double[] Copy(IReadOnlyList<double> values, string what)
    {
        ArgumentNullException.ThrowIfNull(values, what);
        return values.ToArray();
    }

    private static void SameLength(int expected, IReadOnlyList<double>? values, string what, string against)
    {
        if (values is not null && values.Count != expected)
            throw new ArgumentException($"{what} has {values.Count} values but {against} has {expected}.");
    }

    /// <summary>A line through the points (NaN breaks it), optionally with markers.</summary>
    public Panel Line(IReadOnlyList<double> x, IReadOnlyList<double> y, string? label = null, string? color = null,
        LineStyle style = LineStyle.Solid, double width = 1.6, Marker marker = Marker.None, double markerSize = 6)
    {
        SameLength(x.Count, y, "y", "x");
        _series.Add(new LineSeries(Copy(x, nameof(x)), Copy(y, nameof(y)), style, width, marker, markerSize, line: true) { Label = label, Color = NextColor(color) });
        return this;
    }

    /// <summary>Markers only.</summary>
    public Panel Scatter(IReadOnlyList<double> x, IReadOnlyList<double> y, string? label = null, string? color = null,
        Marker marker = Marker.Circle, double markerSize = 6)
    {
        SameLength(x.Count, y, "y", "x");
        _series.Add(new LineSeries(Copy(x, nameof(x)), Copy(y, nameof(y)), LineStyle.Solid, 0, marker, markerSize, line: false) { Label = label, Color = NextColor(color) });
        return this;
    }

    /// <summary>
    /// A step histogram from bin edges (n + 1, increasing) and contents (n). <paramref name="normalize"/> divides by
    /// (sum of contents × bin width), giving a density. <paramref name="fill"/> fills under the outline; width 0 draws no outline.
    /// </summary>
    public Panel Step(IReadOnlyList<double> edges, IReadOnlyList<double> contents, string? label = null, string? color = null,
        bool normalize = false, LineStyle style = LineStyle.Solid, double width = 1.5, string? fill = null, double fillOpacity = 0.3)
    {
        var e = Copy(edges, nameof(edges));
        var c = Copy(contents, nameof(contents));
        if (e.Length != c.Length + 1) throw new ArgumentException($"A histogram needs one more edge than contents (got {e.Length} edges, {c.Length} contents).");
        for (int i = 1; i < e.Length; i++)
            if (!(e[i] > e[i - 1])) throw new ArgumentException($"Histogram edges must increase (edge {i} = {e[i]} after {e[i - 1]}).");
        if (normalize)
        {
            double sum = c.Where(double.IsFinite).Sum();
            for (int i = 0; i < c.Length; i++) c[i] = sum > 0 ? c[i] / (sum * (e[i + 1] - e[i])) : 0;
        }
        _series.Add(new StepSeries(e, c, style, width, fill, fillOpacity) { Label = label, Color = NextColor(color) });
        return this;
    }

    /// <summary>Counts <paramref name="values"/> into the bins (values outside the edges are dropped) and draws a step histogram.</summary>
    public Panel Histogram(IReadOnlyList<double> values, IReadOnlyList<double> edges, string? label = null, string? color = null,
        bool normalize = false, LineStyle style = LineStyle.Solid, double width = 1.5, string? fill = null, double fillOpacity = 0.3) =>
        Step(edges, Count(values, edges), label, color, normalize, style, width, fill, fillOpacity);

    /// <summary>Counts per bin [e_i, e_{i+1}), the last bin closed; NaN and out-of-range values are dropped.</summary>
    public static double[] Count(IReadOnlyList<double> values, IReadOnlyList<double> edges)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (edges.Count < 2) throw new ArgumentException("A histogram needs at least two edges.");
        var counts = new double[edges.Count - 1];
        var e = edges.ToArray();
        foreach (double v in values)
        {
            if (!(v >= e[0] && v <= e[^1])) continue;
            int i = Array.BinarySearch(e, v);
            i = i >= 0 ? Math.Min(i, counts.Length - 1) : ~i - 1;
            counts[i]++;
        }
        return counts;
    }

    /// <summary>Points with symmetric error bars in y (and optionally x, e.g. half bin widths); data style: black filled circles by default.</summary>
    public Panel ErrorBars(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double>? yError, IReadOnlyList<double>? xError = null,
        string? label = null, string color = Palette.Black, Marker marker = Marker.Circle, double markerSize = 5, double width = 1.2) =>
        AsymmetricErrorBars(x, y, yError, yError, xError, xError, label, color, marker, markerSize, width);

    /// <summary>
    /// Bin counts as data points: markers at the bin centres with √N vertical error bars and half-bin horizontal
    /// ones (the usual way to show a spectrum of data over a fitted curve).
    /// </summary>
    public Panel PoissonPoints(IReadOnlyList<double> edges, IReadOnlyList<double> counts, string? label = "data",
        string color = Palette.Black, Marker marker = Marker.Circle, double markerSize = 4.5)
    {
        if (edges.Count != counts.Count + 1) throw new ArgumentException($"Bin counts need one more edge than counts (got {edges.Count} edges, {counts.Count} counts).");
        var centres = new double[counts.Count];
        var half = new double[counts.Count];
        var err = new double[counts.Count];
        for (int i = 0; i < counts.Count; i++)
        {
            centres[i] = 0.5 * (edges[i] + edges[i + 1]);
            half[i] = 0.5 * (edges[i + 1] - edges[i]);
            err[i] = Math.Sqrt(Math.Max(0, counts[i]));
        }
        return ErrorBars(centres, counts, err, half, label, color, marker, markerSize);
    }

    /// <summary>Points with asymmetric error bars: y − yLow … y + yHigh and x − xLow … x + xHigh (any may be null).</summary>
    public Panel AsymmetricErrorBars(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double>? yLow, IReadOnlyList<double>? yHigh,
        IReadOnlyList<double>? xLow = null, IReadOnlyList<double>? xHigh = null,
        string? label = null, string color = Palette.Black, Marker marker = Marker.Circle, double markerSize = 5, double width = 1.2)
    {
        SameLength(x.Count, y, "y", "x");
        SameLength(x.Count, yLow, "y errors", "x");
        SameLength(x.Count, yHigh, "y errors", "x");
        SameLength(x.Count, xLow, "x errors", "x");
        SameLength(x.Count, xHigh, "x errors", "x");
        _series.Add(new ErrorBarSeries(Copy(x, nameof(x)), Copy(y, nameof(y)), yLow?.ToArray(), yHigh?.ToArray(), xLow?.ToArray(), xHigh?.ToArray(),
            marker, markerSize, width) { Label = label, Color = color });
        return this;
    }

    /// <summary>A shaded band between two curves over the same x (e.g. ±1σ / ±2σ).</summary>
    public Panel Band(IReadOnlyList<double> x, IReadOnlyList<double> lower, IReadOnlyList<double> upper, string? label = null,
        string? color = null, double opacity = 0.3)
    {
        SameLength(x.Count, lower, "lower", "x");
        SameLength(x.Count, upper, "upper", "x");
        _series.Add(new BandSeries(Copy(x, nameof(x)), Copy(lower, nameof(lower)), Copy(upper, nameof(upper)), opacity) { Label = label, Color = NextColor(color) });
        return this;
    }

    /// <summary>A horizontal line across the panel; <paramref name="text"/> is written on it at the right, <paramref name="label"/> goes to the legend.</summary>
    public Panel HorizontalLine(double y, string? text = null, string? label = null, string color = Palette.Grey, LineStyle style = LineStyle.Dashed, double width = 1.2)
    {
        _series.Add(new ReferenceLine(true, y, text, style, width) { Label = label, Color = color });
        return this;
    }

    /// <summary>A vertical line across the panel; <paramref name="text"/> is written along it at the top, <paramref name="label"/> goes to the legend.</summary>
    public Panel VerticalLine(double x, string? text = null, string? label = null, string color = Palette.Grey, LineStyle style = LineStyle.Dashed, double width = 1.2)
    {
        _series.Add(new ReferenceLine(false, x, text, style, width) { Label = label, Color = color });
        return this;
    }

    /// <summary>A shaded vertical region [from, to] over the full height (e.g. the signal region), drawn beneath the data.</summary>
    public Panel VerticalSpan(double from, double to, string? label = null, string color = Palette.Grey, double opacity = 0.15)
    {
        _series.Add(new SpanSeries(from, to, opacity) { Label = label, Color = color });
        return this;
    }

    /// <summary>Text at a point, in axes fractions (default) or data units; <c>\n</c> starts a new line.</summary>
    public Panel Text(double x, double y, string text, Coordinates coordinates = Coordinates.Axes, TextAnchor anchor = TextAnchor.Start,
        double fontSize = 13, bool bold = false, string color = Palette.Black)
    {
        ArgumentNullException.ThrowIfNull(text);
        _series.Add(new TextAnnotation(x, y, text, coordinates, anchor, fontSize, bold) { Color = color });
        return this;
    }

    /// <summary>
    /// A heat map: <paramref name="values"/>[row, column] fills the cell [xEdges[column], xEdges[column+1]] ×
    /// [yEdges[row], yEdges[row+1]] (row 0 at the bottom) in viridis between <paramref name="min"/> and
    /// <paramref name="max"/> (automatic: the finite values' range); NaN cells are light grey. A colour bar is drawn
    /// on the right. <paramref name="cellFormat"/> (a .NET format such as <c>"F1"</c>) prints each value in its cell.
    /// </summary>
    public Panel Heatmap(IReadOnlyList<double> xEdges, IReadOnlyList<double> yEdges, double[,] values, string? colorbarLabel = null,
        double? min = null, double? max = null, string? cellFormat = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (_series.OfType<HeatmapSeries>().Any()) throw new InvalidOperationException("A panel holds at most one heat map.");
        if (values.GetLength(1) + 1 != xEdges.Count || values.GetLength(0) + 1 != yEdges.Count)
            throw new ArgumentException($"Heat map: values are {values.GetLength(0)}×{values.GetLength(1)} (rows = y bins × columns = x bins), " +
                $"so {values.GetLength(1) + 1} x edges and {values.GetLength(0) + 1} y edges are needed (got {xEdges.Count} and {yEdges.Count}).");
        _series.Add(new HeatmapSeries(Copy(xEdges, nameof(xEdges)), Copy(yEdges, nameof(yEdges)), (double[,])values.Clone(), min, max, colorbarLabel, cellFormat));
        return this;
    }

    /// <summary>
    /// A heat map over categories (e.g. the cuts of a scan): column c is centred at x = c and row r at y = r, and the
    /// axes are labelled with <paramref name="columnLabels"/> and <paramref name="rowLabels"/>. Otherwise as the edge overload.
    /// </summary>
    public Panel Heatmap(IReadOnlyList<string> columnLabels, IReadOnlyList<string> rowLabels, double[,] values, string? colorbarLabel = null,
        double? min = null, double? max = null, string? cellFormat = null)
    {
        static double[] Edges(int n) => Enumerable.Range(0, n + 1).Select(i => i - 0.5).ToArray();
        static double[] Centres(int n) => Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        Heatmap(Edges(columnLabels.Count), Edges(rowLabels.Count), values, colorbarLabel, min, max, cellFormat);
        X.Ticks(Centres(columnLabels.Count), columnLabels);
        Y.Ticks(Centres(rowLabels.Count), rowLabels);
        return this;
    }

    /// <summary>A rectangular matrix from rows (row i becomes matrix[i, ·]), for <see cref="Heatmap(IReadOnlyList{double}, IReadOnlyList{double}, double[,], string?, double?, double?, string?)"/>.</summary>
    public static double[,] Matrix(IReadOnlyList<IReadOnlyList<double>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int n = rows.Count, m = n == 0 ? 0 : rows[0].Count;
        var result = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            if (rows[i].Count != m) throw new ArgumentException($"Matrix row {i} has {rows[i].Count} values, row 0 has {m}.");
            for (int j = 0; j < m; j++) result[i, j] = rows[i][j];
        }
        return result;
    }

    /// <summary>
    /// A secondary axis on the right: ticks at <paramref name="positions"/> (in the left y axis's units) with the given
    /// labels, e.g. p-values beside significances Z.
    /// </summary>
    public Panel RightAxis(string? label, IReadOnlyList<double> positions, IReadOnlyList<string> labels)
    {
        if (positions.Count != labels.Count) throw new ArgumentException($"Right axis: {positions.Count} positions but {labels.Count} labels.");
        _rightAxis = (label, positions.ToArray(), labels.ToArray());
        return this;
    }

    /// <summary>
    /// A right axis of one-sided p-values p = 1 − Φ(Z) beside a left axis of significances Z, with ticks at
    /// <paramref name="z"/> (default Z = 0, 1, …, 7; those outside the y range are left out).
    /// </summary>
    public Panel PValueAxis(string? label = "p-value", IReadOnlyList<double>? z = null)
    {
        z ??= [0, 1, 2, 3, 4, 5, 6, 7];
        var labels = z.Select(v => AxisTicks.FormatSignificant(0.5 * MathNet.Numerics.SpecialFunctions.Erfc(v / Math.Sqrt(2)), 2)).ToArray();
        return RightAxis(label, z, labels);
    }

    /// <summary>
    /// Makes this panel's x range the same as <paramref name="other"/>'s (scale and fixed limits come from
    /// <paramref name="other"/>; the range covers both panels' data).
    /// </summary>
    public Panel ShareX(Panel other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this)) throw new ArgumentException("A panel cannot share its x axis with itself.");
        _shareXWith = other.XRoot;
        return this;
    }

    internal Panel XRoot => _shareXWith is null ? this : _shareXWith.XRoot;

    internal bool IsEmpty => _series.Count == 0;
}
