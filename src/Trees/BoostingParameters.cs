namespace FastAD.Trees;

/// <summary>How trees grow.</summary>
public enum GrowthPolicy
{
    /// <summary>Level by level to <see cref="BoostingParameters.MaxDepth"/> (XGBoost "hist").</summary>
    DepthWise,
    /// <summary>Best-first to <see cref="BoostingParameters.MaxLeafNodes"/> leaves (scikit-learn HistGradientBoosting).</summary>
    LeafWise,
}

/// <summary>Hyperparameters of binary log-loss histogram boosting (SPEC section 4).</summary>
public sealed record BoostingParameters
{
    /// <summary>Growth policy.</summary>
    public GrowthPolicy Growth { get; init; } = GrowthPolicy.DepthWise;
    /// <summary>Boosting rounds (trees) at most.</summary>
    public int MaxRounds { get; init; } = 100;
    /// <summary>Shrinkage applied to every leaf.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Depth limit (depth-wise; 0 = none for leaf-wise).</summary>
    public int MaxDepth { get; init; } = 6;
    /// <summary>Leaf limit (leaf-wise; 0 = none for depth-wise).</summary>
    public int MaxLeafNodes { get; init; } = 0;
    /// <summary>L2 regularisation λ of the leaf weights (XGBoost lambda, scikit-learn l2_regularization).</summary>
    public double Lambda { get; init; } = 1.0;
    /// <summary>Minimum gain to split (XGBoost gamma).</summary>
    public double Gamma { get; init; }
    /// <summary>Minimum hessian sum per child (XGBoost min_child_weight, scikit-learn min_hessian_to_split).</summary>
    public double MinChildWeight { get; init; } = 1.0;
    /// <summary>Minimum rows per leaf (scikit-learn min_samples_leaf).</summary>
    public int MinSamplesLeaf { get; init; } = 1;
    /// <summary>Fraction of training rows each tree sees (Bernoulli per row, Philox-seeded).</summary>
    public double Subsample { get; init; } = 1.0;
    /// <summary>Rounds without validation improvement before stopping (0 = no early stopping).</summary>
    public int Patience { get; init; }
    /// <summary>Smallest validation-loss decrease that counts as an improvement.</summary>
    public double Tolerance { get; init; }
    /// <summary>Seed of the row subsampling.</summary>
    public ulong Seed { get; init; }

    /// <summary>XGBoost 1.7 "hist" defaults (max_depth 6, lambda 1, min_child_weight 1).</summary>
    public static BoostingParameters XGBoost => new();

    /// <summary>scikit-learn 1.2 HistGradientBoostingClassifier defaults (31 leaves, min_samples_leaf 20, l2 0, min hessian 1e-3).</summary>
    public static BoostingParameters ScikitLearn => new()
    {
        Growth = GrowthPolicy.LeafWise, MaxDepth = 0, MaxLeafNodes = 31, Lambda = 0, MinChildWeight = 1e-3, MinSamplesLeaf = 20, Tolerance = 1e-7,
    };

    /// <summary>The CATHODE BDT of SPEC 1.5: 300 rounds, depth 3, learning rate 0.1, subsample 0.7, patience 10.</summary>
    public static BoostingParameters Cathode => new() { MaxRounds = 300, MaxDepth = 3, Subsample = 0.7, Patience = 10 };

    internal void Validate()
    {
        if (MaxRounds < 1) throw new ArgumentOutOfRangeException(nameof(MaxRounds), $"At least one round is needed (got {MaxRounds}).");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"Learning rate must be positive (got {LearningRate}).");
        if (Growth == GrowthPolicy.DepthWise && MaxDepth < 1) throw new ArgumentOutOfRangeException(nameof(MaxDepth), "Depth-wise growth needs MaxDepth ≥ 1.");
        if (Growth == GrowthPolicy.LeafWise && MaxLeafNodes < 2) throw new ArgumentOutOfRangeException(nameof(MaxLeafNodes), "Leaf-wise growth needs MaxLeafNodes ≥ 2.");
        if (!(Lambda >= 0) || !(Gamma >= 0) || !(MinChildWeight >= 0) || MinSamplesLeaf < 1)
            throw new ArgumentOutOfRangeException(nameof(Lambda), "Lambda, gamma and min child weight must be ≥ 0 and min samples per leaf ≥ 1.");
        if (!(Subsample > 0 && Subsample <= 1)) throw new ArgumentOutOfRangeException(nameof(Subsample), $"Subsample must be in (0, 1] (got {Subsample}).");
        if (Patience < 0) throw new ArgumentOutOfRangeException(nameof(Patience));
    }
}
