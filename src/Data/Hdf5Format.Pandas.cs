using PureHDF;

namespace FastAD.Data;

/// <summary>
/// pandas' <c>DataFrame.to_hdf(path, key)</c> "fixed" format (PyTables underneath): the group <c>key</c> has
/// <c>pandas_type = frame</c> and <c>nblocks</c>; <c>axis0</c> holds the column names in order, <c>axis1</c> the index;
/// each block (one per dtype) has <c>block{i}_items</c> (its column names) and <c>block{i}_values</c>, stored rows × items.
/// Object blocks (text columns) are pickled Python objects in a VLARRAY, which cannot be read without Python.
/// </summary>
internal static class PandasFixed
{
    internal static List<KeyValuePair<string, Array>> Read(IH5Group frame, string path)
    {
        string where = $"pandas frame '{frame.Name}'";
        IH5Dataset Dataset(string name)
        {
            if (!Hdf5Format.Guarded(path, where, () => frame.LinkExists(name)))
                throw new InvalidDataException($"{path}: {where} has no '{name}'; expected the pandas fixed layout (axis0, axis1, block0_items, block0_values, …).");
            return Hdf5Format.Guarded(path, $"{where}/{name}", () => frame.Dataset(name));
        }
        var order = Names(Dataset("axis0"), path);
        long rows = (long)Dataset("axis1").Space.Dimensions[0];
        long blocks = Hdf5Format.Guarded(path, $"attribute 'nblocks' of {where}", () => !frame.AttributeExists("nblocks")
            ? throw new InvalidDataException($"{path}: {where} has no 'nblocks' attribute; expected the pandas fixed layout.")
            : frame.Attribute("nblocks") is { Type.Size: 8 } wide ? wide.Read<long>() : frame.Attribute("nblocks").Read<int>());
        if (blocks < 0 || blocks > order.Length)
            throw new InvalidDataException($"{path}: {where} says it has {blocks} blocks for {order.Length} columns; the file is corrupt.");
        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int b = 0; b < blocks; b++)
        {
            var items = Names(Dataset($"block{b}_items"), path);
            var values = Dataset($"block{b}_values");
            bool pickled = Hdf5Format.Text(values, "CLASS", path) == "VLARRAY" || values.Type.Class == H5DataTypeClass.VariableLength;
            if (pickled)
                throw new NotSupportedException(
                    $"{path}: column{(items.Length == 1 ? "" : "s")} {string.Join(", ", items.Select(i => $"'{i}'"))} of {where} hold{(items.Length == 1 ? "s" : "")} Python objects " +
                    "(text, pickled by pandas), which FastAD cannot read; save numeric columns, or text as fixed-width bytes (df[c].astype('S')), or write Parquet.");
            var dims = values.Space.Dimensions;
            if (dims.Length != 2 || (long)dims[0] != rows || (long)dims[1] != items.Length)
                throw new InvalidDataException(
                    $"{path}: {where}/block{b}_values has shape ({string.Join(" × ", dims)}); expected ({rows} × {items.Length}) for {rows:N0} rows and its {items.Length} items.");
            var parts = Hdf5Format.Split(Hdf5Format.Values(values, items.Length == 1 ? items[0] : $"block{b}_values", path), items.Length);
            for (int k = 0; k < items.Length; k++)
                if (!columns.TryAdd(items[k], parts[k]))
                    throw new InvalidDataException($"{path}: column '{items[k]}' appears twice in {where}.");
        }
        var missing = order.Where(n => !columns.ContainsKey(n)).ToList();
        if (missing.Count > 0 || columns.Count != order.Length)
            throw new InvalidDataException(
                $"{path}: {where} lists columns [{string.Join(", ", order)}] in axis0 but its blocks hold [{string.Join(", ", columns.Keys)}].");
        return order.Select(n => new KeyValuePair<string, Array>(n, columns[n])).ToList();
    }

    /// <summary>Column names: pandas writes them as fixed-width byte strings (or integers for an unnamed frame).</summary>
    private static string[] Names(IH5Dataset dataset, string path) => Hdf5Format.Values(dataset, dataset.Name, path) switch
    {
        string[] s => s,
        var other => Enumerable.Range(0, other.Length).Select(i => System.Convert.ToString(other.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!).ToArray(),
    };
}
