namespace FastAD.Data;

/// <summary>
/// Summary statistics of one column. For numeric columns, <see cref="Min"/>, <see cref="Max"/>,
/// <see cref="Mean"/> and <see cref="Std"/> (sample standard deviation, n − 1) are over the finite values
/// only (NaN when there are none, or fewer than two for the deviation); NaN and infinities are counted.
/// For text columns the distinct values are counted, most frequent first.
/// </summary>
/// <param name="Name">Column name.</param>
/// <param name="Type">Element type.</param>
/// <param name="Count">Number of rows.</param>
/// <param name="NaNCount">NaN values.</param>
/// <param name="InfinityCount">+∞ and −∞ values.</param>
/// <param name="Min">Smallest finite value.</param>
/// <param name="Max">Largest finite value.</param>
/// <param name="Mean">Mean of the finite values.</param>
/// <param name="Std">Sample standard deviation of the finite values.</param>
/// <param name="Distinct">Text columns: (value, count) pairs, most frequent first (ties by value); empty for numbers.</param>
public sealed record ColumnSummary(string Name, ColumnType Type, int Count, int NaNCount, int InfinityCount,
    double Min, double Max, double Mean, double Std, IReadOnlyList<(string Value, int Count)> Distinct)
{
    /// <summary>Summaries of every column of a table, in column order.</summary>
    public static IReadOnlyList<ColumnSummary> Of(EventTable table) => table.ColumnNames.Select(n => Of(table, n)).ToList();

    /// <summary>The summary of one column.</summary>
    public static ColumnSummary Of(EventTable table, string name)
    {
        var type = table.TypeOf(name);
        if (type == ColumnType.Text)
        {
            var distinct = table.View<string>(name).ToArray().GroupBy(s => s, StringComparer.Ordinal)
                .Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            return new ColumnSummary(name, type, table.RowCount, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN, distinct);
        }
        var values = table.GetDouble(name);
        int nan = 0, inf = 0;
        long n = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, mean = 0, m2 = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v)) { nan++; continue; }
            if (double.IsInfinity(v)) { inf++; continue; }
            n++;
            if (v < min) min = v;
            if (v > max) max = v;
            // Welford's update: stable for large offsets such as masses near 10 GeV with small spread.
            double delta = v - mean;
            mean += delta / n;
            m2 += delta * (v - mean);
        }
        return n == 0
            ? new ColumnSummary(name, type, values.Length, nan, inf, double.NaN, double.NaN, double.NaN, double.NaN, [])
            : new ColumnSummary(name, type, values.Length, nan, inf, min, max, mean, n > 1 ? Math.Sqrt(m2 / (n - 1)) : double.NaN, []);
    }
}
