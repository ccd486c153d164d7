namespace FastAD.Stats;

/// <summary>One working point of a scan: the cut, the FPR it reaches on sideband data, and the bump hunt after it.</summary>
/// <param name="TargetFpr">The FPR asked for.</param>
/// <param name="Cut">Score cut (score ≥ cut passes).</param>
/// <param name="Fpr">FPR reached on the sideband data.</param>
/// <param name="Selected">Events passing (all bands).</param>
/// <param name="NSr">Events strictly inside the SR.</param>
/// <param name="S">Fitted signal N_SR − B(θ̂).</param>
/// <param name="B">Background expected in the SR from the sideband fit.</param>
/// <param name="Q0">Test statistic.</param>
/// <param name="Z">Significance √q0.</param>
/// <param name="P">One-sided p-value.</param>
/// <param name="ThetaHat">Raw-GeV coefficients of the sideband fit (for the figures).</param>
/// <param name="TruthSignalEfficiency">With truth labels: fraction of true signal SR events passing; else NaN.</param>
/// <param name="SampleEfficiency">Fraction of the flow's ROC samples passing (the background model's SR efficiency); NaN for baselines.</param>
public sealed record ScanPoint(double TargetFpr, double Cut, double Fpr, int Selected, double NSr, double S, double B, double Q0, double Z, double P,
    double[] ThetaHat, double TruthSignalEfficiency, double SampleEfficiency);

/// <summary>A working-point scan of one score (CATHODE, a single-feature cut, random).</summary>
public sealed record ScanCurve(string Name, ScanPoint[] Points)
{
    /// <summary>The point with the largest Z.</summary>
    public ScanPoint Best => Points.MaxBy(p => p.Z)!;
}

/// <summary>The likelihood-reweighted significance (SPEC 1.6).</summary>
public sealed record ReweightedResult(double Mu, double S, double B, double Q0, double Z, double P);

/// <summary>
/// The statistics stage of a weakly supervised search (SPEC 1.6), reusable by every method that scores events: the
/// working-point scan of a score against the classical bump hunt, and the likelihood-reweighted significance.
/// </summary>
public static class WorkingPointScan
{
    /// <summary>
    /// The likelihood-reweighted significance (SPEC 1.6): mu = S/(S+B) of the plain fit, then the bump hunt with events
    /// weighted by the score; Z = 0 when mu is outside (0, 1] (no signal to weight for).
    /// </summary>
    public static ReweightedResult? Reweight(ProfileLikelihoodFitter fitter, BackgroundModel model, double[] masses, double[] scores)
    {
        var plain = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, default, out _));
        double mu = plain.S[0] / (plain.S[0] + plain.B[0]);
        if (!(mu > 0 && mu <= 1)) return new ReweightedResult(mu, 0, plain.B[0], 0, 0, 0.5);
        var (_, w, _) = LikelihoodReweighting.Significance(fitter, model, masses, scores);
        return new ReweightedResult(mu, w.S[0], w.B[0], w.Q0[0], w.Z[0], w.P[0]);
    }

    /// <summary>
    /// The working-point scan of SPEC 1.6: for each target FPR the cut whose FPR on the sideband events is closest,
    /// applied everywhere, and the bump hunt on the events passing — all spectra fitted in one batch.
    /// </summary>
    public static ScanCurve Scan(string name, BackgroundModel model, ProfileLikelihoodFitter fitter, double[] masses, double[] scores, bool[] sideband,
        double[] fprs, double[]? truth, double[]? sampleScores)
    {
        var sb = scores.Where((_, i) => sideband[i]).ToArray();
        // FPR = 1 is the plain bump hunt (SPEC 1.6): every event passes, also a signal-region event scored below the
        // lowest sideband score (the working point's cut alone would drop it).
        double lowest = scores.Where(double.IsFinite).DefaultIfEmpty(0).Min();
        var cuts = fprs.Select(f => f >= 1 ? (Cut: Math.Min(lowest, ClassifierMetrics.WorkingPoint(sb, f).Cut), Fpr: 1.0) : ClassifierMetrics.WorkingPoint(sb, f)).ToArray();
        var spectra = new Spectra(fprs.Length, model.Rows);
        var fittable = new bool[fprs.Length];
        var selected = new int[fprs.Length];
        double totalSignal = truth is null ? 0 : truth.Where((t, i) => t == 1 && !sideband[i]).Count();
        var signalEff = new double[fprs.Length];
        for (int p = 0; p < fprs.Length; p++)
        {
            var pass = masses.Where((_, i) => scores[i] >= cuts[p].Cut).ToArray();
            selected[p] = pass.Length;
            var one = Spectra.FromEvents(model.Binning, pass, default, out _);
            Array.Copy(one.N, 0, spectra.N, p * model.Rows, model.Rows);
            Array.Copy(one.K, 0, spectra.K, p * model.Rows, model.Rows);
            try
            {
                one.CheckFittable(model);
                fittable[p] = true;
            }
            catch (ArgumentException)
            {
                fittable[p] = false;
            }
            signalEff[p] = truth is null || totalSignal == 0 ? double.NaN
                : Enumerable.Range(0, masses.Length).Count(i => truth[i] == 1 && !sideband[i] && scores[i] >= cuts[p].Cut) / totalSignal;
        }
        var r = fitter.Fit(model, spectra);
        var points = new ScanPoint[fprs.Length];
        for (int p = 0; p < fprs.Length; p++)
        {
            double sampleEff = sampleScores is null ? double.NaN : sampleScores.Count(s => s >= cuts[p].Cut) / (double)sampleScores.Length;
            bool ok = fittable[p] && r.Status[p] != FitStatus.Empty;
            points[p] = new ScanPoint(fprs[p], cuts[p].Cut, cuts[p].Fpr, selected[p], spectra.N[p * model.Rows + model.SrRow],
                ok ? r.S[p] : double.NaN, ok ? r.B[p] : double.NaN, ok ? r.Q0[p] : 0, ok ? r.Z[p] : 0, ok ? r.P[p] : 0.5,
                ok ? r.ThetaHatOf(p).ToArray() : [], signalEff[p], sampleEff);
        }
        return new ScanCurve(name, points);
    }
}
