using MathNet.Numerics;

namespace FastAD.Stats;

/// <summary>
/// Per-spectrum results of the SPEC 1.6 profile-likelihood test, as parallel arrays (one entry per row):
/// θ̂ (sideband-only fit, raw GeV) and θ̂̂ (background-only fit of sidebands + SR), −2 ln L0, −2 ln L1,
/// Ŝ = N_SR − B(θ̂), B = B(θ̂), q0, Z = √q0, one-sided p = 1 − Φ(Z), and a status.
/// </summary>
public sealed class BumpHuntResults
{
    internal BumpHuntResults(BackgroundModel model, int count)
    {
        Model = model;
        Count = count;
        int p = model.Parameters;
        ThetaHat = new double[count * p];
        ThetaHatHat = new double[count * p];
        MinusTwoLnL0 = new double[count];
        MinusTwoLnL1 = new double[count];
        S = new double[count];
        B = new double[count];
        Q0 = new double[count];
        Z = new double[count];
        P = new double[count];
        Status = new FitStatus[count];
        Iterations = new int[count];
    }

    /// <summary>The model fitted.</summary>
    public BackgroundModel Model { get; }
    /// <summary>Rows.</summary>
    public int Count { get; }
    /// <summary>θ̂ per row (Count × Parameters), raw GeV coefficients, constant first.</summary>
    public double[] ThetaHat { get; }
    /// <summary>θ̂̂ per row.</summary>
    public double[] ThetaHatHat { get; }
    /// <summary>−2 ln L0(θ̂̂).</summary>
    public double[] MinusTwoLnL0 { get; }
    /// <summary>−2 ln L1 = SB term(θ̂) − 2 ln Pois(N_SR | N_SR).</summary>
    public double[] MinusTwoLnL1 { get; }
    /// <summary>Ŝ = N_SR − B(θ̂).</summary>
    public double[] S { get; }
    /// <summary>B(θ̂).</summary>
    public double[] B { get; }
    /// <summary>q0 (0 when Ŝ &lt; 0 or the difference is negative).</summary>
    public double[] Q0 { get; }
    /// <summary>Z = √q0.</summary>
    public double[] Z { get; }
    /// <summary>One-sided p-value.</summary>
    public double[] P { get; }
    /// <summary>Fit status (worst of the two fits).</summary>
    public FitStatus[] Status { get; }
    /// <summary>Newton iterations of both fits together.</summary>
    public int[] Iterations { get; }

    /// <summary>θ̂ of one row.</summary>
    public ReadOnlySpan<double> ThetaHatOf(int row) => ThetaHat.AsSpan(row * Model.Parameters, Model.Parameters);

    /// <summary>θ̂̂ of one row.</summary>
    public ReadOnlySpan<double> ThetaHatHatOf(int row) => ThetaHatHat.AsSpan(row * Model.Parameters, Model.Parameters);

    /// <summary>
    /// Completes one row from the minimiser's raw outputs: the objectives F (which lack the
    /// count-only constants) become −2 ln L values, and q0, Z, p follow SPEC 1.6.
    /// </summary>
    internal void Complete(int row, ReadOnlySpan<double> n, ReadOnlySpan<double> k, ReadOnlySpan<double> phiHat, ReadOnlySpan<double> phiHatHat,
        double fSidebands, double fNull, FitStatus status, int iterations)
    {
        int p = Model.Parameters, sr = Model.SrRow;
        Status[row] = status;
        Iterations[row] = iterations;
        if (status == FitStatus.Empty)
        {
            Q0[row] = 0; Z[row] = 0; P[row] = 0.5;
            return;
        }
        Model.ToRaw(phiHat).CopyTo(ThetaHat.AsSpan(row * p));
        Model.ToRaw(phiHatHat).CopyTo(ThetaHatHat.AsSpan(row * p));
        double b = 0;
        for (int j = 0; j < p; j++) b += Model.Design[sr * p + j] * phiHat[j];
        double nSr = n[sr], kSr = k[sr];
        double constants = 0;
        for (int r = 0; r <= sr; r++)
            if (n[r] > 0) constants += n[r] / k[r] * Math.Log(k[r]) + SpecialFunctions.GammaLn(n[r] / k[r] + 1);
        double srTerm1 = SignalRegionTerm1(nSr, kSr, b);
        double m2lnL0 = 2 * (fNull + constants);
        double m2lnL1 = 2 * (fSidebands + srTerm1 + constants);
        B[row] = b;
        S[row] = nSr - b;
        MinusTwoLnL0[row] = m2lnL0;
        MinusTwoLnL1[row] = m2lnL1;
        double q0 = Q0FromObjectives(fSidebands, fNull, nSr, kSr, b);
        Q0[row] = q0;
        Z[row] = Math.Sqrt(q0);
        P[row] = 0.5 * SpecialFunctions.Erfc(Z[row] / Math.Sqrt(2));
        // Whatever the minimiser said, a fit whose likelihood or parameters overflowed did not converge.
        if (!double.IsFinite(m2lnL0) || !double.IsFinite(m2lnL1) || !double.IsFinite(q0) || !double.IsFinite(b) || !AllFinite(phiHat) || !AllFinite(phiHatHat))
            Status[row] = FitStatus.NotFinite;
    }

    private static bool AllFinite(ReadOnlySpan<double> v)
    {
        foreach (double x in v)
            if (!double.IsFinite(x)) return false;
        return true;
    }

    /// <summary>The SR part of F at the signal-plus-background optimum: λ = B + max(Ŝ, 0) = max(N_SR, B).</summary>
    internal static double SignalRegionTerm1(double nSr, double kSr, double b)
    {
        double lambda1 = Math.Max(nSr, b);
        return nSr > 0 ? (lambda1 - nSr * Math.Log(lambda1)) / kSr : lambda1 / kSr;
    }

    /// <summary>
    /// q0 from the objectives (the count-only constants cancel, so every digit is kept); 0 when Ŝ &lt; 0 or
    /// the difference is not positive. Mirrored by <c>q0_from_objectives</c> in bumphunt.cl.
    /// </summary>
    internal static double Q0FromObjectives(double fSidebands, double fNull, double nSr, double kSr, double b)
    {
        double q0 = 2 * (fNull - (fSidebands + SignalRegionTerm1(nSr, kSr, b)));
        return nSr - b < 0 || !(q0 > 0) ? 0 : q0;
    }
}
