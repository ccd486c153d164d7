namespace FastAD.Analyses.Conrad;

/// <summary>One trained flow of the ensemble.</summary>
/// <param name="Member">Index in the ensemble.</param>
/// <param name="BestEpoch">Epoch whose parameters were kept (lowest validation loss).</param>
/// <param name="ValidationLoss">Its validation loss (mean −log p in standardised units).</param>
/// <param name="TrainLoss">Training loss per epoch.</param>
/// <param name="ValidationLosses">Validation loss per epoch.</param>
public sealed record ConradFlowSummary(int Member, int BestEpoch, double ValidationLoss, double[] TrainLoss, double[] ValidationLosses);

/// <summary>A classifier ensemble that was trained.</summary>
/// <param name="Name">realistic (injection k), supervised, idealised-x, idealised-z.</param>
/// <param name="Description">What it separates.</param>
/// <param name="Models">Models in all.</param>
/// <param name="MeanTrees">Mean boosting iterations kept (early stopping).</param>
/// <param name="TrainingRows">Rows each model saw (training + validation), mean.</param>
public sealed record ConradClassifierSummary(string Name, string Description, int Models, double MeanTrees, double TrainingRows);

/// <summary>A SIC curve (truth labels, signal-region events) of one classifier.</summary>
/// <param name="Name">Classifier.</param>
/// <param name="BackgroundEfficiency">ε_B at the grid points.</param>
/// <param name="SignalEfficiency">ε_S there.</param>
/// <param name="Sic">ε_S / √ε_B.</param>
/// <param name="MaxSic">Largest SIC on the grid (ε_B ≥ statistics.fpr_lowest) where at least ConradAnalysis.MinSicBackground signal-region background events pass.</param>
/// <param name="MaxSicBackgroundEfficiency">Where.</param>
/// <param name="Auc">Area under the ROC curve.</param>
public sealed record ConradSic(string Name, double[] BackgroundEfficiency, double[] SignalEfficiency, double[] Sic, double MaxSic, double MaxSicBackgroundEfficiency, double Auc);

/// <summary>ABCD at one working point. A = SR &amp; pass, B = SR &amp; fail, C = control &amp; pass, D = control &amp; fail.</summary>
/// <param name="TargetFpr">Requested fraction of control-region events passing.</param>
/// <param name="Cut">Score threshold.</param>
/// <param name="Fpr">Achieved fraction N_C / (N_C + N_D).</param>
/// <param name="NA">Events in A.</param>
/// <param name="NB">Events in B.</param>
/// <param name="NC">Events in C.</param>
/// <param name="ND">Events in D.</param>
/// <param name="Predicted">N_A,pred = N_B N_C / N_D.</param>
/// <param name="PredictedError">Its Poisson uncertainty (B, C, D).</param>
/// <param name="RatioAllEvents">N_A,pred / N_A over all events in A, signal included (NaN when A is empty): the only closure ratio real data without truth allows.</param>
/// <param name="RatioAllEventsError">Poisson uncertainty of that ratio expected under closure: √(1/N_A,pred + 1/N_B + 1/N_C + 1/N_D).</param>
/// <param name="SignalA">Truth signal events in A (NaN without truth).</param>
/// <param name="BackgroundA">Truth background events in A.</param>
/// <param name="SOverSqrtB">S_A / √B_A (truth; B_A floored at one event, so that a cut passing signal only stays finite).</param>
/// <param name="ObservedZ">(N_A − N_A,pred) / √(N_A,pred + σ_pred²): the data-driven excess.</param>
/// <param name="Ratio">The paper's closure ratio (Eq. 9), r = N_A,pred / N_A,bg against the true background in A (NaN without truth or with no background in A).</param>
/// <param name="RatioPredictionError">Poisson uncertainty of the prediction on r: σ_pred / N_A,bg (the error bar on r).</param>
/// <param name="RatioBackgroundError">Poisson uncertainty of N_A,bg around r = 1: 1 / √N_A,bg (the band).</param>
public sealed record ConradWorkingPoint(double TargetFpr, double Cut, double Fpr, int NA, int NB, int NC, int ND, double Predicted, double PredictedError,
    double RatioAllEvents, double RatioAllEventsError, double SignalA, double BackgroundA, double SOverSqrtB, double ObservedZ,
    double Ratio, double RatioPredictionError, double RatioBackgroundError);

/// <summary>The realistic CONRAD pipeline on the data with <paramref name="Injected"/> signal events.</summary>
/// <param name="Injected">Signal events in the data (−1 when the data has no truth column).</param>
/// <param name="Events">Data events.</param>
/// <param name="SrSignal">Truth signal events in the SR.</param>
/// <param name="SrBackground">Truth background events in the SR (all SR events without truth).</param>
/// <param name="SOverSqrtBNoCut">S/√B in the SR before any cut.</param>
/// <param name="Points">The FPR scan.</param>
public sealed record ConradInjection(int Injected, int Events, double SrSignal, double SrBackground, double SOverSqrtBNoCut, ConradWorkingPoint[] Points);

/// <summary>The numbers quoted in the summary.</summary>
/// <param name="MaxSic">Max SIC per classifier on the data's own signal-region events.</param>
/// <param name="WorstClosurePull">Largest |r − 1| / σ_r over the FPR scan without signal (NaN when not run; all events in A are background there, so both ratios agree).</param>
/// <param name="SOverSqrtB">S/√B (truth) of the full data at each working point, after the cut; first entry: no cut.</param>
/// <param name="ObservedZ">Data-driven excess of the full data at each working point.</param>
/// <param name="MaxSicTest">Max SIC per classifier on the independent test set (empty without one).</param>
public sealed record ConradHeadline(Dictionary<string, double> MaxSic, double WorstClosurePull, double[] SOverSqrtB, double[] ObservedZ, Dictionary<string, double> MaxSicTest);

/// <summary>Everything a CONRAD run computed (results.json).</summary>
/// <param name="Version">FastAD version.</param>
/// <param name="Device">Device id.</param>
/// <param name="Input">Where the events came from.</param>
/// <param name="Preset">Preset the config started from.</param>
/// <param name="Config">The configuration used.</param>
/// <param name="DataEvents">Data events above the trigger.</param>
/// <param name="DataSr">Of which in the SR.</param>
/// <param name="TemplateEvents">Template events above the trigger.</param>
/// <param name="Flows">The flow ensemble.</param>
/// <param name="LatentMean">Mean of the data latents per dimension (0 for a perfect background model without signal).</param>
/// <param name="LatentStd">Their standard deviation (1 likewise).</param>
/// <param name="Classifiers">The classifier ensembles trained.</param>
/// <param name="Sic">SIC curves on the data's own signal-region events (empty without truth).</param>
/// <param name="TestSic">SIC curves on the independent test set (empty without one).</param>
/// <param name="TestSet">What the independent test set is, or why there is none.</param>
/// <param name="Injections">The realistic pipeline per injected signal, ascending; the last is the full data.</param>
/// <param name="Headline">Summary numbers.</param>
/// <param name="Seconds">Wall time per stage.</param>
public sealed record ConradResults(string Version, string Device, string Input, string Preset, ConradConfig Config, int DataEvents, int DataSr, int TemplateEvents,
    ConradFlowSummary[] Flows, double[] LatentMean, double[] LatentStd, ConradClassifierSummary[] Classifiers, ConradSic[] Sic, ConradSic[] TestSic, string TestSet, ConradInjection[] Injections,
    ConradHeadline Headline, Dictionary<string, double> Seconds);
