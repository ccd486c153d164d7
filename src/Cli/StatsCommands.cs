using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FastAD.Analyses.BumpHunt;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad bumphunt</c> and <c>fastad toys</c>.</summary>
internal static class StatsCommands
{
    internal const string DefaultMasses = "data/cms-dimuon-2016h/cut_masses.csv";

    /// <summary>
    /// The built-in CMS spectrum wherever fastad runs from: the path as given when it exists (relative to the current
    /// folder), else the copy installed next to the fastad binary; a clear error otherwise.
    /// </summary>
    internal static string ResolveMasses(string path)
    {
        if (path != DefaultMasses || File.Exists(path)) return path;
        string installed = Path.Combine(AppContext.BaseDirectory, DefaultMasses);
        if (File.Exists(installed)) return installed;
        throw new FileNotFoundException($"The built-in CMS spectrum {DefaultMasses} is neither under the current folder ({Environment.CurrentDirectory}) " +
                                        $"nor next to fastad ({AppContext.BaseDirectory}); give --masses FILE (the repository's {DefaultMasses}).");
    }

    internal static Dictionary<string, string> ParseWhere(string? where)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(where)) return result;
        foreach (var part in where.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--where expects column=value pairs separated by commas, as in selection=os_cathode,fpr=1 (got '{part}').");
            result[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return result;
    }

    private static Option<int> DegreeOption() => new("--degree") { Description = "Polynomial degree of the background (1..9).", DefaultValueFactory = _ => 5 };
    private static Option<int> BinsOption() => new("--bins-sr") { Description = "SR bin boundaries (12 nominal; 8 and 16 are the variations).", DefaultValueFactory = _ => 12 };

    internal static Command BumpHunt(IAnsiConsole console)
    {
        var masses = new Option<string>("--masses") { Description = "Data file with a mass column: CSV/TSV, .npy, .npz, Feather, HDF5 or Parquet (docs/DATA.md).", Required = true };
        var column = new Option<string>("--column") { Description = "Mass column.", DefaultValueFactory = _ => "dimu_mass" };
        var where = new Option<string?>("--where") { Description = "Row selection, e.g. selection=os_cathode,fpr=1." };
        var weights = new Option<string?>("--weights") { Description = "Per-event weight column (scaled-Poisson likelihood)." };
        var degree = DegreeOption();
        var bins = BinsOption();
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file." };
        var device = FastAdCommand.DeviceOption();
        var cmd = new Command("bumphunt", "Profile-likelihood bump hunt of SPEC 1.6 on a mass spectrum: S, B, q0, Z, p.")
        {
            masses, column, where, weights, degree, bins, json, device,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            using var registry = DeviceRegistry.Discover();
            var d = registry.Select(parse.GetValue(device));
            var request = new BumpHuntRequest(parse.GetValue(masses)!, parse.GetValue(column)!, ParseWhere(parse.GetValue(where)),
                parse.GetValue(weights), parse.GetValue(degree), parse.GetValue(bins));
            var r = BumpHuntJob.Run(request, d);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("quantity", "value");
            void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
            Row("selection", $"{r.File} [{r.Selection}]");
            Row("events", $"{r.EventsSelected:N0} selected, {r.EventsIgnored:N0} outside the bins (ignored)");
            Row("N in SR", F(r.NSignalRegion, 2));
            Row("S", F(r.S, 2));
            Row("B", F(r.B, 2));
            Row("q0", F(r.Q0, 4));
            Row("Z", F(r.Z, 4));
            Row("p (one-sided)", r.P.ToString("E3", CultureInfo.InvariantCulture));
            Row("-2lnL0 / -2lnL1", $"{F(r.MinusTwoLnL0, 4)} / {F(r.MinusTwoLnL1, 4)}");
            Row("fit", $"degree {r.Degree}, {r.BinsSR} SR boundaries, {r.Status}, on {r.Device}");
            console.Write(table);
            if (parse.GetValue(json) is { } path) AtomicFile.WriteAllText(path, JsonSerializer.Serialize(r, JsonOptions) + "\n");
            return 0;
        }));
        return cmd;
    }

    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    internal static Command Toys(IAnsiConsole console)
    {
        var n = new Option<long>("--n") { Description = "Number of toys.", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<ulong>("--seed") { Description = "Philox seed.", DefaultValueFactory = _ => 1 };
        var masses = new Option<string>("--masses") { Description = "Spectrum whose background-only fit generates the toys.", DefaultValueFactory = _ => DefaultMasses };
        var where = new Option<string?>("--where") { Description = "Row selection of that spectrum.", DefaultValueFactory = _ => "selection=os_cathode,fpr=1" };
        var signal = new Option<double>("--signal") { Description = "Expected signal events injected in the SR (0 = null toys)." };
        var degree = DegreeOption();
        var bins = BinsOption();
        var device = FastAdCommand.DeviceOption();
        var cmd = new Command("toys", "Poisson pseudo-spectra fitted in batch: toys/s and the null calibration against ½δ(0) + ½χ²₁.")
        {
            n, seed, masses, where, signal, degree, bins, device,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            using var registry = DeviceRegistry.Discover();
            var d = registry.Select(parse.GetValue(device));
            var request = new ToyRequest(parse.GetValue(n), parse.GetValue(seed), ResolveMasses(parse.GetValue(masses)!), ParseWhere(parse.GetValue(where)),
                parse.GetValue(degree), parse.GetValue(bins), parse.GetValue(signal));
            // A progress bar (or log lines) with ETA, and Ctrl+C stops at the next batch of toys.
            if (!AnalysisRunner.TryRun(console, quiet: false, "no toys are saved; run again with a smaller --n for a quick answer.",
                    (progress, token) => ToyJob.Run(request, d, progress is null ? null
                        : new FastAD.Analyses.CallbackProgress<long>(done => progress.Report(new FastAD.Analyses.StageProgress("toys", done, request.Count))), token), out var r))
                return AnalysisRunner.Interrupted;
            console.MarkupLineInterpolated($"[bold]{r.Toys:N0}[/] toys on [bold]{r.Device}[/] in {r.Seconds:F2} s: [bold]{r.ToysPerSecond:N0} toys/s[/] (sideband fit per toy, plus the null fit when Ŝ ≥ 0); {r.Failed} not converged");
            console.MarkupLineInterpolated($"background: {r.Background}");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("quantity", "toys", "fraction", "± binomial", "asymptotic", "pull");
            foreach (var c in r.Calibration)
                table.AddRow(Markup.Escape(c.Quantity), c.Count.ToString("N0", CultureInfo.InvariantCulture), c.Fraction.ToString("F5", CultureInfo.InvariantCulture),
                    c.Error.ToString("F5", CultureInfo.InvariantCulture), c.Expected.ToString("F5", CultureInfo.InvariantCulture), c.Pull.ToString("F2", CultureInfo.InvariantCulture));
            console.Write(table);
            return r.Failed == 0 ? 0 : FastAdCommand.CheckFailed;
        }));
        return cmd;
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);
}
