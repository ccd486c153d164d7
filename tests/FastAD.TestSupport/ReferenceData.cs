using System.Globalization;

namespace FastAD.TestSupport;

/// <summary>The CMS reference data shipped in data/cms-dimuon-2016h.</summary>
public static class ReferenceData
{
    /// <summary>Folder of the CMS dimuon files.</summary>
    public static string Folder => Path.Combine(Layering.RepositoryRoot(), "data", "cms-dimuon-2016h");

    private static readonly Lazy<Dictionary<(string, string), double[]>> CutMassesTable = new(() =>
    {
        var table = new Dictionary<(string, string), List<double>>();
        foreach (var line in File.ReadLines(Path.Combine(Folder, "cut_masses.csv")).Skip(1))
        {
            var parts = line.Split(',');
            var key = (parts[0], parts[1]);
            if (!table.TryGetValue(key, out var list)) table[key] = list = [];
            list.Add(double.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        return table.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    });

    /// <summary>Masses of one selection at one FPR label as written in the file ("1", "0.25", ...).</summary>
    public static double[] CutMasses(string selection, string fpr) => CutMassesTable.Value[(selection, fpr)];

    /// <summary>Every (selection, fpr) in the file.</summary>
    public static IEnumerable<(string Selection, string Fpr)> CutSelections => CutMassesTable.Value.Keys.OrderBy(k => k.Item1).ThenBy(k => k.Item2);
}
