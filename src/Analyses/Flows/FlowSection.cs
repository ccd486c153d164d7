using FastAD.Flows;

namespace FastAD.Analyses.Flows;

/// <summary>
/// The flow ensemble's hyperparameters, one shape for every analysis (YAML section <c>flows:</c>); an analysis's
/// section adds what only it has (CATHODE's samples per flow, CONRAD's template subset) and sets its own defaults. The
/// kind of flow is the analysis's (CATHODE the SPEC 1.3 affine MAF, CONRAD the RQS MAF of SPEC 2.1).
/// </summary>
public class FlowSection
{
    /// <summary>Flows in the ensemble (different seeds).</summary>
    public int Ensemble { get; set; } = 5;
    /// <summary>Transforms (MADE blocks).</summary>
    public int Blocks { get; set; } = 6;
    /// <summary>Hidden units per MADE layer.</summary>
    public int Hidden { get; set; } = 20;
    /// <summary>Epochs.</summary>
    public int Epochs { get; set; } = 400;
    /// <summary>Minibatch size.</summary>
    public int BatchSize { get; set; } = 256;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; set; } = 7.5e-4;
    /// <summary>Coupled weight decay (added to the gradient).</summary>
    public double WeightDecay { get; set; } = 1e-6;
    /// <summary>Global gradient-norm clip (0: none).</summary>
    public double ClipNorm { get; set; } = 1.0;
    /// <summary>Validation fraction (best epoch kept).</summary>
    public double ValidationFraction { get; set; } = 0.2;
    /// <summary>Early-stopping patience in epochs (0: all epochs, the best kept).</summary>
    public int Patience { get; set; }

    /// <summary>Training options shared by the members (each member's shuffle seed comes from the analysis's seed tree).</summary>
    public FlowTrainingOptions TrainingOptions() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, WeightDecay = WeightDecay, ClipNorm = ClipNorm, Patience = Patience,
    };

    /// <summary>Checks the ranges; errors name the key (<c>flows.…</c>).</summary>
    public void Validate()
    {
        Check(Ensemble is >= 1 and < ModelStore.MaxMembers, $"flows.ensemble must be 1 to {ModelStore.MaxMembers - 1} (got {Ensemble}); the models folder keeps members 0 to {ModelStore.MaxMembers - 1}.");
        Check(Blocks >= 1 && Hidden >= 2, "flows.blocks must be ≥ 1 and flows.hidden ≥ 2.");
        Check(Epochs >= 1 && BatchSize >= 1, "flows.epochs and flows.batch_size must be positive.");
        Check(LearningRate > 0, "flows.learning_rate must be positive.");
        Check(WeightDecay >= 0, "flows.weight_decay must be ≥ 0.");
        Check(ClipNorm >= 0, "flows.clip_norm must be ≥ 0 (0: no clipping).");
        Check(Patience >= 0, "flows.patience must be ≥ 0 (0: all epochs).");
        Check(ValidationFraction > 0 && ValidationFraction < 1, $"flows.validation_fraction must be in (0, 1) (got {ValidationFraction}).");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
