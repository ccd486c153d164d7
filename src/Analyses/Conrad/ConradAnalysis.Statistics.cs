using FastAD.Stats;

namespace FastAD.Analyses.Conrad;

/// <summary>The statistics stage of CONRAD: ABCD with its closure over the FPR scan, S/√B and the SIC curves.</summary>
public static partial class ConradAnalysis
{
    /// <summary>ABCD, closure and S/√B over the FPR scan for the data rows <paramref name="rows"/> with their <paramref name="scores"/>.</summary>
    public static ConradInjection Injection(ConradConfig c, ConradSample data, int[] rows, double[] scores, int injected)
    {
        double sr = c.Regions.SignalRegion;
        var inSr = rows.Select(i => data.Met[i] >= sr).ToArray();
        var cr = scores.Where((_, i) => !inSr[i]).ToArray();
        var truth = data.Truth is null ? null : rows.Select(i => data.Truth[i] == 1).ToArray();
        double srSignal = truth is null ? double.NaN : inSr.Where((s, i) => s && truth[i]).Count();
        double srBackground = truth is null ? inSr.Count(s => s) : inSr.Where((s, i) => s && !truth[i]).Count();
        var points = ClassifierMetrics.FprGrid(c.Statistics.FprPoints, c.Statistics.FprLowest).Concat(c.Statistics.WorkingPoints).Distinct()
            .OrderByDescending(f => f).Select(f => Abcd(f, ClassifierMetrics.WorkingPoint(cr, f).Cut, scores, inSr, truth)).ToArray();
        return new ConradInjection(injected, rows.Length, srSignal, srBackground, truth is null ? double.NaN : srSignal / Math.Sqrt(srBackground), points);
    }

    private static ConradWorkingPoint Abcd(double target, double cut, double[] scores, bool[] inSr, bool[]? truth)
    {
        int a = 0, b = 0, cc = 0, dd = 0, sA = 0, bA = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            bool pass = scores[i] >= cut;
            if (inSr[i])
            {
                if (pass)
                {
                    a++;
                    if (truth is not null) { if (truth[i]) sA++; else bA++; }
                }
                else b++;
            }
            else if (pass) cc++;
            else dd++;
        }
        double pred = double.NaN, err = double.NaN;
        if (dd > 0) (pred, err) = ClassifierMetrics.Abcd(b, cc, dd);
        double ratioAll = a > 0 ? pred / a : double.NaN;
        double ratioAllErr = pred > 0 && b > 0 && cc > 0 ? Math.Sqrt(1 / pred + 1.0 / b + 1.0 / cc + 1.0 / dd) : double.NaN;
        // Eq. 9 of the paper: the prediction against the true background in A; its error bar is the prediction's Poisson
        // uncertainty, its band around 1 the Poisson uncertainty of N_A,bg.
        bool eq9 = truth is not null && bA > 0;
        double ratio = eq9 ? pred / bA : double.NaN;
        double ratioPredErr = eq9 ? err / bA : double.NaN;
        double ratioBgErr = eq9 ? 1 / Math.Sqrt(bA) : double.NaN;
        double sOverB = truth is null ? double.NaN : sA / Math.Sqrt(Math.Max(bA, 1));
        double z = pred > 0 ? (a - pred) / Math.Sqrt(pred + err * err) : double.NaN;
        return new ConradWorkingPoint(target, cut, cc + dd > 0 ? cc / (double)(cc + dd) : double.NaN, a, b, cc, dd, pred, err, ratioAll, ratioAllErr,
            truth is null ? double.NaN : sA, truth is null ? double.NaN : bA, sOverB, z, ratio, ratioPredErr, ratioBgErr);
    }

    /// <summary>Fewest signal-region background events that must pass a cut for its SIC to count towards the maximum.</summary>
    public const int MinSicBackground = 100;

    /// <summary>
    /// SIC curves on the signal-region events of <paramref name="data"/> with truth labels (the data's own, or an independent
    /// test set), sampled on the FPR grid; the maximum is taken where at least <see cref="MinSicBackground"/> background events pass.
    /// </summary>
    public static ConradSic[] SicCurves(ConradConfig c, ConradSample data, IReadOnlyDictionary<string, double[]> scores)
    {
        if (data.Truth is null) return [];
        var sr = Enumerable.Range(0, data.Rows).Where(i => data.Met[i] >= c.Regions.SignalRegion).ToArray();
        var sig = sr.Where(i => data.Truth[i] == 1).ToArray();
        var bkg = sr.Where(i => data.Truth[i] != 1).ToArray();
        if (sig.Length == 0 || bkg.Length == 0) return [];
        var grid = ClassifierMetrics.FprGrid(2 * c.Statistics.FprPoints, c.Statistics.FprLowest);
        var order = new[] { "supervised", "idealised-x", "idealised-z", Realistic };
        return order.Where(scores.ContainsKey).Select(name =>
        {
            var s = scores[name];
            var roc = ClassifierMetrics.Roc(sig.Select(i => s[i]).ToArray(), bkg.Select(i => s[i]).ToArray());
            // ε_S at the largest ROC point with ε_B ≤ the grid value.
            var effS = grid.Select(g =>
            {
                int k = Array.FindLastIndex(roc.Fpr, f => f <= g);
                return k < 0 ? 0 : roc.Tpr[k];
            }).ToArray();
            var sic = grid.Select((g, i) => effS[i] / Math.Sqrt(g)).ToArray();
            // The maximum only where enough background passes for the SIC to be measured (≤ 10% statistical error);
            // below that it is dominated by which handful of background events happen to pass.
            // Too little background in the SR for any grid point: no maximum is quoted (NaN), rather than the loosest point's.
            var measured = Enumerable.Range(0, grid.Length).Where(i => grid[i] * bkg.Length >= MinSicBackground).ToArray();
            if (measured.Length == 0) return new ConradSic(name, grid, effS, sic, double.NaN, double.NaN, roc.Auc);
            int best = measured.MaxBy(i => sic[i]);
            return new ConradSic(name, grid, effS, sic, sic[best], grid[best], roc.Auc);
        }).ToArray();
    }
}
