using System.Globalization;
using FastAD.Kernels.Random;

namespace FastAD.Data;

/// <summary>Element type of an <see cref="EventTable"/> column.</summary>
public enum ColumnType
{
    /// <summary><c>float[]</c>.</summary>
    Float32,
    /// <summary><c>double[]</c>.</summary>
    Float64,
    /// <summary><c>int[]</c>.</summary>
    Int32,
    /// <summary><c>long[]</c>.</summary>
    Int64,
    /// <summary><c>string[]</c> (labels such as a selection name; not usable as numbers).</summary>
    Text,
}

/// <summary>What to do with NaN and ±infinity in numeric columns.</summary>
public enum NonFinitePolicy
{
    /// <summary>Leave them in place.</summary>
    Keep,
    /// <summary>Reject the table with an error naming the column and the first bad row.</summary>
    Error,
    /// <summary>Drop every row that has a non-finite value in a checked column (the count is reported).</summary>
    Drop,
}

/// <summary>
/// An immutable table of equally long named columns (<c>float[]</c>, <c>double[]</c>, <c>int[]</c>,
/// <c>long[]</c>, <c>string[]</c>). Row operations (selection, take, concatenation, random split,
/// bootstrap, shuffle) return new tables; randomness comes from the Philox4x32 counter-based generator,
/// so a seed gives the same rows on every machine. The table keeps the arrays it is given without copying:
/// callers must not modify them afterwards. <see cref="View{T}"/> exposes a column without copying.
/// </summary>
public sealed class EventTable
{
    // Philox stream ids for the row operations, so that one seed drives independent streams.
    private const ulong SplitStream = 0x5350_4C49, BootstrapStream = 0x424F_4F54, ShuffleStream = 0x5348_5546;

    private readonly string[] _names;
    private readonly Array[] _columns;
    private readonly Dictionary<string, int> _index;

