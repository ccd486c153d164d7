using System.Text.Json.Serialization;
using FastAD.Analyses.Trees;
using FastAD.Data.Synthetic;
using FastAD.Flows;
using FastAD.Trees;

namespace FastAD.Analyses.Simad;

/// <summary>The data-versus-simulation classifier of SimAD.</summary>
public enum SimadClassifierKind
{
    /// <summary>The paper's ensemble of fully connected networks (SPEC 3).</summary>
    [JsonStringEnumMemberName("mlp")] Mlp,
    /// <summary>Boosted decision trees (the trees engine): logistic loss; its log-odds stand for f = ln(p_data/p_sim).</summary>
    [JsonStringEnumMemberName("bdt")] Bdt,
}

/// <summary>Which p-values of the statistics a run reports.</summary>
public enum SimadPValueKind
{
    /// <summary>The bootstrap p-value: the fraction of bootstrap classifiers at least as extreme (SPEC 3).</summary>
    [JsonStringEnumMemberName("bootstrap")] Bootstrap,
    /// <summary>The asymptotic (Gaussian, χ²₁ on the signal side) p-value from the bootstrap mean and standard deviation.</summary>
    [JsonStringEnumMemberName("asymptotic")] Asymptotic,
    /// <summary>Both, side by side, with where they disagree.</summary>
    [JsonStringEnumMemberName("both")] Both,
}

/// <summary>
/// Every hyperparameter of the simulation-based anomaly detection for multileptons (SPEC 3), in YAML with
/// snake_case keys. The defaults are the paper's configuration (10 networks of 3 × 50 ReLU, 20 epochs, Adam)
/// with our choices where the paper is silent (100 bootstraps, the injection grid, a half/half train/test split);
/// <see cref="MakeQuick"/> is the demo of about a minute. Unknown keys are errors naming the line.
/// </summary>
public sealed class SimadConfig : AnalysisConfig<SimadConfig>
{
    /// <summary>Base seed: generation, splits, bootstrap draws, signal draws and network initialisations derive from it.</summary>
    public override ulong Seed { get; set; } = 1;
    /// <summary>Column names of an input table.</summary>
    public ColumnsSection Columns { get; set; } = new();
    /// <summary>The generated samples (with <c>--generate</c>).</summary>
    public GenerateSection Generate { get; set; } = new();
    /// <summary>The classifier ensemble.</summary>
    public ClassifierSection Classifier { get; set; } = new();
    /// <summary>Held-out evaluation.</summary>
    public EvaluationSection Evaluation { get; set; } = new();
    /// <summary>The bootstrap null.</summary>
    public BootstrapSection Bootstrap { get; set; } = new();
    /// <summary>The signal-injection scans.</summary>
    public InjectionSection Injection { get; set; } = new();
    /// <summary>Networks trained at once on the CPU (0: one per core).</summary>
    public int Threads { get; set; }

    /// <summary>Column names, and columns derived from the file's.</summary>
    public sealed class ColumnsSection : DerivingColumnsSection
    {
        /// <summary>Classifier inputs.</summary>
        public List<string> Features { get; set; } = ["m_ee", "m_mumu", "m_4l"];
        /// <summary>0 = data, 1 = simulation.</summary>
        public string Simulation { get; set; } = "is_simulation";
        /// <summary>Optional 0/1 truth of data events: the signal events of a file feed its injection scan.</summary>
        public string Truth { get; set; } = "is_signal";
    }

    /// <summary>Sizes of the generated samples.</summary>
    public sealed class GenerateSection
    {
        /// <summary>
        /// Background events in each of "data" and simulation; 0: the generator's selected background cross section × <see cref="LuminosityFb"/>
        /// (4,500 at 150 fb⁻¹). Given explicitly, the luminosity the sample stands for is events / cross section.
        /// </summary>
        public int Events { get; set; }
        /// <summary>
        /// Integrated luminosity (fb⁻¹): sizes the generated background (with <see cref="Events"/> 0); for a file, the luminosity its background
        /// stands for. Converts injected events to a cross section (with <see cref="InjectionSection.SelectionEfficiency"/>).
        /// </summary>
        public double LuminosityFb { get; set; } = MultileptonGenerator.DefaultLuminosityFb;

