using FastAD.Data;

namespace FastAD.Analyses.Flows;

/// <summary>Feature and condition columns of an event table (any supported format) as row-major arrays, for training and applying flows.</summary>
internal static class FlowTable
{
    /// <summary>
    /// The selected rows' features (rows × D) and conditions (rows × C, or rows × 1 of zeros without conditions);
    /// a non-finite value is an error naming the file, line and column.
    /// </summary>
    public static (double[] X, double[] C, int Rows) Read(string dataFile, IReadOnlyDictionary<string, string>? where, IReadOnlyList<string> features,
        IReadOnlyList<string> conditions)
    {
        var table = EventTableIO.Read(dataFile, new ReadOptions());
        var mask = where is { Count: > 0 } ? table.Matches(where) : Enumerable.Repeat(true, table.RowCount).ToArray();
        var rows = Enumerable.Range(0, table.RowCount).Where(i => mask[i]).ToArray();
        double[] Columns(IReadOnlyList<string> names)
        {
            var cols = names.Select(n => table.GetDouble(n)).ToArray();
            var data = new double[rows.Length * names.Count];
            for (int k = 0; k < rows.Length; k++)
                for (int j = 0; j < names.Count; j++)
                {
                    double v = cols[j][rows[k]];
                    if (!double.IsFinite(v)) throw new InvalidDataException($"{dataFile}, {table.Locate(rows[k])}, column '{names[j]}': {v}; flows need finite inputs.");
                    data[k * names.Count + j] = v;
                }
            return data;
        }
        return (Columns(features), conditions.Count > 0 ? Columns(conditions) : new double[rows.Length], rows.Length);
    }
}
