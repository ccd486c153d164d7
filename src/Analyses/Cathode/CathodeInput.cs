using FastAD.Data;

namespace FastAD.Analyses.Cathode;

/// <summary>Turns event tables into <see cref="CathodeChannelData"/>, with clear errors for missing columns and non-finite values.</summary>
public static class CathodeInput
{
    /// <summary>
    /// The mass, feature and (if present) truth columns of a table. Missing columns name what exists; a
    /// non-finite mass or feature names the row and column.
    /// </summary>
    public static CathodeChannelData FromTable(EventTable table, string channel, string source, CathodeConfig config)
    {
        var cols = config.Columns;
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
            if (!double.IsFinite(mass[i])) throw new InvalidDataException($"{source}: row {i + 1}, column '{cols.Mass}' is {mass[i]}; masses must be finite.");
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(features[i * d + j]))
                    throw new InvalidDataException($"{source}: row {i + 1}, column '{cols.Features[j]}' is {features[i * d + j]}; features must be finite.");
        }
        double[]? truth = table.Has(cols.Truth) ? table.GetDouble(cols.Truth) : null;
        return new CathodeChannelData(channel, source, mass, features, cols.Features.ToArray(), truth);
    }
}
