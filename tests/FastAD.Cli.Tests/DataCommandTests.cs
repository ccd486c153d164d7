using System.Globalization;
using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

public sealed class DataCommandTests() : TempFolderTests("fastad-cli-data-")
{
    private static string CutMasses => Path.Combine(ReferenceData.Folder, "cut_masses.csv");

    private static string Fixture(string name) => Path.Combine(Layering.RepositoryRoot(), "tests", "FastAD.Data.Tests", "Fixtures", name);

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    [Fact]
    public void InspectShowsColumnsCountsAndStatistics()
    {
        var (code, output) = CliRunner.Run("inspect", CutMasses, "--where", "selection=os_cathode,fpr=1");
        Assert.True(code == 0, output);
        var masses = ReferenceData.CutMasses("os_cathode", "1");
        double mean = masses.Average();
        double std = Math.Sqrt(masses.Sum(m => (m - mean) * (m - mean)) / (masses.Length - 1));
        Assert.Contains($"{masses.Length:N0} rows matching selection=os_cathode,fpr=1, 3 columns", output);
        var row = output.Split('\n').Single(l => l.Contains("dimu_mass"));
        var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "dimu_mass", "float64", masses.Length.ToString("N0", CultureInfo.InvariantCulture), "0", "0",
            G(masses.Min()), G(masses.Max()), G(mean), G(std) }, cells);
        Assert.Contains("1 distinct: os_cathode", output);

        (code, output) = CliRunner.Run("inspect", Fixture("structured.npy"));
        Assert.True(code == 0, output);
        Assert.Contains("NumPy .npy", output);
        Assert.Contains("│ njets ", output);
        Assert.Contains("int32", output);
    }

    [Fact]
    public void InspectRejectsMalformedFilesWithOneClearLine()
    {
        string textCell = Path.Combine(Folder, "bad.csv");
        File.WriteAllText(textCell, "m,w\n1,2\n3,oops\n");
        foreach (var (file, message) in new[]
        {
            (Path.Combine(Folder, "missing.csv"), "File not found"),
            (Fixture("truncated.npy"), "is truncated: the header promises 7 items"),
            (Fixture("unsupported_i2.npy"), "dtype '<i2', which is not supported"),
            (textCell, $"{textCell}, line 3, column 'w': 'oops' is not a number"),
        })
        {
            var (code, output) = CliRunner.Run("inspect", file);
            Assert.Equal(2, code);
            Assert.StartsWith("error: ", output);
            Assert.Contains(message, output);
            Assert.DoesNotContain("   at ", output); // no stack trace
        }
        var (c, o) = CliRunner.Run("inspect", CutMasses, "--where", "sel=os");
        Assert.Equal(2, c);
        Assert.Contains($"{CutMasses} has no column 'sel'; columns are: selection, fpr, dimu_mass.", o);
    }

    [Fact]
    public void ConvertWritesEveryFormatAndFailsCleanly()
    {
        string feather = Path.Combine(Folder, "os.feather");
        var (code, output) = CliRunner.Run("convert", CutMasses, feather, "--where", "selection=os_cathode,fpr=1", "--columns", "dimu_mass,selection");
        Assert.True(code == 0, output);
        var t = EventTableIO.Read(feather);
        Assert.Equal(new[] { "dimu_mass", "selection" }, t.ColumnNames);
        Assert.Equal(ReferenceData.CutMasses("os_cathode", "1"), t.GetDouble("dimu_mass"));

        (code, output) = CliRunner.Run("convert", feather, Path.Combine(Folder, "x.npz"), "--columns", "fpr");
        Assert.Equal(2, code);
        Assert.Contains($"{feather} has no column 'fpr'; columns are: dimu_mass, selection.", output);

        string target = Path.Combine(Folder, "no-such-dir", "x.npy");
        (code, output) = CliRunner.Run("convert", feather, target);
        Assert.Equal(2, code);
        Assert.Contains($"Cannot write {target}: the directory", output);
        Assert.Equal(new[] { "os.feather" }, Directory.GetFileSystemEntries(Folder).Select(Path.GetFileName));

        string nan = Path.Combine(Folder, "nan.csv");
        File.WriteAllText(nan, "a,b\n1,2\nnan,3\n4,-inf\n5,6\n");
        (code, output) = CliRunner.Run("convert", nan, Path.Combine(Folder, "clean.npy"), "--nan", "drop");
        Assert.True(code == 0, output);
        Assert.Contains("dropped 2 rows with NaN or infinite values", output);
        Assert.Equal(new[] { 1.0, 5 }, EventTableIO.Read(Path.Combine(Folder, "clean.npy")).GetDouble("a"));
        (code, output) = CliRunner.Run("inspect", nan, "--nan", "error");
        Assert.Equal(2, code);
        Assert.Contains("column 'a', line 3: value NaN is not finite", output);
        (code, output) = CliRunner.Run("inspect", nan, "--nan", "maybe");
        Assert.Equal(2, code);
        Assert.Contains("--nan expects keep, error or drop", output);
    }

    [Fact]
    public void BumpHuntReadsBinaryFormatsWithTheSameResult()
    {
        string npz = Path.Combine(Folder, "os.npz");
        var (code, output) = CliRunner.Run("convert", CutMasses, npz, "--where", "selection=os_cathode");
        Assert.True(code == 0, output);
        string json = Path.Combine(Folder, "bh.json");
        (code, output) = CliRunner.Run("bumphunt", "--masses", npz, "--where", "fpr=1", "--device", "cpu", "--json", json);
        Assert.True(code == 0, output);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(ReferenceData.CutMasses("os_cathode", "1").Length, doc.RootElement.GetProperty("EventsSelected").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("Z").GetDouble(), 1.5936, 1.5976); // as from the CSV (StatsCommandTests)
    }
}
