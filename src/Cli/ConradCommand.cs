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

    internal static Command Create(IAnsiConsole console) => new ConradCommand().Build(console);

    protected override Option[] Specific => [_template, _signal];

    protected override void Apply(ParseResult parse, ConradConfig c)
    {
        if (parse.GetValue(_template) is { } t) c.Template = EnumText.Parse<ConradTemplate>(t, "--template");
        if (parse.GetValue(_signal) is { } sg) c.Signal = EnumText.Parse<ConradSignal>(sg, "--signal");
    }

    protected override Prepared Prepare(ParseResult parse, ConradConfig c, string outDir)
    {
        string? dataFile = Options.DataFile(parse);
        var input = dataFile is null ? ConradData.Generate(c) : ConradData.Load(dataFile, c);
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
        foreach (var (name, sic) in h.MaxSic) Row($"max SIC ({name})", F(sic));
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
