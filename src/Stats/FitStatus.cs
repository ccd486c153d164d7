namespace FastAD.Stats;

/// <summary>How a bump-hunt fit ended; numbers are only trustworthy for <see cref="Converged"/>.</summary>
public enum FitStatus : byte
{
    /// <summary>Converged to the constrained optimum (Newton decrement below tolerance, KKT multipliers non-negative).</summary>
    Converged = 0,
    /// <summary>The iteration limit was reached first.</summary>
    MaxIterations = 1,
    /// <summary>The line search could not decrease the objective while far from the optimum.</summary>
    Stalled = 2,
    /// <summary>The spectrum has no entries: nothing to fit.</summary>
    Empty = 3,
    /// <summary>
    /// The likelihood, a parameter or the test statistic is not finite (counts or weights too large for double
    /// precision, e.g. one weight of 1e300): the numbers are meaningless. Never reported as converged.
    /// </summary>
    NotFinite = 4,
}

/// <summary>What a <see cref="FitStatus"/> means for the numbers of its fit.</summary>
public static class FitStatusExtensions
{
    /// <summary>True when the fit's numbers can be used: it converged, or there was nothing to fit.</summary>
    public static bool IsUsable(this FitStatus status) => status is FitStatus.Converged or FitStatus.Empty;
}
