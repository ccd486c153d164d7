using System.Globalization;
using FastAD.Analyses.Reports;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// The report's pieces for the methods of SPEC 6 compared on one channel's events: methods-{ch}.csv (each method's scan),
/// methods-{ch}.svg (Z against the sideband FPR, and SIC against the signal efficiency where truth is known) and the
/// Markdown table (best Z and its FPR, reweighted Z, truth AUC, maximum SIC).
/// </summary>
internal static class MethodsReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Every method's working points.</summary>
    public static CsvTable Csv(MethodResult[] methods)
    {
        var t = new CsvTable("method", "target_fpr", "fpr", "cut", "n_sr", "s", "b", "z", "p", "truth_signal_efficiency", "sculpting_chi2_ndf");
        foreach (var m in methods)
            for (int k = 0; k < m.Scan.Points.Length; k++)
            {
                var p = m.Scan.Points[k];
                t.AddRow(m.Method, p.TargetFpr, p.Fpr, p.Cut, p.NSr, p.S, p.B, p.Z, p.P, p.TruthSignalEfficiency, m.Sculpting[k]);
            }
        return t;
    }

    /// <summary>Z against FPR per method (the reweighted Z as a marker at the right), and SIC against ε_S where truth is known.</summary>
    public static Figure Figure(string channel, MethodResult[] methods)
    {
        bool truth = methods.Any(m => m.Sic.Length > 0);
        var fig = new Figure(1, truth ? 2 : 1, truth ? 1100 : 620, 420) { Title = $"{channel}: the methods on the same events" };
        var z = fig[0, 0];
        for (int i = 0; i < methods.Length; i++)
        {
            var m = methods[i];
            string color = Palette.Cycle[i % Palette.Cycle.Count];
            string label = m.ReweightedZ is { } rw ? $"{m.Method} (reweighted {rw.ToString("F2", Inv)}σ)" : m.Method;
            z.Line(m.Scan.Points.Select(q => q.Fpr).ToArray(), m.Scan.Points.Select(q => q.Z).ToArray(), label, color, LineStyle.Solid, 1.8, Marker.Circle, 4);
        }
        z.X.Scale = AxisScale.Log;
        z.X.Label = "false-positive rate on sideband data";
        z.Y.Label = "significance Z [σ]";
        z.Y.Min = 0;
        z.Legend = LegendPosition.UpperLeft;
        if (!truth) return fig;
        var s = fig[0, 1];
        for (int i = 0; i < methods.Length; i++)
            if (methods[i].Sic.Length > 0)
                s.Line(methods[i].SignalEfficiency, methods[i].Sic, $"{methods[i].Method} (max {methods[i].MaxSic.ToString("F2", Inv)})",
                    Palette.Cycle[i % Palette.Cycle.Count], LineStyle.Solid, 1.8);
        s.X.Label = "signal efficiency ε_S (SR, truth)";
        s.Y.Label = "SIC = ε_S / √ε_B";
        s.Y.Min = 0;
        s.Legend = LegendPosition.UpperRight;
        return fig;
    }

    /// <summary>The Markdown table of the methods.</summary>
    public static IEnumerable<string> Table(MethodResult[] methods)
    {
        static string F(double? v, string format = "F2") => v is { } x && double.IsFinite(x) ? x.ToString(format, Inv) : "–";
        yield return "| method | best Z | at FPR | reweighted Z | AUC (truth, SR) | max SIC | sculpting χ²/ndf at the best Z | largest sculpting χ²/ndf |";
        yield return "|---|---:|---:|---:|---:|---:|---:|---:|";
        foreach (var m in methods)
        {
            int best = Array.IndexOf(m.Scan.Points, m.Scan.Best);
            double worst = m.Sculpting.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
            yield return $"| {m.Method} | {F(m.Scan.Best.Z)} | {m.Scan.Best.Fpr.ToString("G3", Inv)} | {F(m.ReweightedZ)} | {F(m.TruthAuc, "F3")} | {F(m.MaxSic)} | " +
                         $"{F(m.Sculpting[best])} | {F(worst)} |";
        }
    }
}
