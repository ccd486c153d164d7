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

/// <summary>Small helpers for tabular test data and rank statistics.</summary>
public static class TestTables
{
    /// <summary>Reads a numeric CSV into named columns ("nan" and empty cells become NaN).</summary>
    public static Dictionary<string, double[]> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var names = lines[0].Split(',');
        var cols = names.Select(_ => new double[lines.Length - 1]).ToArray();
        for (int i = 1; i < lines.Length; i++)
        {
            var parts = lines[i].Split(',');
            for (int c = 0; c < names.Length; c++)
                cols[c][i - 1] = parts[c] is "" or "nan" ? double.NaN : double.Parse(parts[c], CultureInfo.InvariantCulture);
        }
        return names.Select((n, c) => (n, c)).ToDictionary(t => t.n, t => cols[t.c]);
    }

    /// <summary>Area under the ROC curve by the Mann–Whitney rank statistic (ties count one half).</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<double> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0, positives = 0;
        int k = 0;
        while (k < order.Length)
        {
            int j = k;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[k]]) j++;
            double rank = (k + j) / 2.0 + 1;
            for (int t = k; t <= j; t++)
                if (labels[order[t]] == 1) { rankSum += rank; positives++; }
            k = j + 1;
        }
        double negatives = scores.Count - positives;
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }
}
