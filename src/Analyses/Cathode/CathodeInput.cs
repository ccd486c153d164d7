using System.Globalization;
using FastAD.Data;
using FastAD.Data.Synthetic;

namespace FastAD.Analyses.Cathode;

/// <summary>Turns event tables into <see cref="CathodeChannelData"/>, with clear errors for missing columns and non-finite values.</summary>
public static class CathodeInput
{
    /// <summary>
    /// The mass, feature and (if present) truth columns of a table, after the <c>columns.derive</c> columns are added.
    /// Missing columns name what exists; a non-finite mass or feature names the row and column.
    /// </summary>
    public static CathodeChannelData FromTable(EventTable table, DimuonChannel channel, string source, CathodeConfig config)
    {
        var cols = config.Columns;
        table = cols.WithDerived(table, source);
        var needed = new[] { cols.Mass }.Concat(cols.Features).ToArray();
        var missing = needed.Where(n => !table.Has(n)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{source}: missing column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}; " +
                                           $"the CATHODE analysis needs {string.Join(", ", needed)} (the file has {string.Join(", ", table.ColumnNames)}). " +
                                           "Rename the columns or set columns.mass / columns.features in the config.");
        if (table.RowCount == 0) throw new InvalidDataException($"{source}: the table has no rows.");
        var mass = table.GetDouble(cols.Mass);
        int d = cols.Features.Count;
        var features = table.Matrix(cols.Features);
        for (int i = 0; i < mass.Length; i++)
        {
            if (!double.IsFinite(mass[i])) throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{cols.Mass}' is {mass[i]}; masses must be finite.");
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(features[i * d + j]))
                    throw new InvalidDataException($"{source}: {table.Locate(i)}, column '{cols.Features[j]}' is {features[i * d + j]}; features must be finite.");
        }
        for (int j = 0; j < d; j++) CheckSpread(features, d, j, cols.Features[j], source, table);
        double[]? truth = table.Has(cols.Truth) ? table.GetDouble(cols.Truth) : null;
        return new CathodeChannelData(channel, source, mass, features, cols.Features.ToArray(), truth);
    }

    /// <summary>
    /// A value farther than this many interquartile ranges from its column's median is refused. The SPEC 1.2 min–max
    /// scaling would squeeze every other event into a sliver of the range (one value of 1e300 left the analysis at its
    /// initial significance); the real CMS features reach at most 45 interquartile ranges from the median.
    /// </summary>
    public const double MaxInterquartileRanges = 1000;

    /// <summary>A constant feature and an absurd outlier are refused up front, naming the column (and the row).</summary>
    private static void CheckSpread(double[] features, int d, int j, string name, string source, EventTable table)
    {
        int n = features.Length / d;
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = features[i * d + j];
        Array.Sort(v);
        if (v[0] == v[^1])
            throw new InvalidDataException($"{source}: column '{name}' is constant ({v[0].ToString(CultureInfo.InvariantCulture)} in all {n:N0} events); " +
                                           "the CATHODE features must vary (drop it from columns.features).");
        double median = v[n / 2], iqr = v[(3 * n) / 4] - v[n / 4];
        if (!(iqr > 0)) return;
        for (int i = 0; i < n; i++)
        {
            double x = features[i * d + j], ranges = Math.Abs(x - median) / iqr;
            if (ranges > MaxInterquartileRanges)
                throw new InvalidDataException($"{source}, {table.Locate(i)}: column '{name}' is {x.ToString("G6", CultureInfo.InvariantCulture)}, " +
                                               $"{ranges.ToString("G3", CultureInfo.InvariantCulture)} interquartile ranges from the median {median.ToString("G4", CultureInfo.InvariantCulture)} " +
                                               $"(at most {MaxInterquartileRanges:N0} are accepted: such a value would squeeze every other event into a sliver of the SPEC 1.2 feature scaling). " +
                                               "Remove or correct the event.");
        }
    }
}
