namespace FastAD.Stats;

/// <summary>A ROC curve: true- and false-positive rates at each distinct score cut (score ≥ cut passes).</summary>
/// <param name="Cuts">Cuts, descending.</param>
/// <param name="Tpr">Signal efficiency ε_S at each cut.</param>
/// <param name="Fpr">Background efficiency ε_B at each cut.</param>
public sealed record RocCurve(double[] Cuts, double[] Tpr, double[] Fpr)
{
    /// <summary>Area under the curve (trapezoids, starting from (0, 0)).</summary>
    public double Auc
    {
        get
        {
            double auc = 0, x0 = 0, y0 = 0;
            for (int i = 0; i < Fpr.Length; i++)
            {
                auc += (Fpr[i] - x0) * (Tpr[i] + y0) / 2;
                x0 = Fpr[i];
                y0 = Tpr[i];
            }
            return auc;
        }
    }

    /// <summary>Significance improvement ε_S/√ε_B at each cut (NaN where ε_B = 0).</summary>
    public double[] Sic => Tpr.Select((t, i) => Fpr[i] > 0 ? t / Math.Sqrt(Fpr[i]) : double.NaN).ToArray();
}

/// <summary>ROC and SIC, working points, ABCD and bootstrap p-values for the analyses.</summary>
public static class ClassifierMetrics
{
    /// <summary>ROC of signal against background scores, with optional weights.</summary>
    public static RocCurve Roc(ReadOnlySpan<double> signal, ReadOnlySpan<double> background, ReadOnlySpan<double> signalWeights = default, ReadOnlySpan<double> backgroundWeights = default)
    {
        if (signal.IsEmpty || background.IsEmpty) throw new ArgumentException("A ROC curve needs both signal and background scores.");
        var all = new List<(double Score, double Ws, double Wb)>(signal.Length + background.Length);
        for (int i = 0; i < signal.Length; i++) all.Add((Finite(signal[i], i, "signal"), signalWeights.IsEmpty ? 1 : signalWeights[i], 0));
        for (int i = 0; i < background.Length; i++) all.Add((Finite(background[i], i, "background"), 0, backgroundWeights.IsEmpty ? 1 : backgroundWeights[i]));
        all.Sort((a, b) => b.Score.CompareTo(a.Score));
        double totalS = all.Sum(e => e.Ws), totalB = all.Sum(e => e.Wb);
        var cuts = new List<double>();
        var tpr = new List<double>();
        var fpr = new List<double>();
        double cs = 0, cb = 0;
        for (int i = 0; i < all.Count; i++)
        {
            cs += all[i].Ws;
            cb += all[i].Wb;
            if (i + 1 < all.Count && all[i + 1].Score == all[i].Score) continue;
            cuts.Add(all[i].Score);
            tpr.Add(cs / totalS);
            fpr.Add(cb / totalB);
        }
        return new RocCurve(cuts.ToArray(), tpr.ToArray(), fpr.ToArray());
    }

    private static double Finite(double v, int i, string what) =>
        double.IsFinite(v) ? v : throw new ArgumentException($"{what} score {i + 1} is {v}; scores must be finite.");

    /// <summary>
    /// The SPEC 1.6 working point: among cuts at the sideband scores, the one whose false-positive rate on
    /// the sideband (fraction with score ≥ cut) is closest to <paramref name="targetFpr"/>; ties go to the higher cut.
    /// Returns the cut and its achieved FPR.
    /// </summary>
    public static (double Cut, double Fpr) WorkingPoint(ReadOnlySpan<double> sidebandScores, double targetFpr)
    {
        if (sidebandScores.IsEmpty) throw new ArgumentException("No sideband scores to set a working point.");
        if (!(targetFpr > 0 && targetFpr <= 1)) throw new ArgumentOutOfRangeException(nameof(targetFpr), $"Target FPR must be in (0, 1] (got {targetFpr}).");
        var sorted = sidebandScores.ToArray();
        foreach (var v in sorted) Finite(v, 0, "sideband");
        Array.Sort(sorted);
        Array.Reverse(sorted);
        int n = sorted.Length;
        double bestCut = sorted[0], bestFpr = double.NaN, bestDistance = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            if (i + 1 < n && sorted[i + 1] == sorted[i]) continue;
            double fpr = (i + 1) / (double)n;
            double distance = Math.Abs(fpr - targetFpr);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                bestCut = sorted[i];
                bestFpr = fpr;
            }
        }
        return (bestCut, bestFpr);
    }

    /// <summary>The SPEC 1.6 FPR grid: <paramref name="points"/> log-spaced values from 1 down to <paramref name="lowest"/>.</summary>
    public static double[] FprGrid(int points = 25, double lowest = 1e-3)
    {
        var g = new double[points];
        for (int i = 0; i < points; i++) g[i] = Math.Pow(10, Math.Log10(lowest) * i / (points - 1));
        return g;
    }

    /// <summary>ABCD prediction N_A = N_B N_C / N_D with its Poisson uncertainty (errors of B, C, D added in quadrature).</summary>
    public static (double Prediction, double Uncertainty) Abcd(double nB, double nC, double nD)
    {
        if (nB < 0 || nC < 0 || nD < 0) throw new ArgumentException("ABCD counts must be non-negative.");
        if (nD == 0) throw new ArgumentException("Region D is empty: the ABCD prediction N_B N_C / N_D is undefined.");
        double pred = nB * nC / nD;
        double rel2 = (nB > 0 ? 1 / nB : 0) + (nC > 0 ? 1 / nC : 0) + 1 / nD;
        return (pred, pred * Math.Sqrt(rel2));
    }

    /// <summary>Bootstrap p-value (1 + #{null ≥ observed}) / (1 + N): never zero, exact for exchangeable samples.</summary>
    public static double BootstrapPValue(double observed, ReadOnlySpan<double> nullSample)
    {
        if (nullSample.IsEmpty) throw new ArgumentException("The null sample is empty.");
        long above = 0;
        foreach (var v in nullSample) if (v >= observed) above++;
        return (1.0 + above) / (1.0 + nullSample.Length);
    }

    /// <summary>
    /// The two-sample Kolmogorov–Smirnov distance D = sup |F_a − F_b| of the empirical distributions, and its asymptotic
    /// p-value Q_KS(λ) = 2 Σ_k (−1)^(k−1) exp(−2k²λ²) with λ = (√n_e + 0.12 + 0.11/√n_e) D, n_e = n_a n_b / (n_a + n_b).
    /// </summary>
    public static (double Distance, double PValue) KolmogorovSmirnov(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.IsEmpty || b.IsEmpty) throw new ArgumentException("Both samples need at least one value.");
        var x = a.ToArray();
        var y = b.ToArray();
        if (x.Any(double.IsNaN) || y.Any(double.IsNaN)) throw new ArgumentException("The samples hold NaN.");
        Array.Sort(x);
        Array.Sort(y);
        int i = 0, j = 0;
        double distance = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] <= v) i++;
            while (j < y.Length && y[j] <= v) j++;
            distance = Math.Max(distance, Math.Abs((double)i / x.Length - (double)j / y.Length));
        }
        double ne = (double)x.Length * y.Length / (x.Length + y.Length), sq = Math.Sqrt(ne);
        double lambda = (sq + 0.12 + 0.11 / sq) * distance;
        return (distance, KolmogorovQ(lambda));
    }

    private static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2) return 1;
        double sum = 0, sign = 1;
        for (int k = 1; k <= 100; k++)
        {
            double term = sign * Math.Exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-12) break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }
}
