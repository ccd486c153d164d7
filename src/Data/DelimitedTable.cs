using System.Globalization;

namespace FastAD.Data;

/// <summary>
/// A delimited text table (CSV/TSV): a header line of column names, then rows. The delimiter (comma,
/// tab or semicolon) is detected from the header; blank lines and lines starting with '#' are skipped.
/// Cells stay text until a column is asked for as numbers, when every cell must parse (the error names
/// the file, line and column).
/// </summary>
public sealed class DelimitedTable
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string[]> _rows;
    private readonly List<int> _lines;

    private DelimitedTable(string source, string[] columns, List<string[]> rows, List<int> lines)
    {
        Source = source;
        Columns = columns;
        _rows = rows;
        _lines = lines;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Length; i++)
            if (!_index.TryAdd(columns[i], i))
                throw new InvalidDataException($"{source}: column '{columns[i]}' appears twice in the header.");
    }

    /// <summary>Where the table came from (for messages).</summary>
    public string Source { get; }
    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Reads a file. Missing files and malformed rows raise errors that name the file and line.</summary>
    public static DelimitedTable Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"File not found: {path}", path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads from a text reader.</summary>
    public static DelimitedTable Read(TextReader reader, string source)
    {
        string? line;
        int lineNo = 0;
        string[]? header = null;
        char delimiter = ',';
        var rows = new List<string[]>();
        var lines = new List<int>();
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
            if (header is null)
            {
                if (line.Contains('\0')) throw new InvalidDataException($"{source} is not a text table (binary content on line {lineNo}).");
                delimiter = line.Contains('\t') ? '\t' : line.Count(c => c == ';') > line.Count(c => c == ',') ? ';' : ',';
                header = line.Split(delimiter).Select(h => h.Trim().Trim('"')).ToArray();
                continue;
            }
            var cells = line.Split(delimiter);
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{source}, line {lineNo}: {cells.Length} cells, the header has {header.Length} columns.");
            rows.Add(cells);
            lines.Add(lineNo);
        }
        if (header is null) throw new InvalidDataException($"{source} is empty: expected a header line of column names.");
        return new DelimitedTable(source, header, rows, lines);
    }

    /// <summary>The index of a column, or an error listing the columns that exist.</summary>
    public int IndexOf(string column)
    {
        if (_index.TryGetValue(column, out int i)) return i;
        throw new KeyNotFoundException($"{Source} has no column '{column}'; columns are: {string.Join(", ", Columns)}.");
    }

    /// <summary>A column as text.</summary>
    public string[] GetStrings(string column)
    {
        int c = IndexOf(column);
        return _rows.Select(r => r[c].Trim().Trim('"')).ToArray();
    }

    /// <summary>
    /// A column as doubles. Non-numeric cells are errors naming file, line and column; non-finite values
    /// (nan, inf) parse and are left for the caller's policy.
    /// </summary>
    public double[] GetDoubles(string column)
    {
        int c = IndexOf(column);
        var result = new double[_rows.Count];
        for (int i = 0; i < _rows.Count; i++)
        {
            string cell = _rows[i][c].Trim().Trim('"');
            if (!TryParseNumber(cell, out result[i]))
                throw new FormatException($"{Source}, line {_lines[i]}, column '{column}': '{cell}' is not a number.");
        }
        return result;
    }

    /// <summary>Invariant-culture numbers, plus the spellings numpy and pandas write: nan, inf, -inf (any case).</summary>
    internal static bool TryParseNumber(string cell, out double value)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        switch (cell.ToLowerInvariant())
        {
            case "inf" or "+inf": value = double.PositiveInfinity; return true;
            case "-inf": value = double.NegativeInfinity; return true;
            case "nan" or "-nan": value = double.NaN; return true;
            default: return false;
        }
    }

    /// <summary>
    /// The table with typed columns. A column whose first non-empty cell is a number is numeric: every
    /// other cell must then be a number too (the error names file, line and column), empty cells become NaN,
    /// and a column of integers that all fit is <see cref="ColumnType.Int32"/> (else <see cref="ColumnType.Int64"/>
    /// when all are integers, else <see cref="ColumnType.Float64"/>). Any other column is text.
    /// </summary>
    public EventTable ToEventTable()
    {
        var columns = new KeyValuePair<string, Array>[Columns.Count];
        for (int c = 0; c < Columns.Count; c++)
        {
            string name = Columns[c];
            var cells = GetStrings(name);
            var first = cells.FirstOrDefault(s => s.Length > 0);
            if (first is not null && !TryParseNumber(first, out _))
            {
                columns[c] = new(name, cells);
                continue;
            }
            var values = new double[cells.Length];
            bool integral = first is not null;
            for (int i = 0; i < cells.Length; i++)
            {
                if (cells[i].Length == 0) { values[i] = double.NaN; integral = false; continue; }
                if (!TryParseNumber(cells[i], out values[i]))
                    throw new FormatException($"{Source}, line {_lines[i]}, column '{name}': '{cells[i]}' is not a number (the column's first value, '{first}', is).");
                if (integral) integral = IsIntegerLiteral(cells[i]);
            }
            columns[c] = new(name, integral ? Integers(cells) : values);
        }
        return new EventTable(columns);
    }

    /// <summary>
    /// Writes a table as delimited text: a header, then one line per row, numbers in invariant round-trip form
    /// (<c>nan</c>, <c>inf</c>, <c>-inf</c> for non-finite values). Names and text cells may not contain the
    /// delimiter, quotes or line breaks (this reader does not unquote them).
    /// </summary>
    public static void Write(EventTable table, Stream stream, char delimiter = ',')
    {
        string Checked(string cell, string what)
        {
            if (cell.IndexOfAny([delimiter, '"', '\n', '\r']) >= 0 || (cell.StartsWith('#') && what == "column name"))
                throw new ArgumentException($"Cannot write {what} '{cell}' as delimited text: it contains the delimiter, a quote or a line break.");
            return cell;
        }
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine(string.Join(delimiter, table.ColumnNames.Select(n => Checked(n, "column name"))));
        var columns = table.ColumnNames.Select(n => table.TypeOf(n) == ColumnType.Text
            ? ((string[])table.Column(n)).Select(c => Checked(c, $"text in column '{n}'")).ToArray()
            : null).ToArray();
        var cells = new string[columns.Length];
        for (int i = 0; i < table.RowCount; i++)
        {
            for (int c = 0; c < cells.Length; c++)
                cells[c] = columns[c]?[i] ?? FormatCell(table.Column(table.ColumnNames[c]), i);
            writer.WriteLine(string.Join(delimiter, cells));
        }
    }

    private static string FormatCell(Array column, int i) => column switch
    {
        double[] d => FormatNumber(d[i], d[i].ToString("R", CultureInfo.InvariantCulture)),
        float[] f => FormatNumber(f[i], ((double)f[i]).ToString("R", CultureInfo.InvariantCulture)), // the exact double of the float
        int[] n => n[i].ToString(CultureInfo.InvariantCulture),
        long[] l => l[i].ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException(),
    };

    private static string FormatNumber(double v, string text) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : text;

    private static bool IsIntegerLiteral(string cell)
        => cell.All(c => char.IsAsciiDigit(c) || c is '-' or '+')
           && long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    private static Array Integers(string[] cells)
    {
        var longs = cells.Select(s => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();
        return longs.All(v => v is >= int.MinValue and <= int.MaxValue) ? longs.Select(v => (int)v).ToArray() : longs;
    }

    /// <summary>The file line of a data row (for messages).</summary>
    public int LineOf(int row) => _lines[row];

    /// <summary>Rows whose cells equal the given values (text comparison, or numeric when both parse).</summary>
    public bool[] Where(IReadOnlyDictionary<string, string> equals)
    {
        var mask = Enumerable.Repeat(true, _rows.Count).ToArray();
        foreach (var (column, value) in equals)
        {
            int c = IndexOf(column);
            bool numeric = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double target);
            for (int i = 0; i < _rows.Count; i++)
            {
                string cell = _rows[i][c].Trim().Trim('"');
                mask[i] &= numeric && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                    ? v == target
                    : string.Equals(cell, value, StringComparison.Ordinal);
            }
        }
        return mask;
    }
}
