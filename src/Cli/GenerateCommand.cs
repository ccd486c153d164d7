using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAD.Data;
using FastAD.Data.Synthetic;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad generate</c>: deterministic synthetic samples for the three analyses.</summary>
internal static class GenerateCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var kind = new Argument<string>("kind") { Description = "dimuon, conrad or multilepton." };
        var output = new Option<string>("--out", "-o") { Description = "Output file; the extension picks the format (.csv, .tsv, .npy, .npz, .feather, .arrow).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Philox seed: the same seed writes the same bytes.", DefaultValueFactory = _ => 1 };
        var events = new Option<int?>("--events") { Description = "Events (dimuon: total, with --range the background; conrad, multilepton: background per sample). Default: the published size." };
        var fraction = new Option<double?>("--signal-fraction") { Description = "Signal fraction (dimuon OS 97/12332, SS 0; conrad 1200/700000; multilepton 0.025 by default)." };
        var channel = new Option<string?>("--channel") { Description = "dimuon only: OS (default) or SS." };
        var signal = new Option<string?>("--signal") { Description = "conrad: 3prong (default) or 2prong; multilepton: m_A = 125 (default), 150 or 250." };
        var range = new Option<string?>("--range") { Description = "dimuon only: LO:HI in GeV for the scan spectrum (SPEC 5; smooth background + J/psi, psi(2S), Upsilon(1S-3S)), e.g. 2:20. Without it: the 5-16 GeV CATHODE sample." };
        var noResonances = new Option<bool>("--no-resonances") { Description = "dimuon --range only: background only (no resonances)." };
        var inject = ScanInputs.InjectOption();
        var cmd = new Command("generate", "Write a deterministic synthetic sample (SPEC 1, 2, 3, 5; docs/DATA.md) with truth columns.")
        {
            kind, output, seed, events, fraction, channel, signal, range, noResonances, inject,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            string what = parse.GetValue(kind)!.Trim().ToLowerInvariant();
            string path = parse.GetValue(output)!;
            ulong s = parse.GetValue(seed);
            int? n = parse.GetValue(events);
            double? f = parse.GetValue(fraction);
            string? ch = parse.GetValue(channel);
            string? sig = parse.GetValue(signal);
            if (ch is not null && what != "dimuon") throw new ArgumentException($"--channel applies to dimuon only (got it with {what}).");
            if (sig is not null && what == "dimuon") throw new ArgumentException("--signal applies to conrad and multilepton; the dimuon signal is always the Υ(1S, 2S, 3S).");
            var scan = ScanInputs.GeneratorOptions(parse.GetValue(range), parse.GetValue(noResonances), parse.GetValue(inject), s, n);
            if (scan is not null && what != "dimuon") throw new ArgumentException($"--range, --no-resonances and --inject apply to dimuon only (got them with {what}).");
            if (scan is not null && (ch is not null || f is not null))
                throw new ArgumentException("--channel and --signal-fraction apply to the 5-16 GeV dimuon sample, not to the --range scan spectrum (use --no-resonances or --inject).");
            // Fail on the format before spending time on generation.
            EventTableIO.FormatOf(path);
            var sw = Stopwatch.StartNew();
            EventTable table = what switch
            {
                "dimuon" when scan is not null => DimuonScanGenerator.Generate(scan),
                "dimuon" => DimuonGenerator.Generate(new DimuonOptions(ParseChannel(ch), n, f, s)),
                "conrad" => ConradGenerator.Generate(new ConradOptions(n, f, ParseConradSignal(sig), s)),
                "multilepton" => MultileptonGenerator.Generate(new MultileptonOptions(n, f, ParseMassA(sig), s)),
                _ => throw new ArgumentException($"generate: unknown kind '{what}'; expected dimuon, conrad or multilepton."),
            };
            double seconds = sw.Elapsed.TotalSeconds;
            EventTableIO.Write(table, path);
            int signalRows = table.View<int>("is_signal").ToArray().Sum();
            console.MarkupLineInterpolated($"{what}: {table.RowCount:N0} rows ({signalRows:N0} signal), columns {string.Join(", ", table.ColumnNames)}; generated in {seconds.ToString("F2", CultureInfo.InvariantCulture)} s, written to {path}");
            return 0;
        }));
        return cmd;
    }

    private static DimuonChannel ParseChannel(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "OS" => DimuonChannel.OS,
        "SS" => DimuonChannel.SS,
        _ => throw new ArgumentException($"--channel must be OS or SS (got '{value}')."),
    };

    private static ConradSignal ParseConradSignal(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "3prong" or "3" => ConradSignal.ThreeProng,
        "2prong" or "2" => ConradSignal.TwoProng,
        _ => throw new ArgumentException($"--signal for conrad must be 3prong or 2prong (got '{value}')."),
    };

    private static double ParseMassA(string? value)
    {
        if (value is null) return 125;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double m) && MultileptonGenerator.SignalMassPoints.Contains(m)) return m;
        throw new ArgumentException($"--signal for multilepton must be m_A = 125, 150 or 250 (got '{value}').");
    }
}
