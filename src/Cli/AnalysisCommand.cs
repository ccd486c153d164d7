using System.CommandLine;
using System.Diagnostics;
using FastAD.Analyses;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>
/// One analysis command (<c>fastad cathode</c>, <c>conrad</c>, <c>simad</c>): the shared options (<see cref="AnalysisOptions"/>
/// and --reuse), the configuration from preset, file and options (printed and done with --print-config), the output
/// folder's lock, the device, the summary line of where each stage computes, the run with progress and Ctrl+C, the
/// report and the headline table. An analysis supplies its own options, inputs, run, report and headline.
/// </summary>
/// <typeparam name="TConfig">The analysis's configuration.</typeparam>
/// <typeparam name="TResult">What its run returns to its report.</typeparam>
internal abstract class AnalysisCommand<TConfig, TResult> where TConfig : AnalysisConfig<TConfig>, new()
{
    /// <summary>What a prepared run shows and does.</summary>
    /// <param name="Title">The line shown before the run (Spectre markup, escaped).</param>
    /// <param name="Plan">The devices line: where each stage computes on the device (from the engines' seams).</param>
    /// <param name="Run">The run itself.</param>
    protected sealed record Prepared(string Title, Func<ComputeDevice, string> Plan,
        Func<RunContext, TResult> Run);

    protected AnalysisCommand(string name, string description, string dataHelp, string generateHelp, string presetHelp, string outputHelp, string reuseHelp)
    {
        Name = name;
        Description = description;
        Options = new AnalysisOptions(dataHelp, generateHelp, presetHelp, outputHelp, $"out/{name}");
        Reuse = new Option<bool>("--reuse") { Description = reuseHelp };
    }

    /// <summary>The command's name.</summary>
    protected string Name { get; }

    /// <summary>Its help text.</summary>
    protected string Description { get; }

    /// <summary>The options every analysis has.</summary>
    protected AnalysisOptions Options { get; }

    /// <summary>--reuse: saved models of the same inputs instead of retraining.</summary>
    protected Option<bool> Reuse { get; }

    /// <summary>The analysis's own options.</summary>
    protected virtual Option[] Specific => [];

    /// <summary>Applies the analysis's own options to the configuration (before it is validated).</summary>
    protected virtual void Apply(ParseResult parse, TConfig c) { }

    /// <summary>Reads or generates the input and returns the run.</summary>
    protected abstract Prepared Prepare(ParseResult parse, TConfig c, string outDir);

    /// <summary>What an interrupted run keeps, for the message after Ctrl+C.</summary>
    protected abstract string KeptOnInterrupt(string outDir);

    /// <summary>Writes the report; returns how many files were written.</summary>
    protected abstract int Write(string outDir, TResult result);

    /// <summary>Prints the headline table.</summary>
    protected abstract void PrintHeadline(IAnsiConsole console, TResult result, double seconds);

    /// <summary>Subcommands (<c>cathode pseudo</c>).</summary>
    protected virtual IEnumerable<Command> Subcommands(IAnsiConsole console) => [];

    /// <summary>The line shown before a run: the analysis in bold, then what it runs on (both escaped).</summary>
    protected static string Title(string analysis, string rest) => $"[bold]{Markup.Escape(analysis)}[/] {Markup.Escape(rest)}";

    /// <summary>The configuration of a parse: preset, --config, --seed and the analysis's options; null after --print-config printed it.</summary>
    protected TConfig? Configuration(ParseResult parse, IAnsiConsole console) =>
        Options.Configuration(parse, console, AnalysisConfig<TConfig>.Preset, AnalysisConfig<TConfig>.Load, (c, s) => c.Seed = s, c => Apply(parse, c),
            c => c.Validate(), AnalysisConfig<TConfig>.ToYaml);

    /// <summary>The command.</summary>
    internal Command Build(IAnsiConsole console)
    {
        var cmd = Options.With(new Command(Name, Description), [.. Specific, Reuse]);
        foreach (var sub in Subcommands(console)) cmd.Subcommands.Add(sub);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var c = Configuration(parse, console);
            if (c is null) return 0;
            string outDir = parse.GetValue(Options.Output)!;
            // One run per folder: a second one would mix its results and models with this one's.
            using var outLock = FastAdCommand.LockFolder(outDir);
            var prepared = Prepare(parse, c, outDir);
            using var registry = DeviceRegistry.Discover();
            var dev = registry.Select(parse.GetValue(Options.Device));
            bool quiet = parse.GetValue(Options.Quiet);
            if (!quiet)
            {
                console.MarkupLine(prepared.Title);
                console.MarkupLineInterpolated($"devices: {prepared.Plan(dev)}");
            }
            var store = new ModelStore(outDir, parse.GetValue(Reuse), Name);
            var sw = Stopwatch.StartNew();
            // Ctrl+C stops at the next epoch or stage; what was saved stays in --out.
            if (!AnalysisRunner.TryRun(console, quiet, KeptOnInterrupt(outDir),
                    (progress, token) => prepared.Run(new RunContext(dev, store, progress, token)), out var result))
                return AnalysisRunner.Interrupted;
            int written = Write(outDir, result);
            PrintHeadline(console, result, sw.Elapsed.TotalSeconds);
            AnalysisRunner.ReportLine(console, outDir, written);
            return 0;
        }));
        return cmd;
    }
}
