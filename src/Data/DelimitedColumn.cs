using System.Globalization;

namespace FastAD.Data;

/// <summary>
/// One column of delimited text typed as its cells arrive, in row order (the rule of <see cref="DelimitedTable.ToEventTable"/>):
/// the first non-empty cell decides. A number makes the column numeric: every later cell must be a number too (the
/// error names file, line and column), empty cells are NaN, and integers that all fit stay <c>int[]</c> (else
/// <c>long[]</c> when all are integers, else <c>double[]</c>). Anything else makes it text. Values go straight into one
/// growing array of the column's type, so reading a file holds its columns, not its lines.
/// </summary>
internal sealed class DelimitedColumn(string name, string source)
{
    private enum Kind { Undecided, Text, Integers, Reals }

    private Kind _kind;
    private int _count, _empties; // cells so far; leading empty cells before the first value
    private string _first = "";
    private Chunks<long> _longs = new();
    private Chunks<double> _doubles = new();
    private readonly List<string> _text = [];

    /// <summary>Adds the next cell (unquoted, blanks trimmed) of file line <paramref name="line"/>; <paramref name="text"/> makes a text cell's string.</summary>
    public void Add(ReadOnlySpan<char> cell, int line, Func<ReadOnlySpan<char>, string> text)
    {
        _count++;
        switch (_kind)
        {
            case Kind.Undecided when cell.IsEmpty:
                _empties++;
                return;
            case Kind.Undecided when !DelimitedTable.TryParseNumber(cell, out _):
                _kind = Kind.Text;
                for (int i = 0; i < _empties; i++) _text.Add("");
                _text.Add(text(cell));
                return;
            case Kind.Undecided:
                _first = cell.ToString();
                _kind = Kind.Integers;
                if (_empties > 0) ToReals();
                for (int i = 0; i < _empties; i++) Push(double.NaN);
                AddNumber(cell, line);
                return;
            case Kind.Text:
                _text.Add(text(cell));
                return;
            default:
                AddNumber(cell, line);
                return;
        }
    }

    private void AddNumber(ReadOnlySpan<char> cell, int line)
    {
        if (cell.IsEmpty)
        {
            ToReals();
            Push(double.NaN);
            return;
        }
        if (_kind == Kind.Integers && IsIntegerLiteral(cell) && long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            _longs.Add(l);
            return;
        }
        if (!DelimitedTable.TryParseNumber(cell, out double v))
            throw new FormatException(DelimitedTable.DecimalCommaHint(cell) is { Length: > 0 } hint
                ? $"{source}, line {line}, column '{name}': '{cell}' is not a number{hint}."
                : $"{source}, line {line}, column '{name}': '{cell}' is not a number (the column's first value, '{_first}', is).");
        ToReals();
        Push(v);
    }

    /// <summary>The integers so far become doubles: an empty cell or a number that is not an integer arrived.</summary>
    private void ToReals()
    {
        if (_kind == Kind.Reals) return;
        _kind = Kind.Reals;
        foreach (long l in _longs.ToArray()) _doubles.Add(l);
        _longs = new();
    }

    private void Push(double v)
    {
        _doubles.Add(v);
    }

    /// <summary>
    /// Values in blocks of 8192 (64 KiB, below the large-object heap), joined once at the end: growing one array by
    /// doubling would leave up to twice the column as large-object garbage and over-allocate by up to half.
    /// </summary>
    private sealed class Chunks<T>
    {
        private const int Block = 8192;
        private readonly List<T[]> _blocks = [];
        private int _last = Block;

        public void Add(T value)
        {
            if (_last == Block)
            {
                _blocks.Add(new T[Block]);
                _last = 0;
            }
            _blocks[^1][_last++] = value;
        }

        public T[] ToArray()
        {
            var result = new T[_blocks.Count == 0 ? 0 : (_blocks.Count - 1) * Block + _last];
            for (int b = 0; b < _blocks.Count; b++)
                _blocks[b].AsSpan(0, b == _blocks.Count - 1 ? _last : Block).CopyTo(result.AsSpan(b * Block));
            _blocks.Clear();
            return result;
        }
    }

    private static bool IsIntegerLiteral(ReadOnlySpan<char> cell)
    {
        foreach (char ch in cell) if (!char.IsAsciiDigit(ch) && ch is not ('-' or '+')) return false;
        return true;
    }

    /// <summary>The typed column (an all-empty column is numeric: NaN).</summary>
    public Array Build()
    {
        switch (_kind)
        {
            case Kind.Text: return _text.ToArray();
            case Kind.Undecided:
                var nan = new double[_count];
                Array.Fill(nan, double.NaN);
                return nan;
            case Kind.Integers:
                {
                    var longs = _longs.ToArray();
                    bool fits = true;
                    foreach (long l in longs) fits &= l is >= int.MinValue and <= int.MaxValue;
                    if (!fits) return longs;
                    var ints = new int[longs.Length];
                    for (int i = 0; i < ints.Length; i++) ints[i] = (int)longs[i];
                    return ints;
                }
            default: return _doubles.ToArray();
        }
    }
}