        /// <summary>Background events per generated copy.</summary>
        public int EventsPerCopy() => Events > 0 ? Events : MultileptonGenerator.EventsFor(LuminosityFb);
    }

    /// <summary>The networks.</summary>
    public sealed class ClassifierSection
    {
        /// <summary>mlp (the paper's networks) or bdt (boosted trees through the trees engine).</summary>
        public SimadClassifierKind Kind { get; set; } = SimadClassifierKind.Mlp;
        /// <summary>The trees of <c>kind: bdt</c> (depth-wise, XGBoost-like; <see cref="Ensemble"/> members per classifier, each its own row subsample).</summary>
        public BoostingSection Bdt { get; set; } = new() { MaxRounds = 200, MaxDepth = 3, LearningRate = 0.1, Subsample = 0.7, Patience = 10 };
        /// <summary>Fraction of each classifier's training events (data and simulation alike) the trees stop early on.</summary>
        public double BdtValidationFraction { get; set; } = 0.2;
        /// <summary>Losses run: bce and/or mlc.</summary>
        public List<ClassifierLoss> Losses { get; set; } = [ClassifierLoss.Bce, ClassifierLoss.Mlc];
        /// <summary>Networks averaged per classifier.</summary>
        public int Ensemble { get; set; } = 10;
        /// <summary>Hidden layer sizes (ReLU).</summary>
        public List<int> Hidden { get; set; } = [50, 50, 50];
        /// <summary>Epochs.</summary>
        public int Epochs { get; set; } = 20;
        /// <summary>Minibatch size.</summary>
        public int BatchSize { get; set; } = 128;
        /// <summary>Adam learning rate.</summary>
        public double LearningRate { get; set; } = 1e-3;
        /// <summary>BCE only: weight the classes to equal total weight (the MLC loss is never weighted).</summary>
        public bool BalanceClasses { get; set; }
    }

    /// <summary>How the statistics are evaluated on events the networks did not see.</summary>
    public sealed class EvaluationSection
    {
        /// <summary>Fraction of data (background and injected signal alike) and of simulation held out for the statistics.</summary>
        public double TestFraction { get; set; } = 0.5;
        /// <summary>bootstrap, asymptotic or both: which p-values of the statistics are reported (the bands are the bootstrap's either way).</summary>
        public SimadPValueKind PValue { get; set; } = SimadPValueKind.Bootstrap;
    }

    /// <summary>The null distribution.</summary>
    public sealed class BootstrapSection
    {
        /// <summary>Bootstrap "data" sets (resamples of the background-only sample), one classifier each.</summary>
        public int Samples { get; set; } = 100;
    }

    /// <summary>Signal injections.</summary>
    public sealed class InjectionSection
    {
        /// <summary>Signal mass points m_A (GeV; m_B = 25, m_C = 15).</summary>
        public List<double> MassPoints { get; set; } = [.. MultileptonGenerator.SignalMassPoints];
        /// <summary>Injected signal events (whole "data" set, before the train/test split).</summary>
        public List<int> Signal { get; set; } = [0, 15, 30, 60, 120, 180, 270];
        /// <summary>Independent injections (signal draws and network seeds) per point.</summary>
        public int Repeats { get; set; } = 10;
        /// <summary>Fraction of produced signal events the selection keeps: σ = injected events / (luminosity × efficiency). 1: the cross section is the selected one.</summary>
        public double SelectionEfficiency { get; set; } = 1;
        /// <summary>The dedicated search's limit (fb) drawn for comparison (SPEC 3: 0.04 fb).</summary>
        public double DedicatedSearchFb { get; set; } = 0.04;
    }

