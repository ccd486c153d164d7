using System.Globalization;

namespace FastAD.Analyses.Reports;

/// <summary>One tick: position in data units, label (null for minor ticks or suppressed labels), major or minor.</summary>
internal readonly record struct Tick(double Value, string? Label, bool Major);

/// <summary>
/// Tick placement: 1-2-5 steps on linear axes (with minor subdivisions), decades on log axes with minor ticks
/// at 2..9, labels such as 0.25, −1.5, 2×10⁵ and 10⁻³.
/// </summary>
internal static class AxisTicks
{
    private const double Eps = 1e-9;

    /// <summary>The smallest 1-2-5 step that puts at most <paramref name="maxTicks"/> ticks into [lo, hi].</summary>
    internal static double NiceStep(double lo, double hi, int maxTicks)
    {
        double range = hi - lo;
        if (!(range > 0) || !double.IsFinite(range)) throw new ArgumentException($"Axis range [{lo}, {hi}] is empty or not finite.");
        maxTicks = Math.Max(2, maxTicks);
        int e = (int)Math.Floor(Math.Log10(range / maxTicks)) - 1;
        for (int k = 0; k < 6; k++, e++)
        {
            foreach (double m in (ReadOnlySpan<double>)[1, 2, 5])
            {
                double step = m * Math.Pow(10, e);
                double first = Math.Ceiling(lo / step - Eps), last = Math.Floor(hi / step + Eps);
                if (last - first + 1 <= maxTicks) return step;
            }
        }
        return Math.Pow(10, e);
    }

    /// <summary>Linear ticks: majors on multiples of the nice step, labelled; minors subdividing it (5, 4 or 5 parts for 1, 2, 5).</summary>
    internal static List<Tick> Linear(double lo, double hi, int maxTicks, bool minor = true)
    {
        double step = NiceStep(lo, hi, maxTicks);
        var ticks = new List<Tick>();
        long first = (long)Math.Ceiling(lo / step - Eps), last = (long)Math.Floor(hi / step + Eps);
        double maxAbs = Math.Max(Math.Abs(lo), Math.Abs(hi));
        for (long i = first; i <= last; i++)
        {
            double v = i * step;
            ticks.Add(new Tick(v, FormatLinear(v, step, maxAbs), true));
        }
        if (minor)
        {
            double mantissa = Math.Round(step / Math.Pow(10, Math.Floor(Math.Log10(step) + Eps)));
            int parts = mantissa == 2 ? 4 : 5;
            double ms = step / parts;
            long mf = (long)Math.Ceiling(lo / ms - Eps), ml = (long)Math.Floor(hi / ms + Eps);
            for (long j = mf; j <= ml; j++)
                if (j % parts != 0) ticks.Add(new Tick(j * ms, null, false));
        }
        return ticks;
    }

    /// <summary>
    /// Log ticks in (lo, hi], lo &gt; 0: labelled decades (every k-th when there are more than
    /// <paramref name="maxTicks"/>), minor ticks at 2..9 × 10ⁿ. With at most two decade ticks in range, 1, 2, 5 × 10ⁿ are labelled too (plain numbers) when they fit.
    /// </summary>
    internal static List<Tick> Log(double lo, double hi, int maxTicks)
    {
        if (!(lo > 0) || !(hi > lo)) throw new ArgumentException($"Log axis range [{lo}, {hi}] must be positive and non-empty.");
        var ticks = new List<Tick>();
        int e0 = (int)Math.Ceiling(Math.Log10(lo) - Eps), e1 = (int)Math.Floor(Math.Log10(hi) + Eps);
        int decades = e1 - e0 + 1;
        int stride = Math.Max(1, (int)Math.Ceiling(decades / (double)Math.Max(2, maxTicks)));
        // Up to about two decades, 1-2-5 labels read better than two lone decade labels, if they fit.
        int fineLabels = 0;
        for (int d = (int)Math.Floor(Math.Log10(lo) + Eps); d <= e1; d++)
            foreach (int m in (ReadOnlySpan<int>)[1, 2, 5])
                if (m * Pow10(d) >= lo * (1 - Eps) && m * Pow10(d) <= hi * (1 + Eps)) fineLabels++;
        bool fine = decades < 2 || (decades < 3 && fineLabels <= maxTicks);
        int dLo = (int)Math.Floor(Math.Log10(lo) + Eps);
        for (int d = dLo; d <= e1; d++)
        {
            double decade = Pow10(d);
            if (decade >= lo * (1 - Eps) && decade <= hi * (1 + Eps))
            {
                bool labelled = d % stride == 0;
                ticks.Add(new Tick(decade, labelled ? (fine ? FormatPlain(decade) : PowerOfTen(d)) : null, labelled));
            }
            if (stride > 2) continue; // very long axes: decades only
            for (int m = 2; m <= 9; m++)
            {
                double v = m * decade;
                if (v < lo * (1 - Eps) || v > hi * (1 + Eps)) continue;
                bool labelled = fine && (m == 2 || m == 5);
                ticks.Add(new Tick(v, labelled ? FormatPlain(v) : null, labelled));
            }
        }
        return ticks;
    }

    private static double Pow10(int e) => double.Parse($"1e{e}", CultureInfo.InvariantCulture);

    /// <summary>10ⁿ with Unicode superscripts.</summary>
    internal static string PowerOfTen(int exponent) => "10" + SvgText.Superscript(exponent);

    private static string FormatPlain(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A linear tick label with just enough decimals for the step; very large or small values as m×10ⁿ.</summary>
    internal static string FormatLinear(double v, double step, double maxAbs)
    {
        if (Math.Abs(v) < step * 1e-6) return "0";
        if (maxAbs >= 1e5 || step < 1e-3)
        {
            int exp = (int)Math.Floor(Math.Log10(Math.Abs(v)) + Eps);
            double mantissa = v / Math.Pow(10, exp);
            int digits = Math.Max(0, (int)Math.Round(exp - Math.Floor(Math.Log10(step) + Eps)));
            string ms = Math.Round(mantissa, Math.Min(digits, 6)).ToString("0.######", CultureInfo.InvariantCulture);
            return SvgText.TypographicMinus(ms == "1" ? PowerOfTen(exp) : ms == "-1" ? "-" + PowerOfTen(exp) : $"{ms}×{PowerOfTen(exp)}");
        }
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + Eps));
        return SvgText.TypographicMinus(v.ToString("F" + decimals, CultureInfo.InvariantCulture));
    }

    /// <summary>A value with <paramref name="digits"/> significant digits: plain from 0.01 to 10⁴, else m×10ⁿ.</summary>
    internal static string FormatSignificant(double v, int digits)
    {
        if (v == 0 || !double.IsFinite(v)) return v == 0 ? "0" : v.ToString(CultureInfo.InvariantCulture);
        double a = Math.Abs(v);
        int exp = (int)Math.Floor(Math.Log10(a));
        double mantissa = Math.Round(v / Math.Pow(10, exp), digits - 1, MidpointRounding.AwayFromZero);
        if (Math.Abs(mantissa) >= 10) { mantissa /= 10; exp++; }
        if (a >= 0.01 && a < 1e4)
            return SvgText.TypographicMinus((mantissa * Math.Pow(10, exp)).ToString("G" + digits, CultureInfo.InvariantCulture));
        string m = mantissa.ToString("0." + new string('#', Math.Max(0, digits - 1)), CultureInfo.InvariantCulture);
        return SvgText.TypographicMinus(m == "1" ? PowerOfTen(exp) : $"{m}×{PowerOfTen(exp)}");
    }
}
