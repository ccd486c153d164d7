using System.Globalization;

namespace FastAD.Data;

/// <summary>
/// A delimited text table (CSV/TSV): a header line of column names, then rows. The delimiter (comma,
/// tab or semicolon) is detected from the header; blank lines and lines starting with '#' are skipped.
/// Cells stay text until a column is asked for as numbers, when every cell must parse (the error names
/// the file, line and column). Rows are kept as their line with the cell boundaries, so numeric columns
/// parse from spans without a string per cell. <see cref="ReadEventTable"/> (what <see cref="EventTableIO"/> uses) keeps
/// no lines: it types the columns as it reads (<see cref="DelimitedColumn"/>).
/// </summary>
public sealed class DelimitedTable
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string> _rows;
    private readonly List<int> _lines;
    // Start of every cell of every row plus one past the row's end: row r, cell c spans
    // [_starts[r*(n+1)+c], _starts[r*(n+1)+c+1] - 1).
    private readonly List<int> _starts;

    private DelimitedTable(string source, string[] columns, List<string> rows, List<int> lines, List<int> starts)
    {
        Source = source;
        Columns = columns;
        _rows = rows;
        _lines = lines;
        _starts = starts;
        _index = IndexOf(columns, source);
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
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        return Read(reader, path);
    }

    /// <summary>Reads UTF-8 (or byte-order-marked) text from a stream, which may be a pipe; the stream is left open.</summary>
    public static DelimitedTable Read(Stream stream, string source)
    {
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        return Read(reader, source);
    }

    /// <summary>Reads from a text reader.</summary>
    public static DelimitedTable Read(TextReader reader, string source)
    {
        var rows = new List<string>();
        var lines = new List<int>();
        var starts = new List<int>();
        var header = Scan(reader, source, starts, (line, lineNo, _) =>
        {
            rows.Add(line);
            lines.Add(lineNo);
        });
        return new DelimitedTable(source, header, rows, lines, starts);
    }

    /// <summary>
    /// Reads UTF-8 (or byte-order-marked) text from a stream straight into a typed <see cref="EventTable"/> (the rule of
    /// <see cref="ToEventTable"/>), one line at a time: each cell goes into its column's array as it is read, so the table
    /// holds its columns and not its lines (<see cref="Read(Stream, string)"/> keeps every line for the cell API).
    /// </summary>
    public static EventTable ReadEventTable(Stream stream, string source)
    {
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        DelimitedColumn[]? columns = null;
        var lines = new List<int>();
        var starts = new List<int>();
        var header = Scan(reader, source, starts, (line, lineNo, names) =>
        {
            columns ??= names.Select(n => new DelimitedColumn(n, source)).ToArray();
            for (int c = 0; c < columns.Length; c++) columns[c].Add(Unquote(line.AsSpan(starts[c], starts[c + 1] - 1 - starts[c])), lineNo, Unescape);
            lines.Add(lineNo);
            starts.Clear();
        });
        columns ??= header.Select(n => new DelimitedColumn(n, source)).ToArray();
        return Build(header, columns, lines.ToArray());
    }

    /// <summary>
    /// Reads the header and hands every data line to <paramref name="row"/> (with its file line number and the header)
    /// after appending its cell starts to <paramref name="starts"/>: blank and '#' lines skipped, the delimiter detected
    /// from the header, a row with the wrong number of cells an error naming the line.
    /// </summary>
    private static string[] Scan(TextReader reader, string source, List<int> starts, Action<string, int, string[]> row)
    {
        string? line;
        int lineNo = 0;
        string[]? header = null;
        char delimiter = ',';
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
            if (header is null)
            {
                if (line.Contains('\0')) throw new InvalidDataException($"{source} is not a text table (binary content on line {lineNo}).");
                delimiter = line.Contains('\t') ? '\t' : line.Count(c => c == ';') > line.Count(c => c == ',') ? ';' : ',';
                var bounds = new List<int>();
                int count = CellStarts(line, delimiter, bounds, source, lineNo);
                header = Enumerable.Range(0, count).Select(c => Unescape(Unquote(line.AsSpan(bounds[c], bounds[c + 1] - 1 - bounds[c])))).ToArray();
                IndexOf(header, source);
                continue;
            }
            int cells = CellStarts(line, delimiter, starts, source, lineNo);
            if (cells != header.Length)
                throw new InvalidDataException($"{source}, line {lineNo}: {cells} cells, the header has {header.Length} columns" +
                                               (delimiter == ',' && cells > header.Length && LooksLikeDecimalCommas(line) ? " (decimal commas? use a point, or ';' between cells)." : "."));
            row(line, lineNo, header);
        }
        if (header is null) throw new InvalidDataException($"{source} is empty: expected a header line of column names.");
        return header;
    }

    /// <summary>Column name → position; a name twice is an error naming the file.</summary>
    private static Dictionary<string, int> IndexOf(string[] columns, string source)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Length; i++)
            if (!index.TryAdd(columns[i], i))
                throw new InvalidDataException($"{source}: column '{columns[i]}' appears twice in the header.");
        return index;
    }

    /// <summary>The index of a column, or an error listing the columns that exist.</summary>
    public int IndexOf(string column)
    {
        if (_index.TryGetValue(column, out int i)) return i;
        throw new KeyNotFoundException($"{Source} has no column '{column}'; columns are: {string.Join(", ", Columns)}.");
    }

    /// <summary>
    /// Appends the start of every cell of <paramref name="line"/> and one past its end to <paramref name="starts"/>;
    /// returns the number of cells. Delimiters inside double quotes do not split (RFC 4180 quoting, on one line).
    /// </summary>
    private static int CellStarts(string line, char delimiter, List<int> starts, string source, int lineNo)
    {
        int cells = 1;
        starts.Add(0);
        if (!line.Contains('"'))
        {
            for (int at = line.IndexOf(delimiter); at >= 0; at = line.IndexOf(delimiter, at + 1))
            {
                starts.Add(at + 1);
                cells++;
            }
        }
        else
        {
            bool quoted = false;
            for (int i = 0; i < line.Length; i++)
            {
                if (line[i] == '"') quoted = !quoted; // a doubled quote toggles twice
                else if (line[i] == delimiter && !quoted)
                {
                    starts.Add(i + 1);
                    cells++;
                }
            }
            if (quoted) throw new InvalidDataException($"{source}, line {lineNo}: a quoted cell is not closed (cells spanning lines are not supported).");
        }
        starts.Add(line.Length + 1);
        return cells;
    }

    /// <summary>A cell without surrounding blanks and, when quoted, without its quotes (doubled quotes inside stay doubled).</summary>
    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> cell)
    {
        cell = cell.Trim();
        return cell.Length >= 2 && cell[0] == '"' && cell[^1] == '"' ? cell[1..^1] : cell;
    }

    private static string Unescape(ReadOnlySpan<char> cell) => cell.Contains("\"\"", StringComparison.Ordinal) ? cell.ToString().Replace("\"\"", "\"") : new string(cell);

    /// <summary>Cell (row, column) without surrounding blanks and quotes.</summary>
    private ReadOnlySpan<char> Cell(int row, int column)
    {
        int k = row * (Columns.Count + 1) + column;
        int start = _starts[k];
        return Unquote(_rows[row].AsSpan(start, _starts[k + 1] - 1 - start));
    }

    /// <summary>A column as text (quoted cells unquoted, doubled quotes undoubled).</summary>
    public string[] GetStrings(string column)
    {
        int c = IndexOf(column);
        var result = new string[_rows.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Unescape(Cell(i, c));
        return result;
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
            if (!TryParseNumber(Cell(i, c), out result[i]))
                throw new FormatException($"{Source}, line {_lines[i]}, column '{column}': '{Cell(i, c)}' is not a number{DecimalCommaHint(Cell(i, c))}.");
        return result;
    }

    /// <summary>
    /// " (decimal comma? use a point)" when <paramref name="cell"/> would be a number with its comma(s) read as a decimal
    /// point ("3,52", "-1,5e3"), else "": numbers in files are read in the invariant culture.
    /// </summary>
    internal static string DecimalCommaHint(ReadOnlySpan<char> cell)
    {
        if (cell.IndexOf(',') < 0 || cell.Count(',') != 1) return "";
        Span<char> point = stackalloc char[cell.Length];
        cell.CopyTo(point);
        point[point.IndexOf(',')] = '.';
        return double.TryParse(point, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? " (decimal comma? use a point)" : "";
    }

    /// <summary>Whether a line with too many cells looks like numbers with decimal commas: digits around a comma and no point anywhere.</summary>
    private static bool LooksLikeDecimalCommas(string line)
    {
        if (line.Contains('.')) return false;
        for (int i = line.IndexOf(','); i > 0 && i + 1 < line.Length; i = line.IndexOf(',', i + 1))
            if (char.IsAsciiDigit(line[i - 1]) && char.IsAsciiDigit(line[i + 1])) return true;
        return false;
    }

    /// <summary>Invariant-culture numbers, plus the spellings numpy and pandas write: nan, inf, -inf (any case).</summary>
    internal static bool TryParseNumber(ReadOnlySpan<char> cell, out double value)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        const StringComparison Any = StringComparison.OrdinalIgnoreCase;
        if (cell.Equals("inf", Any) || cell.Equals("+inf", Any)) value = double.PositiveInfinity;
        else if (cell.Equals("-inf", Any)) value = double.NegativeInfinity;
        else if (cell.Equals("nan", Any) || cell.Equals("-nan", Any)) value = double.NaN;
        else return false;
        return true;
    }

    /// <summary>
    /// The table with typed columns. A column whose first non-empty cell is a number is numeric: every
    /// other cell must then be a number too (the error names file, line and column), empty cells become NaN,
    /// and a column of integers that all fit is <see cref="ColumnType.Int32"/> (else <see cref="ColumnType.Int64"/>
    /// when all are integers, else <see cref="ColumnType.Float64"/>). Any other column is text.
    /// </summary>
    public EventTable ToEventTable()
    {
        var columns = Columns.Select(n => new DelimitedColumn(n, Source)).ToArray();
        for (int i = 0; i < _rows.Count; i++)
            for (int c = 0; c < columns.Length; c++) columns[c].Add(Cell(i, c), _lines[i], Unescape);
        return Build(Columns, columns, _lines.ToArray());
    }

    private static EventTable Build(IReadOnlyList<string> names, DelimitedColumn[] columns, int[] lines) =>
        new EventTable(names.Select((n, c) => new KeyValuePair<string, Array>(n, columns[c].Build()))).WithSourceLines(lines);

    /// <summary>
    /// Writes a table as delimited text: a header, then one line per row, numbers in invariant round-trip form
    /// (<c>nan</c>, <c>inf</c>, <c>-inf</c> for non-finite values). Names and text cells holding the delimiter,
    /// a quote, a leading '#' or surrounding blanks are quoted (RFC 4180); line breaks cannot be written.
    /// </summary>
    public static void Write(EventTable table, Stream stream, char delimiter = ',')
    {
        string Checked(string cell, string what)
        {
            if (cell.IndexOfAny(['\n', '\r']) >= 0)
                throw new ArgumentException($"Cannot write {what} '{cell}' as delimited text: it contains a line break.");
            bool quote = cell.IndexOfAny([delimiter, '"']) >= 0 || cell.StartsWith('#') || (cell.Length > 0 && (char.IsWhiteSpace(cell[0]) || char.IsWhiteSpace(cell[^1])));
            return quote ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;
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

    /// <summary>The file line of a data row (for messages).</summary>
    public int LineOf(int row) => _lines[row];
}