    /// <summary>
    /// Builds a table. Every array must be <c>float[]</c>, <c>double[]</c>, <c>int[]</c>, <c>long[]</c> or
    /// <c>string[]</c>; all must have the same length and names must be non-empty and unique.
    /// </summary>
    public EventTable(IEnumerable<KeyValuePair<string, Array>> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var names = new List<string>();
        var arrays = new List<Array>();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, values) in columns)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"Column {names.Count + 1} has an empty name.");
            if (values is null) throw new ArgumentException($"Column '{name}' has no values (null).");
            TypeOfArray(values, name);
            if (!_index.TryAdd(name, names.Count)) throw new ArgumentException($"Column '{name}' appears twice.");
            if (arrays.Count > 0 && values.Length != arrays[0].Length)
                throw new ArgumentException(
                    $"Column '{name}' has {values.Length} rows but column '{names[0]}' has {arrays[0].Length}; all columns must have the same length.");
            names.Add(name);
            arrays.Add(values);
        }
        _names = names.ToArray();
        _columns = arrays.ToArray();
        RowCount = _columns.Length == 0 ? 0 : _columns[0].Length;
    }

    /// <summary>Builds a table from (name, values) pairs; see the constructor for the rules.</summary>
    public static EventTable FromColumns(params (string Name, Array Values)[] columns)
        => new(columns.Select(c => new KeyValuePair<string, Array>(c.Name, c.Values)));

    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    /// <summary>Where the table came from (a file path), used in messages; null when built in memory. Row operations keep it.</summary>
    public string? Source { get; private init; }

    /// <summary>The same columns (not copied) with <see cref="Source"/> set.</summary>
    public EventTable WithSource(string? source) => new(Pairs()) { Source = source, _sourceLines = _sourceLines };

    // File line of each row when the table was read from delimited text (kept through row operations), for messages.
    private int[]? _sourceLines;

    internal EventTable WithSourceLines(int[] lines) => new(Pairs()) { Source = Source, _sourceLines = lines };

    /// <summary>Where a row came from, for messages: <c>line N</c> for rows read from delimited text, else <c>row N</c> (1-based).</summary>
    public string Locate(int row) => _sourceLines is null ? $"row {row + 1}" : $"line {_sourceLines[row]}";

    private IEnumerable<KeyValuePair<string, Array>> Pairs() => _names.Select((n, c) => new KeyValuePair<string, Array>(n, _columns[c]));

    private EventTable Derived(IEnumerable<KeyValuePair<string, Array>> columns) => new(columns) { Source = Source, _sourceLines = _sourceLines };

    /// <summary>Column names in order.</summary>
    public IReadOnlyList<string> ColumnNames => _names;

    /// <summary>Whether a column exists.</summary>
    public bool Has(string name) => _index.ContainsKey(name);

    /// <summary>The element type of a column.</summary>
    public ColumnType TypeOf(string name) => TypeOfArray(_columns[IndexOf(name)], name);

    /// <summary>The underlying array of a column (do not modify it).</summary>
    public Array Column(string name) => _columns[IndexOf(name)];

    /// <summary>The position of a column, or an error that lists the columns that exist.</summary>
    public int IndexOf(string name)
    {
        if (_index.TryGetValue(name, out int i)) return i;
        string columns = _names.Length == 0 ? "(none)" : string.Join(", ", _names);
        throw new ArgumentException(Source is null ? $"No column '{name}'; columns are: {columns}." : $"{Source} has no column '{name}'; columns are: {columns}.");
    }

    /// <summary>A numeric column as a new <c>double[]</c> the caller owns (text columns are an error).</summary>
    public double[] GetDouble(string name)
    {
        var result = new double[RowCount];
        switch (_columns[IndexOf(name)])
        {
            case double[] d: d.CopyTo(result, 0); break;
            case float[] f: for (int i = 0; i < f.Length; i++) result[i] = f[i]; break;
            case int[] n: for (int i = 0; i < n.Length; i++) result[i] = n[i]; break;
            case long[] l: for (int i = 0; i < l.Length; i++) result[i] = l[i]; break;
            case string[] text: throw NotNumbers(name, text);
            default: throw new ArgumentException($"Column '{name}' holds text, not numbers.");
        }
        return result;
    }

    /// <summary>
    /// The error for a text column asked for as numbers: the file, the line (or row) and the first cell that is not a
    /// number, with a hint when it is a number written with a decimal comma.
    /// </summary>
    private ArgumentException NotNumbers(string name, string[] text)
    {
        int i = 0;
        while (i < text.Length && (text[i].Length == 0 || DelimitedTable.TryParseNumber(text[i], out _))) i++;
        if (i == text.Length)
            return new ArgumentException($"{(Source is null ? "" : Source + ": ")}column '{name}' holds text, not numbers.");
        string where = Source is null ? $"{Locate(i)}, column '{name}'" : $"{Source}, {Locate(i)}, column '{name}'";
        string hint = DelimitedTable.DecimalCommaHint(text[i]);
        return new ArgumentException($"{where}: '{text[i]}' is not a number{(hint.Length > 0 ? hint : " (the column holds text)")}.");
    }

    /// <summary>A column as text: text columns as they are, numbers in invariant round-trip form.</summary>
    public string[] GetStrings(string name) => _columns[IndexOf(name)] switch
    {
        string[] s => (string[])s.Clone(),
        double[] d => d.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray(),
        float[] f => f.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray(),
        int[] n => n.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(),
        long[] l => l.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>
    /// A column without copying. <typeparamref name="T"/> must be the column's element type
    /// (<c>float</c>, <c>double</c>, <c>int</c>, <c>long</c> or <c>string</c>); use <see cref="GetDouble"/> to convert.
    /// </summary>
    public ReadOnlySpan<T> View<T>(string name)
    {
        var array = _columns[IndexOf(name)];
        if (array is T[] typed) return typed;
        throw new ArgumentException(
            $"Column '{name}' is {TypeOfArray(array, name)}, not {typeof(T).Name}; use GetDouble to convert.");
    }

    /// <summary>Rows where <paramref name="mask"/> is true (the mask must have one entry per row).</summary>
    public EventTable Select(ReadOnlySpan<bool> mask)
    {
        if (mask.Length != RowCount)
            throw new ArgumentException($"Selection mask has {mask.Length} entries; the table has {RowCount} rows.");
        var rows = new List<int>();
        for (int i = 0; i < mask.Length; i++) if (mask[i]) rows.Add(i);
        return TakeUnchecked(rows.ToArray());
    }

    /// <summary>The given rows, in the given order (repeats allowed).</summary>
    public EventTable Take(ReadOnlySpan<int> rows)
    {
        foreach (int r in rows)
            if ((uint)r >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {r} is outside 0..{RowCount - 1}.");
        return TakeUnchecked(rows.ToArray());
    }

    private EventTable TakeUnchecked(int[] rows)
    {
        var columns = new KeyValuePair<string, Array>[_names.Length];
        for (int c = 0; c < _names.Length; c++) columns[c] = new(_names[c], Gather(_columns[c], rows));
        return new EventTable(columns) { Source = Source, _sourceLines = _sourceLines is null ? null : Gather(_sourceLines, rows) };
    }

    private static Array Gather(Array source, int[] rows) => source switch
    {
        double[] d => Gather(d, rows),
        float[] f => Gather(f, rows),
        int[] n => Gather(n, rows),
        long[] l => Gather(l, rows),
        string[] s => Gather(s, rows),
        _ => throw new InvalidOperationException(),
    };

    private static T[] Gather<T>(T[] source, int[] rows)
    {
        var result = new T[rows.Length];
        for (int i = 0; i < rows.Length; i++) result[i] = source[rows[i]];
        return result;
    }

    /// <summary>Rows whose numeric value in <paramref name="column"/> satisfies <paramref name="predicate"/>.</summary>
    public EventTable Where(string column, Func<double, bool> predicate)
    {
        var values = GetDouble(column);
        var mask = new bool[RowCount];
        for (int i = 0; i < mask.Length; i++) mask[i] = predicate(values[i]);
        return Select(mask);
    }

    /// <summary>
    /// Rows whose cells equal the given values, as the CLI's <c>--where selection=os_cathode,fpr=1</c> asks:
    /// numeric columns compare numerically (so <c>1</c> matches <c>1.0</c>), text columns exactly.
    /// </summary>
    public bool[] Matches(IReadOnlyDictionary<string, string> equals)
    {
        var mask = new bool[RowCount];
        Array.Fill(mask, true);
        foreach (var (column, value) in equals)
        {
            if (TypeOf(column) == ColumnType.Text)
            {
                var cells = (string[])_columns[IndexOf(column)];
                for (int i = 0; i < mask.Length; i++) mask[i] &= string.Equals(cells[i], value, StringComparison.Ordinal);
                continue;
            }
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double target))
                throw new ArgumentException($"Filter {column}={value}: column '{column}' is numeric but '{value}' is not a number.");
            var numbers = GetDouble(column);
            for (int i = 0; i < mask.Length; i++) mask[i] &= numbers[i] == target;
        }
        return mask;
    }

    /// <summary>The rows matching every <c>column=value</c> filter (see <see cref="Matches"/>).</summary>
    public EventTable WhereEquals(IReadOnlyDictionary<string, string> equals) => Select(Matches(equals));

    /// <summary>Only the named columns, in the given order.</summary>
    public EventTable SelectColumns(IEnumerable<string> names)
        => Derived(names.Select(n => new KeyValuePair<string, Array>(n, _columns[IndexOf(n)])).ToList());

    /// <summary>
    /// Tables stacked row-wise. Every table must have the same column names with the same types
    /// (order may differ; the first table's order is kept).
    /// </summary>
    public static EventTable Concat(params EventTable[] tables)
    {
        if (tables is null || tables.Length == 0) throw new ArgumentException("Concat needs at least one table.");
        var first = tables[0];
        for (int t = 1; t < tables.Length; t++)
        {
            var other = tables[t];
            var missing = first._names.Where(n => !other.Has(n)).Concat(other._names.Where(n => !first.Has(n))).ToList();
            if (missing.Count > 0)
                throw new ArgumentException(
                    $"Cannot concatenate: table {t + 1} has columns [{string.Join(", ", other._names)}], table 1 has [{string.Join(", ", first._names)}].");
            foreach (var n in first._names)
                if (first.TypeOf(n) != other.TypeOf(n))
                    throw new ArgumentException($"Cannot concatenate: column '{n}' is {first.TypeOf(n)} in table 1 and {other.TypeOf(n)} in table {t + 1}.");
        }
        var columns = first._names.Select(n => new KeyValuePair<string, Array>(n, ConcatColumn(tables.Select(t => t.Column(n)).ToArray())));
        return new EventTable(columns) { Source = first.Source };
    }

    internal static Array ConcatColumn(Array[] parts)
    {
        var result = Array.CreateInstance(parts[0].GetType().GetElementType()!, parts.Sum(p => p.Length));
        int offset = 0;
        foreach (var p in parts)
        {
            Array.Copy(p, 0, result, offset, p.Length);
            offset += p.Length;
        }
        return result;
    }

    /// <summary>
    /// A random partition: <c>round(firstFraction · RowCount)</c> rows go to the first table, the rest to the
    /// second; each part keeps the original row order. The same seed gives the same partition.
    /// </summary>
    public (EventTable First, EventTable Second) Split(double firstFraction, ulong seed)
    {
        if (!(firstFraction >= 0 && firstFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(firstFraction), $"Split fraction must be in [0, 1], got {firstFraction}.");
        var perm = Permutation(RowCount, seed, SplitStream);
        int n = (int)Math.Round(firstFraction * RowCount, MidpointRounding.AwayFromZero);
        var a = perm[..n];
        var b = perm[n..];
        Array.Sort(a);
        Array.Sort(b);
        return (TakeUnchecked(a), TakeUnchecked(b));
    }

    /// <summary>Rows drawn uniformly with replacement (<paramref name="rows"/> of them, default <see cref="RowCount"/>).</summary>
    public EventTable Bootstrap(ulong seed, int? rows = null)
    {
        int n = rows ?? RowCount;
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"Bootstrap size must be non-negative, got {n}.");
        if (n > 0 && RowCount == 0) throw new InvalidOperationException("Cannot bootstrap an empty table.");
        var u = new double[n];
        Philox4x32.FillUniform(u, seed, BootstrapStream);
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = Math.Min((int)(u[i] * RowCount), RowCount - 1);
        return TakeUnchecked(idx);
    }

    /// <summary>All rows in a random order (Fisher–Yates driven by Philox).</summary>
    public EventTable Shuffle(ulong seed) => TakeUnchecked(Permutation(RowCount, seed, ShuffleStream));

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher–Yates on Philox doubles).</summary>
    public static int[] Permutation(int n, ulong seed, ulong stream)
    {
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        if (n < 2) return perm;
        var u = new double[n - 1];
        Philox4x32.FillUniform(u, seed, stream);
        for (int i = n - 1; i > 0; i--)
        {
            int j = Math.Min((int)(u[n - 1 - i] * (i + 1)), i);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        return perm;
    }

    /// <summary>A table with a column added (or replaced, keeping its position).</summary>
    public EventTable WithColumn(string name, Array values)
    {
        var columns = _names.Select((n, c) => new KeyValuePair<string, Array>(n, n == name ? values : _columns[c])).ToList();
        if (!Has(name)) columns.Add(new(name, values));
        return Derived(columns);
    }

    /// <summary>A table without the named column.</summary>
    public EventTable WithoutColumn(string name)
    {
        int drop = IndexOf(name);
        return Derived(Pairs().Where((_, c) => c != drop));
    }

    /// <summary>Row-major <c>RowCount × columns.Count</c> matrix of the named numeric columns.</summary>
    public double[] Matrix(IReadOnlyList<string> columns)
    {
        int d = columns.Count;
        var result = new double[(long)RowCount * d];
        for (int c = 0; c < d; c++)
        {
            var col = GetDouble(columns[c]);
            for (int i = 0; i < col.Length; i++) result[(long)i * d + c] = col[i];
        }
        return result;
    }

    /// <summary>
    /// Applies a NaN/infinity policy to the numeric columns (all of them, or only <paramref name="columns"/>).
    /// <see cref="NonFinitePolicy.Error"/> names the column, row and <paramref name="source"/>;
    /// <see cref="NonFinitePolicy.Drop"/> removes the affected rows and returns how many in <paramref name="dropped"/>.
    /// </summary>
    public EventTable ApplyNonFinitePolicy(NonFinitePolicy policy, string source, out int dropped, IReadOnlyList<string>? columns = null)
    {
        dropped = 0;
        if (policy == NonFinitePolicy.Keep) return this;
        var check = columns ?? _names.Where(n => TypeOf(n) is ColumnType.Float32 or ColumnType.Float64).ToArray();
        var keep = new bool[RowCount];
        Array.Fill(keep, true);
        foreach (var name in check)
        {
            var type = TypeOf(name);
            if (type is ColumnType.Int32 or ColumnType.Int64) continue;
            var values = GetDouble(name);
            for (int i = 0; i < values.Length; i++)
            {
                if (double.IsFinite(values[i])) continue;
                if (policy == NonFinitePolicy.Error)
                    throw new InvalidDataException(
                        $"{source}, column '{name}', {Locate(i)}: value {values[i].ToString(CultureInfo.InvariantCulture)} is not finite (use the drop policy to discard such rows).");
                keep[i] = false;
            }
        }
        dropped = keep.Count(k => !k);
        return dropped == 0 ? this : Select(keep);
    }

    internal static ColumnType TypeOfArray(Array values, string name) => values switch
    {
        float[] => ColumnType.Float32,
        double[] => ColumnType.Float64,
        int[] => ColumnType.Int32,
        long[] => ColumnType.Int64,
        string[] => ColumnType.Text,
        _ => throw new ArgumentException(
            $"Column '{name}' is {values.GetType().Name}; supported are float[], double[], int[], long[] and string[]."),
    };
}
