namespace FastAD.Stats;

/// <summary>
/// The likelihood-reweighting significance of SPEC 1.6: μ = S/(S+B) from the unweighted fit at FPR 1;
/// each event gets w = (LR − (1 − μ))/μ with LR = p/(1 − p) from its classifier score p, clipped to
/// [0, 1e9]; the weighted spectrum is fitted with the scaled-Poisson (Bohm–Zech) likelihood.
/// </summary>
public static class LikelihoodReweighting
{
    /// <summary>Upper clip of the weights.</summary>
    public const double MaxWeight = 1e9;

    /// <summary>Per-event weights from scores and μ.</summary>
    public static double[] Weights(ReadOnlySpan<double> scores, double mu)
    {
        if (!(mu > 0 && mu <= 1)) throw new ArgumentOutOfRangeException(nameof(mu), $"μ = S/(S+B) must lie in (0, 1] (got {mu}); without a positive fitted signal there is nothing to reweight.");
        var w = new double[scores.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            double p = scores[i];
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Score in row {i + 1} is {p}; classifier scores must lie in [0, 1].");
            double lr = p >= 1 ? double.PositiveInfinity : p / (1 - p);
            double v = (lr - (1 - mu)) / mu;
            w[i] = double.IsNaN(v) ? MaxWeight : Math.Clamp(v, 0, MaxWeight);
        }
        return w;
    }

    /// <summary>
    /// The full procedure: an unweighted fit gives μ, then the weighted fit gives the reweighted significance.
    /// Returns (unweighted, weighted) results, one row each.
    /// </summary>
    public static (BumpHuntResults Unweighted, BumpHuntResults Weighted, double Mu) Significance(
        ProfileLikelihoodFitter fitter, BackgroundModel model, ReadOnlySpan<double> masses, ReadOnlySpan<double> scores)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        if (scores.Length != masses.Length) throw new ArgumentException($"{scores.Length} scores for {masses.Length} masses.");
        var plain = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, default, out _));
        double s = plain.S[0], b = plain.B[0];
        double mu = s / (s + b);
        var weights = Weights(scores, mu);
        var weighted = fitter.Fit(model, Spectra.FromEvents(model.Binning, masses, weights, out _));
        return (plain, weighted, mu);
    }
}
