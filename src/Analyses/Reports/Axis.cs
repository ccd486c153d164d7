namespace FastAD.Analyses.Reports;

/// <summary>Linear or logarithmic (base 10) axis scale.</summary>
public enum AxisScale
{
    /// <summary>Linear.</summary>
    Linear,
    /// <summary>Base-10 logarithmic; non-positive values are left out of the automatic range and clipped when drawn.</summary>
    Log,
}

/// <summary>
/// One axis of a panel: label, scale, limits (automatic from the data with padding unless fixed), ticks
/// (automatic, or given positions and labels).
/// </summary>
public sealed class Axis
{
    internal Axis() { }

    /// <summary>Axis label with units, e.g. <c>"m_{μμ} [GeV]"</c>: <c>_{..}</c> and <c>^{..}</c> write sub- and superscripts.</summary>
    public string? Label { get; set; }

    /// <summary>Linear (default) or log.</summary>
    public AxisScale Scale { get; set; } = AxisScale.Linear;

    /// <summary>Fixed lower limit; null for automatic.</summary>
    public double? Min { get; set; }

    /// <summary>Fixed upper limit; null for automatic.</summary>
    public double? Max { get; set; }

    /// <summary>Automatic limits extend the data range by this fraction on each side (in log space on log axes). Histogram edges, heat-map edges and a histogram's zero baseline are kept exact, as in matplotlib.</summary>
    public double Padding { get; set; } = 0.05;

    /// <summary>Whether tick labels are drawn (false on the upper panel of a shared-x stack).</summary>
    public bool ShowTickLabels { get; set; } = true;

    /// <summary>Whether minor ticks are drawn.</summary>
    public bool MinorTicks { get; set; } = true;

    internal IReadOnlyList<double>? FixedTicks { get; private set; }
    internal IReadOnlyList<string>? FixedTickLabels { get; private set; }

    /// <summary>Sets the limits.</summary>
    public Axis Limits(double min, double max)
    {
        if (!(max > min)) throw new ArgumentException($"Axis limits need min < max (got {min}, {max}).");
        Min = min;
        Max = max;
        return this;
    }

    /// <summary>Puts the major ticks at <paramref name="positions"/> with the given labels (or formatted values when null); no minor ticks.</summary>
    public Axis Ticks(IReadOnlyList<double> positions, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (labels is not null && labels.Count != positions.Count)
            throw new ArgumentException($"Axis ticks: {positions.Count} positions but {labels.Count} labels.");
        FixedTicks = positions.ToArray();
        FixedTickLabels = labels?.ToArray();
        return this;
    }

    // Resolved at render time.
    internal double Lo { get; set; }
    internal double Hi { get; set; }

    /// <summary>Fraction of the way from Lo to Hi (log10 space on log axes); NaN for values a log axis cannot show.</summary>
    internal double Fraction(double v)
    {
        if (Scale == AxisScale.Log)
        {
            if (!(v > 0)) return v == 0 || v < 0 ? double.NegativeInfinity : double.NaN;
            return (Math.Log10(v) - Math.Log10(Lo)) / (Math.Log10(Hi) - Math.Log10(Lo));
        }
        return (v - Lo) / (Hi - Lo);
    }

    internal List<Tick> ComputeTicks(int maxTicks)
    {
        if (FixedTicks is { } fixedTicks)
        {
            var list = new List<Tick>();
            for (int i = 0; i < fixedTicks.Count; i++)
            {
                double v = fixedTicks[i];
                if (v < Math.Min(Lo, Hi) - 1e-12 * Math.Abs(Hi - Lo) || v > Math.Max(Lo, Hi) + 1e-12 * Math.Abs(Hi - Lo)) continue;
                string label = FixedTickLabels?[i] ?? (Scale == AxisScale.Log
                    ? AxisTicks.FormatSignificant(v, 3)
                    : AxisTicks.FormatLinear(v, Math.Abs(Hi - Lo) / 10, Math.Max(Math.Abs(Lo), Math.Abs(Hi))));
                list.Add(new Tick(v, label, true));
            }
            return list;
        }
        var ticks = Scale == AxisScale.Log ? AxisTicks.Log(Lo, Hi, maxTicks) : AxisTicks.Linear(Lo, Hi, maxTicks, MinorTicks);
        if (!MinorTicks) ticks.RemoveAll(t => !t.Major);
        return ticks;
    }
}

