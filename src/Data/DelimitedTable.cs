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
    private static bool TryParseNumber(string cell, out double value)
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
