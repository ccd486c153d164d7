using System.Text.Json.Serialization;
using FastAD.Analyses.Flows;
using FastAD.Analyses.Trees;
using FastAD.Data.Synthetic;
using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.Trees;

namespace FastAD.Analyses.Conrad;

/// <summary>
/// Every hyperparameter of the CONRAD analysis (SPEC 2), in YAML with snake_case keys. The defaults are the paper's
/// configuration; <see cref="MakeQuick"/> is the demo of about a minute. Unknown keys are errors naming the line; keys
/// not given keep the preset's value.
/// </summary>
public sealed class ConradConfig : AnalysisConfig<ConradConfig>
{
    /// <summary>Base seed: generation, data folds, flows (seed + member), classifiers and reference samples use derived streams.</summary>
    public override ulong Seed { get; set; } = 1;
    /// <summary>Background template the flow learns: gamma (the data-driven γ+jets rows of the input) or znunu (a fresh Z(νν)+jets sample from the generator: perfect simulation).</summary>
    public ConradTemplate Template { get; set; } = ConradTemplate.Gamma;
    /// <summary>Signal of generated data: 3prong or 2prong.</summary>
    public ConradSignal Signal { get; set; } = ConradSignal.ThreeProng;
    /// <summary>Column names.</summary>
    public ColumnsSection Columns { get; set; } = new();
    /// <summary>Trigger and signal region on the tail feature.</summary>
    public RegionsSection Regions { get; set; } = new();
    /// <summary>Generated samples (with --generate) and the signal-injection scan.</summary>
    public GenerationSection Generation { get; set; } = new();
    /// <summary>The conditional RQS flow ensemble p_bg(x | MET).</summary>
    public FlowsSection Flows { get; set; } = new();
    /// <summary>The histogram gradient-boosting ensembles.</summary>
    public ClassifierSection Classifier { get; set; } = new();
    /// <summary>Working points.</summary>
    public StatisticsSection Statistics { get; set; } = new();

    /// <summary>Column names of the input table, and columns derived from them.</summary>
    public sealed class ColumnsSection : DerivingColumnsSection
    {
        /// <summary>The tail feature the flow is conditioned on (GeV).</summary>
        public string Met { get; set; } = "MET";
        /// <summary>Auxiliary features x: jet mass (GeV, log-standardised) and subjettiness ratios (in (0, 1), logit-standardised).</summary>
        public List<string> Features { get; set; } = ["m_J", "tau21", "tau32"];
        /// <summary>Features in (0, 1) that get a logit before standardising (the others get a log: positive, like m_J).</summary>
        public List<string> Bounded { get; set; } = ["tau21", "tau32"];
        /// <summary>Optional 0/1 truth column: SIC curves, S/√B and the signal-injection scan.</summary>
        public string Truth { get; set; } = "is_signal";
        /// <summary>0/1 column: 1 marks the background-template rows, 0 the data.</summary>
        public string IsTemplate { get; set; } = "is_template";
    }

    /// <summary>Regions on the tail feature: control [trigger, sr), signal region [sr, ∞).</summary>
    public sealed class RegionsSection
    {
        /// <summary>Trigger threshold (events below are dropped).</summary>
        public double Trigger { get; set; } = 700;
        /// <summary>Signal-region threshold.</summary>
        public double SignalRegion { get; set; } = 1000;
    }

    /// <summary>Sizes of generated samples; the injection scan.</summary>
    public sealed class GenerationSection
    {
        /// <summary>Background events in the generated data (and in the template and the perfect-background sample).</summary>
        public int Events { get; set; } = 700_000;
        /// <summary>Signal events generated into the data (the most that can be injected).</summary>
        public int SignalEvents { get; set; } = 1_200;
        /// <summary>Signal events injected in the scan (each ≤ the signal in the data; the whole data set is always run as well).</summary>
        public List<int> Injections { get; set; } = [0, 300, 600, 900];
        /// <summary>Signal events of the supervised classifier's own training sample (generated; 0 = train on the data's truth labels by halves).</summary>
        public int SupervisedSignalEvents { get; set; } = 50_000;
        /// <summary>
        /// Background events generated for the independent test set (its own seed; the signal-region events are kept, about
        /// 13%); the SIC curves are measured on it beside the data's own. 0 = no independent test set.
        /// </summary>
        public int TestBackgroundEvents { get; set; } = 700_000;
        /// <summary>Signal events generated for the independent test set (the signal-region events are kept).</summary>
        public int TestSignalEvents { get; set; } = 20_000;
    }

