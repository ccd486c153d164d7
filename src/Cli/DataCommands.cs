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

    /// <summary>The options that say how to read a file and what to add to it: --key, --names (HDF5) and --derive.</summary>
    private sealed class ReadingOptions
    {
        internal Option<string?> Key { get; } = new("--key") { Description = "HDF5: the group or dataset to read when the file holds several (e.g. df, events/jets)." };
        internal Option<string?> Names { get; } = new("--names") { Description = "HDF5: names for the columns of a 2-D dataset that has none (comma-separated)." };
        internal Option<string[]> Derive { get; } = new("--derive")
        {
            Description = "Add a computed column, NAME=EXPRESSION (repeatable; in order), e.g. \"mjj=mass(pxj1,pyj1,pzj1,mj1,pxj2,pyj2,pzj2,mj2)/1000\" (grammar: docs/DATA.md).",
        };

        internal IEnumerable<Option> All => [Key, Names, Derive];

        internal ReadOptions For(ParseResult parse, string policy) => new(ParsePolicy(policy), AllowEmpty: true, Key: parse.GetValue(Key),
            Names: parse.GetValue(Names)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static NonFinitePolicy ParsePolicy(string value) => value.ToLowerInvariant() switch
    {
        "keep" => NonFinitePolicy.Keep,
        "error" => NonFinitePolicy.Error,
        "drop" => NonFinitePolicy.Drop,
        _ => throw new ArgumentException($"--nan expects keep, error or drop (got '{value}')."),
    };

    /// <summary>
    /// Reads a file (the file is opened once, so a pipe works), applies the NaN policy, adds the --derive columns and
    /// applies the --where selection, and says what was dropped and which format it was.
    /// </summary>
    private static EventTable Load(IAnsiConsole console, ParseResult parse, ReadingOptions reading, string path, string policy, string? where,
        out EventTableIO.Format format)
    {
        var table = EventTableIO.Read(path, reading.For(parse, policy), out int dropped, out format);
        if (dropped > 0) FastAdCommand.Errors(console).MarkupLineInterpolated($"[yellow]warning:[/] {path}: dropped {dropped:N0} rows with NaN or infinite values");
        if (parse.GetValue(reading.Derive) is { Length: > 0 } derive) table = DerivedColumns.Apply(table, derive, path);
        var filters = StatsCommands.ParseWhere(where);
        return filters.Count == 0 ? table : table.WhereEquals(filters);
    }

    internal static Command Inspect(IAnsiConsole console)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "Data file: .csv/.tsv/.txt, .npy, .npz, .feather/.arrow/.ipc, .h5/.hdf5, .parquet (format from the magic bytes or extension).",
        };
        var where = WhereOption();
        var nan = NonFiniteOption("keep");
        var reading = new ReadingOptions();
        var cmd = new Command("inspect", "Columns, types, row count and summary statistics (min, max, mean, std, NaN count) of a data file.")
        {
            file, where, nan,
        };
        foreach (var o in reading.All) cmd.Options.Add(o);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            string path = parse.GetValue(file)!;
            string? filter = parse.GetValue(where);
            var table = Load(console, parse, reading, path, parse.GetValue(nan)!, filter, out var detected);
            string format = detected switch
            {
                EventTableIO.Format.Npy => "NumPy .npy",
                EventTableIO.Format.Npz => "NumPy .npz",
                EventTableIO.Format.Arrow => "Arrow IPC / Feather v2",
                EventTableIO.Format.Hdf5 => "HDF5",
                EventTableIO.Format.Parquet => "Parquet",
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
        var output = new Argument<string>("OUTPUT") { Description = "File to write; the format comes from its extension (.csv, .tsv, .npy, .npz, .feather, .arrow, .parquet)." };
        var where = WhereOption();
        var columns = new Option<string?>("--columns") { Description = "Keep only these columns, in this order (comma-separated)." };
        var nan = NonFiniteOption("keep");
        var reading = new ReadingOptions();
        var cmd = new Command("convert", "Re-save a data file in another format, optionally selecting rows and columns and adding derived ones (written atomically).")
        {
            input, output, where, columns, nan,
        };
        foreach (var o in reading.All) cmd.Options.Add(o);
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            var table = Load(console, parse, reading, parse.GetValue(input)!, parse.GetValue(nan)!, parse.GetValue(where), out _);
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
