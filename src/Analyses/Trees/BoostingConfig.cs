using FastAD.Trees;

namespace FastAD.Analyses.Trees;

/// <summary>
/// BDT hyperparameters from YAML (snake_case keys, every key optional, unknown keys are errors):
/// <code>
/// growth: depthwise        # or leafwise
/// max_rounds: 300
/// learning_rate: 0.1
/// max_depth: 3
/// max_leaf_nodes: 31
/// lambda: 1.0
/// gamma: 0.0
/// min_child_weight: 1.0
/// min_samples_leaf: 1
/// subsample: 0.7
/// patience: 10
/// tolerance: 0.0
/// seed: 0
/// </code>
/// Values not given keep those of the base parameters (the command line's, or the growth preset's).
/// </summary>
public static class BoostingConfig
{
    private sealed class Dto
    {
        public string? Growth { get; set; }
        public int? MaxRounds { get; set; }
        public double? LearningRate { get; set; }
        public int? MaxDepth { get; set; }
        public int? MaxLeafNodes { get; set; }
        public double? Lambda { get; set; }
        public double? Gamma { get; set; }
        public double? MinChildWeight { get; set; }
        public int? MinSamplesLeaf { get; set; }
        public double? Subsample { get; set; }
        public int? Patience { get; set; }
        public double? Tolerance { get; set; }
        public ulong? Seed { get; set; }
    }

    /// <summary>Reads a YAML file over <paramref name="baseParameters"/>; errors name the file, line and key.</summary>
    public static BoostingParameters Load(string path, BoostingParameters baseParameters)
    {
        var d = YamlConfig.Read<Dto>(path);
        if (d is null) return baseParameters;
        var p = baseParameters;
        if (d.Growth is { } g)
            p = g.ToLowerInvariant() switch
            {
                "depthwise" or "depth-wise" => p with { Growth = GrowthPolicy.DepthWise, MaxDepth = p.MaxDepth > 0 ? p.MaxDepth : 6 },
                "leafwise" or "leaf-wise" => p with { Growth = GrowthPolicy.LeafWise, MaxLeafNodes = p.MaxLeafNodes > 1 ? p.MaxLeafNodes : 31 },
                _ => throw new InvalidDataException($"{path}: growth must be depthwise or leafwise (got '{g}')."),
            };
        return p with
        {
            MaxRounds = d.MaxRounds ?? p.MaxRounds,
            LearningRate = d.LearningRate ?? p.LearningRate,
            MaxDepth = d.MaxDepth ?? p.MaxDepth,
            MaxLeafNodes = d.MaxLeafNodes ?? p.MaxLeafNodes,
            Lambda = d.Lambda ?? p.Lambda,
            Gamma = d.Gamma ?? p.Gamma,
            MinChildWeight = d.MinChildWeight ?? p.MinChildWeight,
            MinSamplesLeaf = d.MinSamplesLeaf ?? p.MinSamplesLeaf,
            Subsample = d.Subsample ?? p.Subsample,
            Patience = d.Patience ?? p.Patience,
            Tolerance = d.Tolerance ?? p.Tolerance,
            Seed = d.Seed ?? p.Seed,
        };
    }
}
