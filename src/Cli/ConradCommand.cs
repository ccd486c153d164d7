using System.CommandLine;
using System.Globalization;
using FastAD.Analyses;
using FastAD.Analyses.Conrad;
using FastAD.Data.Synthetic;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad conrad</c>: the CONRAD non-resonant anomaly detection of SPEC 2 with its report.</summary>
internal sealed class ConradCommand() : AnalysisCommand<ConradConfig, (ConradResults Results, ConradAnalysis.State State)>("conrad",
    "The CONRAD analysis of SPEC 2: conditional RQS flow on the template, latent map, HGB ensemble against normal samples, ABCD closure with MET, SIC and S/√B; writes a report.",
    "Event table (CSV, .npy/.npz, Feather, HDF5, Parquet) with MET, m_J, tau21, tau32, is_template (1: template rows) and optionally is_signal.",
    "Run on generated data (the built-in CONRAD generator; seeded by --seed).",
    "paper (the published configuration) or quick (a demo of about a minute).",
    "Output folder (results.json, CSV tables, SVG figures, report.md, trained models).",
    "Reuse the flows and classifiers saved in --out that were trained from the same inputs (others are retrained).")
{
    private readonly Option<string?> _template = new("--template") { Description = "Background template: gamma (the γ+jets rows, data-driven) or znunu (a generated Z(νν)+jets sample)." };
    private readonly Option<string?> _signal = new("--signal") { Description = "Generated signal: 3prong or 2prong." };
    private readonly Option<int?> _folds = new("--folds") { Description = "Data folds of the classifiers (overrides classifier.folds; 2 = the paper's halves, the default)." };
    private readonly Option<string?> _test = new("--test")
    {
        Description = "Independent labelled test set (event table with MET, the features and is_signal) on which the SICs are measured; " +
                      "with --generate it replaces the generated one."
    };

    internal static Command Create(IAnsiConsole console) => new ConradCommand().Build(console);

    protected override Option[] Specific => [_template, _signal, _folds, _test];

    protected override void Apply(ParseResult parse, ConradConfig c)
    {
        if (parse.GetValue(_template) is { } t) c.Template = EnumText.Parse<ConradTemplate>(t, "--template");
        if (parse.GetValue(_signal) is { } sg) c.Signal = EnumText.Parse<ConradSignal>(sg, "--signal");
        if (parse.GetValue(_folds) is { } k)
        {
            if (k < 2) throw new ArgumentException($"--folds must be at least 2 (got {k}; 2 = the paper's data halves).");
            c.Classifier.Folds = k;
        }
    }

    protected override Prepared Prepare(ParseResult parse, ConradConfig c, string outDir)
    {
        string? dataFile = Options.DataFile(parse);
        string? testFile = parse.GetValue(_test);
        if (testFile is not null && !File.Exists(testFile)) throw new FileNotFoundException($"--test {testFile}: no such file; give an event table of labelled signal and background events.");
        // The test file is read first: a bad one is refused before anything is generated or trained.
        var test = testFile is null ? ((ConradSample, string)?)null : ConradData.LoadTest(testFile, c);
        if (test is not null) c.Generation.TestBackgroundEvents = 0;     // the file replaces the generated test set: don't generate one
        var input = dataFile is null ? ConradData.Generate(c) : ConradData.Load(dataFile, c);
        if (test is { } t) input = input with { Test = t.Item1, TestSet = t.Item2 };
        var request = new ConradRequest(c, input, outDir, parse.GetValue(Options.Preset)!, parse.GetValue(Reuse));
        return new Prepared(Title("CONRAD", $"on {input.Description}: {input.Data.Rows:N0} data events, {input.Template.Rows:N0} template events"),
            dev => ConradAnalysis.DevicePlan(c, dev), run => ConradAnalysis.Run(request, run));
    }

    protected override string KeptOnInterrupt(string outDir) =>
        $"the models finished so far are kept in {Path.Combine(outDir, "models")}; run again with --reuse to continue from them.";

    protected override int Write(string outDir, (ConradResults Results, ConradAnalysis.State State) r) => ConradReport.Write(outDir, r.Results, r.State).Count;

    protected override void PrintHeadline(IAnsiConsole console, (ConradResults Results, ConradAnalysis.State State) r, double seconds) => PrintHeadline(console, r.Results, seconds);

    private static string F(double v, int digits = 2) => AnalysisRunner.Number(v, digits);

    private static void PrintHeadline(IAnsiConsole console, ConradResults r, double seconds)
    {
        var h = r.Headline;
        var (table, Row) = AnalysisRunner.HeadlineTable();
        foreach (var (name, sic) in h.MaxSicTest) Row($"max SIC ({name}, independent test set)", F(sic));
        foreach (var (name, sic) in h.MaxSic) Row($"max SIC ({name}, data's SR)", F(sic));
        Row("worst closure pull without signal", F(h.WorstClosurePull));
        Row("S/√B before the cut", F(h.SOverSqrtB[0]));
        for (int k = 0; k < r.Config.Statistics.WorkingPoints.Count; k++)
        {
            string f = r.Config.Statistics.WorkingPoints[k].ToString("G3", CultureInfo.InvariantCulture);
            Row($"S/√B at FPR {f}", F(h.SOverSqrtB[k + 1]));
            Row($"observed excess at FPR {f} (σ)", F(h.ObservedZ[k + 1]));
        }
        Row("wall time", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({r.Preset} preset; " +
                         string.Join(", ", r.Seconds.Select(kv => $"{kv.Key} {kv.Value.ToString("F1", CultureInfo.InvariantCulture)} s")) + ")");
        console.Write(table);
    }
}
