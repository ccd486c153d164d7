using FastAD.Trees;

namespace FastAD.Analyses.Trees;

/// <summary>
/// The boosted classifiers' hyperparameters, one shape for every analysis; an analysis's section adds its ensemble layout
/// (CATHODE's folds and members, CONRAD's models per half) and sets its own defaults. Growth and the regularisation come
/// from the analysis's preset (CATHODE: depth-wise, SPEC 1.5; CONRAD: scikit-learn's leaf-wise HistGradientBoosting).
/// </summary>
public class BoostingSection
{
    /// <summary>Boosting rounds at most.</summary>
    public int MaxRounds { get; set; } = 300;
    /// <summary>Tree depth (depth-wise growth; 0: no limit for leaf-wise growth).</summary>
    public int MaxDepth { get; set; } = 3;
    /// <summary>Learning rate.</summary>
    public double LearningRate { get; set; } = 0.1;
    /// <summary>Row subsample per tree.</summary>
    public double Subsample { get; set; } = 1;
    /// <summary>Early-stopping patience in rounds.</summary>
    public int Patience { get; set; } = 10;

    /// <summary><paramref name="preset"/> with these limits and <paramref name="seed"/>.</summary>
    public virtual BoostingParameters Parameters(BoostingParameters preset, ulong seed) => preset with
    {
        MaxRounds = MaxRounds, MaxDepth = MaxDepth, LearningRate = LearningRate, Subsample = Subsample, Patience = Patience, Seed = seed,
    };

    /// <summary>Checks the ranges; errors name the key under <paramref name="section"/> (<c>bdt</c>, <c>classifier</c>).</summary>
    public virtual void Validate(string section, GrowthPolicy growth)
    {
        Check(MaxRounds >= 1, $"{section}.max_rounds must be positive.");
        Check(growth != GrowthPolicy.DepthWise || MaxDepth >= 1, $"{section}.max_depth must be positive (depth-wise trees).");
        Check(MaxDepth >= 0, $"{section}.max_depth must be ≥ 0.");
        Check(LearningRate > 0, $"{section}.learning_rate must be positive.");
        Check(Subsample > 0 && Subsample <= 1, $"{section}.subsample must be in (0, 1] (got {Subsample}).");
        Check(Patience >= 0, $"{section}.patience must be ≥ 0.");
    }

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="message"/> unless <paramref name="ok"/>.</summary>
    protected static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