    /// <summary>The conditional RQS flow ensemble (SPEC 2.1): the shared flow settings with CONRAD's defaults, and the template subset.</summary>
    public sealed class FlowsSection : FlowSection
    {
        /// <summary>
        /// CONRAD's defaults: 5 flows of 4 transforms, 8 bins on [−4, 4], 32 hidden units; 50 epochs of Adam at 1e-4 in batches
        /// of 128, no weight decay, gradient norm clipped at 5.
        /// </summary>
        public FlowsSection() => (Ensemble, Blocks, Hidden, Epochs, BatchSize, LearningRate, WeightDecay, ClipNorm) = (5, 4, 32, 50, 128, 1e-4, 0, 5);

        /// <summary>Spline bins.</summary>
        public int Bins { get; set; } = 8;
        /// <summary>Spline interval [−B, B] (linear tails outside), in standardised units.</summary>
        public double TailBound { get; set; } = 4;

        /// <summary>The key's earlier name (<c>flows.transforms</c>), read as <see cref="FlowSection.Blocks"/>; never written.</summary>
        [EarlierNameOf(nameof(Blocks))]
        public int Transforms { set => Blocks = value; }

        /// <summary>Template events used (0 = all; fewer for quick runs).</summary>
        public int TrainEvents { get; set; }
    }

    /// <summary>Leaf-wise histogram gradient boosting (scikit-learn HistGradientBoostingClassifier): the shared boosting settings with CONRAD's defaults.</summary>
    public sealed class ClassifierSection : BoostingSection
    {
        /// <summary>CONRAD's defaults: 200 iterations of at most 61 leaves, learning rate 0.1, patience 10, no depth limit, no subsampling.</summary>
        public ClassifierSection() => (MaxRounds, MaxDepth, LearningRate, Subsample, Patience) = (200, 0, 0.1, 1, 10);

        /// <summary>Leaves per tree at most.</summary>
        public int MaxLeafNodes { get; set; } = 61;

        /// <inheritdoc />
        public override BoostingParameters Parameters(BoostingParameters preset, ulong seed) => base.Parameters(preset, seed) with { MaxLeafNodes = MaxLeafNodes };

        /// <inheritdoc />
        public override void Validate(string section, FastAD.Trees.GrowthPolicy growth)
        {
            base.Validate(section, growth);
            Check(MaxLeafNodes >= 2, $"{section}.max_leaf_nodes must be at least 2.");
        }

        /// <summary>The key's earlier name (<c>classifier.max_iterations</c>), read as <see cref="BoostingSection.MaxRounds"/>; never written.</summary>
        [EarlierNameOf(nameof(MaxRounds))]
        public int MaxIterations { set => MaxRounds = value; }

        /// <summary>
        /// Data folds: each fold's events are scored by the models trained on the other folds (2 = the paper's two halves,
        /// one trains and the other is scored, and back; more folds train each model on more of the data).
        /// </summary>
        public int Folds { get; set; } = 2;
        /// <summary>Models per fold (each with its own 75/25 split of the other folds' events), scores averaged.</summary>
        public int Models { get; set; } = 50;
        /// <summary>Validation fraction of each model's half (early stopping).</summary>
        public double ValidationFraction { get; set; } = 0.25;
        /// <summary>Reference samples (standard-normal latents) per data event.</summary>
        public double ReferenceRatio { get; set; } = 1;
    }

    /// <summary>Working points.</summary>
    public sealed class StatisticsSection
    {
        /// <summary>Points of the log-spaced FPR scan from 1 down to <see cref="FprLowest"/>.</summary>
        public int FprPoints { get; set; } = 25;
        /// <summary>Lowest FPR of the scan.</summary>
        public double FprLowest { get; set; } = 1e-3;
        /// <summary>FPRs of the S/√B summary (Figure 5).</summary>
        public List<double> WorkingPoints { get; set; } = [0.01, 0.001];
    }

    /// <summary>
    /// A demo of about a minute on two cores: a smaller sample, two short flows, 2 + 2 small classifiers. The flows see
    /// the whole template: a short training on a subset overfits it enough to leave the latents dependent on MET.
    /// </summary>
    protected override void MakeQuick()
    {
        Generation.Events = 150_000;
        Generation.SignalEvents = 600;
        Generation.Injections = [0, 300];
        Generation.SupervisedSignalEvents = 10_000;
        Generation.TestBackgroundEvents = 150_000;
        Generation.TestSignalEvents = 5_000;
        Flows.Ensemble = 2;
        Flows.Epochs = 3;
        Flows.LearningRate = 1e-3;
        Classifier.Models = 2;
        Classifier.MaxRounds = 60;
        Classifier.MaxLeafNodes = 31;
    }