    /// <summary>A demo of about a minute on two cores: 3 networks of 3 × 32, 10 epochs, 30 bootstraps, 0/15/45/150 events (0–1 fb) injected 4 times.</summary>
    protected override void MakeQuick()
    {
        Classifier.Ensemble = 3;
        Classifier.Hidden = [32, 32, 32];
        Classifier.Epochs = 10;
        Bootstrap.Samples = 30;
        Injection.Signal = [0, 15, 45, 150];
        Injection.Repeats = 4;
    }

    /// <inheritdoc />
    protected override string Command => "simad";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Columns.Features.Count >= 1, "columns.features: give at least one feature.");
        Require(Columns.Features.Distinct().Count() == Columns.Features.Count, "columns.features: a feature is named twice.");
        Require(Generate.Events == 0 || Generate.Events >= 20, $"generate.events must be 0 (from the luminosity) or at least 20 (got {Generate.Events}).");
        Require(Generate.LuminosityFb > 0, "generate.luminosity_fb must be positive.");
        Require(Classifier.Losses.Count >= 1, "classifier.losses: give bce, mlc or both.");
        Require(Classifier.Losses.Distinct().Count() == Classifier.Losses.Count, "classifier.losses: a loss is named twice.");
        Require(Classifier.Ensemble >= 1, "classifier.ensemble must be at least 1.");
        Require(Classifier.Hidden.Count >= 1 && Classifier.Hidden.All(h => h >= 1), "classifier.hidden: give at least one positive layer size.");
        Require(Classifier.Epochs >= 1 && Classifier.BatchSize >= 1, "classifier.epochs and classifier.batch_size must be positive.");
        Require(Classifier.LearningRate > 0, "classifier.learning_rate must be positive.");
        if (Classifier.Kind == SimadClassifierKind.Bdt)
        {
            Classifier.Bdt.Validate("classifier.bdt", GrowthPolicy.DepthWise);
            Require(Classifier.BdtValidationFraction >= 0 && Classifier.BdtValidationFraction < 0.5,
                $"classifier.bdt_validation_fraction must be in [0, 0.5) (got {Classifier.BdtValidationFraction}).");
        }
        Require(Evaluation.TestFraction > 0 && Evaluation.TestFraction < 1, $"evaluation.test_fraction must be in (0, 1) (got {Evaluation.TestFraction}).");
        Require(Bootstrap.Samples >= 2, $"bootstrap.samples must be at least 2 (got {Bootstrap.Samples}).");
        foreach (var m in Injection.MassPoints)
            Require(MultileptonGenerator.SignalMassPoints.Contains(m),
                $"injection.mass_points: {m} is not one of {string.Join(", ", MultileptonGenerator.SignalMassPoints)} GeV.");
        Require(Injection.Signal.All(s => s >= 0), "injection.signal: injected events must be ≥ 0.");
        Require(Injection.Signal.Distinct().Count() == Injection.Signal.Count && Injection.Signal.SequenceEqual(Injection.Signal.Order()),
            "injection.signal: give distinct injected counts in increasing order.");
        Require(Injection.Repeats >= 1, "injection.repeats must be at least 1.");
        Require(Injection.SelectionEfficiency > 0 && Injection.SelectionEfficiency <= 1,
            $"injection.selection_efficiency must be in (0, 1] (got {Injection.SelectionEfficiency}).");
        Require(Injection.DedicatedSearchFb > 0, $"injection.dedicated_search_fb must be positive (got {Injection.DedicatedSearchFb}).");
        Require(Threads >= 0, "threads must be ≥ 0 (0: one per core).");
    }

    /// <summary>Networks trained at once (<see cref="Threads"/>, or one per core).</summary>
    public int Workers() => Threads > 0 ? Threads : Environment.ProcessorCount;
}