/// <summary>Data extent along one axis, with "sticky" ends that automatic padding must not move.</summary>
internal struct Extent
{
    public double Lo = double.PositiveInfinity, Hi = double.NegativeInfinity;
    public double? StickyLo, StickyHi;

    public Extent() { }

    public readonly bool IsEmpty => !(Hi >= Lo);

    public void Add(double v, AxisScale scale)
    {
        if (!double.IsFinite(v) || (scale == AxisScale.Log && v <= 0)) return;
        if (v < Lo) Lo = v;
        if (v > Hi) Hi = v;
    }

    /// <summary>When the x range is fixed, y extents count only data inside it: [WindowLo, WindowHi].</summary>
    public double WindowLo = double.NegativeInfinity, WindowHi = double.PositiveInfinity;

    /// <summary>Adds a y value belonging to x ∈ [x0, x1] if that interval meets the x window.</summary>
    public void AddAt(double x0, double x1, double v, AxisScale scale)
    {
        if (x1 >= WindowLo && x0 <= WindowHi) Add(v, scale);
    }

    public void Add(IEnumerable<double> values, AxisScale scale)
    {
        foreach (double v in values) Add(v, scale);
    }

    public void Sticky(double lo, double hi, AxisScale scale)
    {
        if (double.IsFinite(lo) && (scale == AxisScale.Linear || lo > 0)) StickyLo = StickyLo is { } a ? Math.Min(a, lo) : lo;
        if (double.IsFinite(hi) && (scale == AxisScale.Linear || hi > 0)) StickyHi = StickyHi is { } b ? Math.Max(b, hi) : hi;
    }

    public void Union(Extent other)
    {
        if (!other.IsEmpty) { Lo = Math.Min(Lo, other.Lo); Hi = Math.Max(Hi, other.Hi); }
        if (other.StickyLo is { } sl) StickyLo = StickyLo is { } a ? Math.Min(a, sl) : sl;
        if (other.StickyHi is { } sh) StickyHi = StickyHi is { } b ? Math.Max(b, sh) : sh;
    }

    /// <summary>Limits for an axis: fixed ends win; otherwise the data range padded, except at sticky ends.</summary>
    public readonly (double Lo, double Hi) Resolve(Axis axis)
    {
        bool log = axis.Scale == AxisScale.Log;
        double lo = Lo, hi = Hi;
        if (IsEmpty) (lo, hi) = log ? (1, 10) : (0, 1);
        if (lo == hi)
        {
            if (log) { lo /= 10; hi *= 10; }
            else { double d = lo == 0 ? 1 : Math.Abs(lo) * 0.1; lo -= d; hi += d; }
        }
        double T(double v) => log ? Math.Log10(v) : v;
        double U(double t) => log ? Math.Pow(10, t) : t;
        double span = T(hi) - T(lo);
        double padLo = U(T(lo) - axis.Padding * span), padHi = U(T(hi) + axis.Padding * span);
        // A sticky end (e.g. a histogram's first edge) stops the padding if the padding would cross it.
        if (StickyLo is { } sl && sl <= lo && sl >= padLo) padLo = sl;
        if (StickyHi is { } sh && sh >= hi && sh <= padHi) padHi = sh;
        double rlo = axis.Min ?? padLo, rhi = axis.Max ?? padHi;
        if (!(rhi > rlo))
            throw new ArgumentException($"Axis '{axis.Label}': limits [{rlo}, {rhi}] are empty; set both Min and Max.");
        if (log && !(rlo > 0)) throw new ArgumentException($"Log axis '{axis.Label}': lower limit {rlo} must be positive.");
        return (rlo, rhi);
    }
}