    /// <inheritdoc />
    protected override string Command => "conrad";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Columns.Features.Count >= 1, "columns.features: the flow needs at least one feature.");
        Require(Columns.Features.Distinct().Count() == Columns.Features.Count, "columns.features: a feature is named twice.");
        foreach (var b in Columns.Bounded) Require(Columns.Features.Contains(b), $"columns.bounded: '{b}' is not one of columns.features.");
        Require(Regions.Trigger >= 0 && Regions.SignalRegion > Regions.Trigger,
            $"regions: need 0 ≤ trigger < signal_region (got {Regions.Trigger}, {Regions.SignalRegion}).");
        Require(Generation.Events >= 100, $"generation.events must be at least 100 (got {Generation.Events}).");
        Require(Generation.SignalEvents >= 0 && Generation.SignalEvents < Generation.Events, "generation.signal_events must be in [0, events).");
        foreach (var k in Generation.Injections) Require(k >= 0, $"generation.injections: {k} is negative.");
        Require(Generation.SupervisedSignalEvents >= 0, "generation.supervised_signal_events must be ≥ 0.");
        Require(Generation.TestBackgroundEvents >= 0, $"generation.test_background_events must be ≥ 0 (got {Generation.TestBackgroundEvents}; 0 = no independent test set).");
        Require(Generation.TestSignalEvents >= 0, $"generation.test_signal_events must be ≥ 0 (got {Generation.TestSignalEvents}).");
        Require(Generation.TestBackgroundEvents == 0 || Generation.TestSignalEvents > 0,
            "generation.test_signal_events must be positive when generation.test_background_events is (the test set needs both classes).");
        Flows.Validate();
        Require(Flows.Bins >= 2, "flows.bins must be at least 2.");
        Require(Flows.TailBound > 0, "flows.tail_bound must be positive.");
        Require(Flows.TrainEvents >= 0, "flows.train_events must be ≥ 0 (0 = all).");
        Require(Classifier.Models >= 1, "classifier.models must be ≥ 1.");
        Require(Classifier.Folds >= 2, $"classifier.folds must be at least 2 (got {Classifier.Folds}; 2 = the paper's data halves).");
        Require(Classifier.Folds <= 100, $"classifier.folds must be at most 100 (got {Classifier.Folds}).");
        Classifier.Validate("classifier", FastAD.Trees.BoostingParameters.ScikitLearn.Growth);
        Require(Classifier.ValidationFraction > 0 && Classifier.ValidationFraction < 1, $"classifier.validation_fraction must be in (0, 1) (got {Classifier.ValidationFraction}).");
        Require(Classifier.ReferenceRatio > 0, "classifier.reference_ratio must be positive.");
        Require(Statistics.FprPoints >= 2, "statistics.fpr_points must be at least 2.");
        Require(Statistics.FprLowest > 0 && Statistics.FprLowest < 1, $"statistics.fpr_lowest must be in (0, 1) (got {Statistics.FprLowest}).");
        foreach (var f in Statistics.WorkingPoints) Require(f > 0 && f <= 1, $"statistics.working_points: {f} is outside (0, 1].");
    }

    /// <summary>Flow training options of member <paramref name="member"/>.</summary>
    public FlowTrainingOptions FlowOptions(int member) => Flows.TrainingOptions() with { Seed = SeedTree.Of(Seed)["conrad"]["flows"][member]["shuffle"].Seed };

    /// <summary>Boosting parameters: scikit-learn's leaf-wise HistGradientBoosting with the configured limits.</summary>
    public BoostingParameters BoostingParameters() =>
        Classifier.Parameters(FastAD.Trees.BoostingParameters.ScikitLearn, SeedTree.Of(Seed)["conrad"]["classifier"]["boosting"].Seed);
}

/// <summary>The background template CONRAD's flow learns.</summary>
public enum ConradTemplate
{
    /// <summary>The data-driven γ+jets rows of the input (<c>is_template</c> = 1).</summary>
    [JsonStringEnumMemberName("gamma")] Gamma,
    /// <summary>A fresh Z(νν)+jets sample from the generator: perfect simulation.</summary>
    [JsonStringEnumMemberName("znunu")] Znunu,
}
