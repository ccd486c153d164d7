using FastAD.Flows;

namespace FastAD.Analyses.Flows;

/// <summary>Everything <c>fastad train-flow</c> can be told about the flow and its training.</summary>
public sealed record FlowSettings(FlowArchitecture Architecture, FlowTrainingOptions Options, double ValidationFraction = 0.2, int Ensemble = 1);

/// <summary>
/// Flow settings from YAML (snake_case keys, every key optional, unknown keys are errors naming the line):
/// <code>
/// transform: rqs            # affine (SPEC 1.3), affine-nflows or rqs
/// blocks: 4                 # transforms
/// hidden: 64
/// hidden_layers: 2          # nflows kinds: relu layers after the first
/// bins: 8                   # rqs
/// tail_bound: 3.0           # rqs: the spline acts on [−B, B] of standardised inputs
/// permutation: reverse      # nflows kinds: reverse or random
/// residual: false           # nflows kinds: residual MADE blocks
/// ensemble: 5
/// epochs: 50
/// batch: 128
/// learning_rate: 1.0e-4
/// weight_decay: 1.0e-6
/// optimizer: adam           # adam (coupled weight decay) or adamw (decoupled)
/// clip_norm: 1.0
/// patience: 0
/// validation: 0.2
/// seed: 0
/// </code>
/// Values not given keep those of the base settings (the command line's).
/// </summary>
public static class FlowConfig
{
    private sealed class Dto
    {
        public string? Transform { get; set; }
        public int? Blocks { get; set; }
        public int? Hidden { get; set; }
        public int? HiddenLayers { get; set; }
        public int? Bins { get; set; }
        public double? TailBound { get; set; }
        public string? Permutation { get; set; }
        public bool? Residual { get; set; }
        public int? Ensemble { get; set; }
        public int? Epochs { get; set; }
        public int? Batch { get; set; }
        public double? LearningRate { get; set; }
        public double? WeightDecay { get; set; }
        public string? Optimizer { get; set; }
        public double? ClipNorm { get; set; }
        public int? Patience { get; set; }
        public double? Validation { get; set; }
        public ulong? Seed { get; set; }
    }

    /// <summary>Reads a YAML file over <paramref name="baseSettings"/>; errors name the file, line and key.</summary>
    public static FlowSettings Load(string path, FlowSettings baseSettings)
    {
        var d = YamlConfig.Read<Dto>(path);
        if (d is null) return baseSettings;
        var a = baseSettings.Architecture;
        var o = baseSettings.Options;
        try
        {
            a = a with
            {
                Kind = d.Transform is { } t ? FlowArchitecture.ParseKind(t) : a.Kind,
                Blocks = d.Blocks ?? a.Blocks,
                Hidden = d.Hidden ?? a.Hidden,
                HiddenLayers = d.HiddenLayers ?? a.HiddenLayers,
                Bins = d.Bins ?? a.Bins,
                TailBound = d.TailBound ?? a.TailBound,
                Permutation = d.Permutation is { } p ? FlowArchitecture.ParsePermutation(p) : a.Permutation,
                Residual = d.Residual ?? a.Residual,
            };
            o = o with
            {
                Epochs = d.Epochs ?? o.Epochs,
                BatchSize = d.Batch ?? o.BatchSize,
                LearningRate = d.LearningRate ?? o.LearningRate,
                WeightDecay = d.WeightDecay ?? o.WeightDecay,
                DecoupledWeightDecay = d.Optimizer is { } opt ? ParseOptimizer(opt) : o.DecoupledWeightDecay,
                ClipNorm = d.ClipNorm ?? o.ClipNorm,
                Patience = d.Patience ?? o.Patience,
                Seed = d.Seed ?? o.Seed,
            };
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
        return new FlowSettings(a, o, d.Validation ?? baseSettings.ValidationFraction, d.Ensemble ?? baseSettings.Ensemble);
    }

    /// <summary>"adam" → coupled weight decay (false), "adamw" → decoupled (true).</summary>
    public static bool ParseOptimizer(string text) => text.Trim().ToLowerInvariant() switch
    {
        "adam" => false,
        "adamw" => true,
        _ => throw new ArgumentException($"Unknown optimizer '{text}'; expected adam or adamw."),
    };
}
