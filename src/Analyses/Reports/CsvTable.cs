using System.Globalization;
using System.Text;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Reports;

/// <summary>
/// A table written as CSV (RFC 4180 quoting, "\n" line ends, invariant culture). Doubles use the shortest
/// round-trip form; NaN and ±∞ are written as <c>nan</c>, <c>inf</c>, <c>-inf</c> (what numpy and pandas read,
/// and what <c>FastAD.Data.DelimitedTable</c> parses); null cells are empty.
/// </summary>
public sealed class CsvTable
{
    private readonly List<string[]> _rows = [];

    /// <summary>A table with these column names.</summary>
    public CsvTable(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("A CSV table needs at least one column.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in columns)
            if (string.IsNullOrEmpty(c) || !seen.Add(c)) throw new ArgumentException($"CSV column names must be non-empty and distinct (got '{c}').");
        Columns = columns.ToArray();
    }

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>The formatted cells of a row.</summary>
    public IReadOnlyList<string> Row(int index) => _rows[index];

    /// <summary>Adds a row: one cell per column (numbers, strings, booleans, enums, null).</summary>
    public CsvTable AddRow(params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"CSV row has {cells.Length} cells but the table has {Columns.Count} columns ({string.Join(", ", Columns)}).");
        _rows.Add(cells.Select(Format).ToArray());
        return this;
    }

    /// <summary>Formats one cell value the way the table writes it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string FormatDouble(double d) =>
        double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf" : d.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    /// <summary>The CSV text: header line, then one line per row.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(Quote)).Append('\n');
        foreach (var row in _rows) sb.AppendJoin(',', row.Select(Quote)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes the table atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToString());
}
