using System.CommandLine;
using System.Globalization;
using FastAD.Data;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad inspect</c> and <c>fastad convert</c>: look at and re-save data files.</summary>
internal static class DataCommands
{
    private static Option<string?> WhereOption() => new("--where") { Description = "Row selection, e.g. selection=os_cathode,fpr=1 (text compared exactly, numbers numerically)." };

    private static Option<string> NonFiniteOption(string defaultValue) => new("--nan")
    {
        Description = "NaN/infinity policy for floating-point columns: keep, error, or drop (drop reports how many rows went).",
        DefaultValueFactory = _ => defaultValue,
    };

    private static NonFinitePolicy ParsePolicy(string value) => value.ToLowerInvariant() switch
    {
        "keep" => NonFinitePolicy.Keep,
        "error" => NonFinitePolicy.Error,
        "drop" => NonFinitePolicy.Drop,
        _ => throw new ArgumentException($"--nan expects keep, error or drop (got '{value}')."),
    };

    /// <summary>Reads a file, applies the NaN policy and the --where selection, and says what was dropped.</summary>
    private static EventTable Load(IAnsiConsole console, string path, string policy, string? where) => Load(console, path, policy, where, out _);

    /// <summary><see cref="Load(IAnsiConsole, string, string, string?)"/>, saying the format (the file is opened once, so a pipe works).</summary>
    private static EventTable Load(IAnsiConsole console, string path, string policy, string? where, out EventTableIO.Format format)
    {
        var table = EventTableIO.Read(path, new ReadOptions(ParsePolicy(policy), AllowEmpty: true), out int dropped, out format);
        if (dropped > 0) FastAdCommand.Errors(console).MarkupLineInterpolated($"[yellow]warning:[/] {path}: dropped {dropped:N0} rows with NaN or infinite values");
        var filters = StatsCommands.ParseWhere(where);
        return filters.Count == 0 ? table : table.WhereEquals(filters);
    }

    internal static Command Inspect(IAnsiConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "Data file: .csv/.tsv/.txt, .npy, .npz, .feather/.arrow/.ipc (format from the magic bytes or extension)." };
        var where = WhereOption();
        var nan = NonFiniteOption("keep");
        var cmd = new Command("inspect", "Columns, types, row count and summary statistics (min, max, mean, std, NaN count) of a data file.")
        {
            file, where, nan,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            string path = parse.GetValue(file)!;
            string? filter = parse.GetValue(where);
            var table = Load(console, path, parse.GetValue(nan)!, filter, out var detected);
            string format = detected switch
            {
                EventTableIO.Format.Npy => "NumPy .npy",
                EventTableIO.Format.Npz => "NumPy .npz",
                EventTableIO.Format.Arrow => "Arrow IPC / Feather v2",
                _ => "delimited text",
            };
            console.MarkupLineInterpolated(
                $"[bold]{path}[/] ({format}): [bold]{table.RowCount:N0}[/] rows{(filter is null ? "" : $" matching {filter}")}, {table.ColumnNames.Count} columns");
            var grid = new Table().Border(TableBorder.Rounded).AddColumns("column", "type", "rows", "NaN", "±inf", "min", "max", "mean", "std");
            foreach (var s in ColumnSummary.Of(table))
            {
                if (s.Type == ColumnType.Text)
                {
                    var top = string.Join(", ", s.Distinct.Take(4).Select(d => $"{d.Value} ({d.Count:N0})")) + (s.Distinct.Count > 4 ? ", ..." : "");
                    grid.AddRow(Markup.Escape(s.Name), "text", N(s.Count), "", "", $"[grey]{s.Distinct.Count} distinct: {Markup.Escape(top)}[/]", "", "", "");
                    continue;
                }
                grid.AddRow(Markup.Escape(s.Name), TypeName(s.Type), N(s.Count), N(s.NaNCount), N(s.InfinityCount), G(s.Min), G(s.Max), G(s.Mean), G(s.Std));
            }
            console.Write(grid);
            return 0;
        }));
        return cmd;
    }

    internal static Command Convert(IAnsiConsole console)
    {
        var input = new Argument<string>("INPUT") { Description = "Data file to read (any supported format)." };
        var output = new Argument<string>("OUTPUT") { Description = "File to write; the format comes from its extension (.csv, .tsv, .npy, .npz, .feather, .arrow)." };
        var where = WhereOption();
        var columns = new Option<string?>("--columns") { Description = "Keep only these columns, in this order (comma-separated)." };
        var nan = NonFiniteOption("keep");
        var cmd = new Command("convert", "Re-save a data file in another format, optionally selecting rows and columns (written atomically).")
        {
            input, output, where, columns, nan,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var table = Load(console, parse.GetValue(input)!, parse.GetValue(nan)!, parse.GetValue(where));
            if (parse.GetValue(columns) is { } list)
                table = table.SelectColumns(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            string path = parse.GetValue(output)!;
            EventTableIO.Write(table, path);
            console.MarkupLineInterpolated($"wrote [bold]{table.RowCount:N0}[/] rows × {table.ColumnNames.Count} columns to [bold]{path}[/]");
            return 0;
        }));
        return cmd;
    }

    private static string TypeName(ColumnType type) => type switch
    {
        ColumnType.Float32 => "float32",
        ColumnType.Float64 => "float64",
        ColumnType.Int32 => "int32",
        ColumnType.Int64 => "int64",
        _ => "text",
    };

    private static string N(int v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string G(double v) => double.IsNaN(v) ? "-" : v.ToString("G6", CultureInfo.InvariantCulture);
}
