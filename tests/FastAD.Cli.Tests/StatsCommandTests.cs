using System.Text.Json;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

public class StatsCommandTests
{
    private static string Masses => Path.Combine(ReferenceData.Folder, "cut_masses.csv");

    [Fact]
    public void BumpHuntReproducesThePublishedNumbersAndWritesJson()
    {
        string json = Path.Combine(Path.GetTempPath(), $"fastad-bh-{Guid.NewGuid():N}.json");
        var (code, output) = CliRunner.Run("bumphunt", "--masses", Masses, "--where", "selection=os_cathode,fpr=1", "--device", "cpu", "--json", json);
        Assert.True(code == 0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);
        Assert.InRange(doc.RootElement.GetProperty("Z").GetDouble(), 1.5936, 1.5976);
        Assert.InRange(doc.RootElement.GetProperty("S").GetDouble(), 97.14, 97.18);
        Assert.Equal(12332, doc.RootElement.GetProperty("EventsSelected").GetInt32());
    }

    private static string WriteTemp(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void BadInputGetsClearErrors()
    {
        var (code, output) = CliRunner.Run("bumphunt", "--masses", Masses, "--column", "mass");
        Assert.Equal(2, code);
        Assert.Contains("no column 'mass'; columns are: selection, fpr, dimu_mass", output);

        (code, output) = CliRunner.Run("bumphunt", "--masses", Masses, "--where", "selection=nothing");
        Assert.Equal(2, code);
        Assert.Contains("no rows match selection=nothing", output);

        string nan = WriteTemp("dimu_mass\n9.5\nnan\n");
        (code, output) = CliRunner.Run("bumphunt", "--masses", nan);
        Assert.Equal(2, code);
        Assert.Contains("line 3", output);
        Assert.Contains("must be finite", output);

        string text = WriteTemp("dimu_mass\n9.5\nabc\n");
        (code, output) = CliRunner.Run("bumphunt", "--masses", text);
        Assert.Equal(2, code);
        Assert.Contains("line 3, column 'dimu_mass': 'abc' is not a number", output);

        string onlySr = WriteTemp("dimu_mass\n9.5\n9.6\n6.0\n");
        (code, output) = CliRunner.Run("bumphunt", "--masses", onlySr);
        Assert.Equal(2, code);
        Assert.Contains("upper sideband", output);

        (code, output) = CliRunner.Run("bumphunt", "--masses", Masses, "--where", "selection=os_cathode,fpr=0.001", "--degree", "12");
        Assert.Equal(2, code);
        Assert.Contains("degree must be 1..9", output);

        string negative = WriteTemp("dimu_mass,w\n9.5,1\n9.6,-1\n");
        (code, output) = CliRunner.Run("bumphunt", "--masses", negative, "--weights", "w");
        Assert.Equal(2, code);
        Assert.Contains("weights must be finite and non-negative", output);

        (code, output) = CliRunner.Run("bumphunt", "--masses", "/nonexistent/file.csv");
        Assert.Equal(2, code);
        Assert.Contains("File not found", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void ToysCalibrateOnTheCpu()
    {
        var (code, output) = CliRunner.Run("toys", "--n", "4000", "--device", "cpu", "--masses", Masses);
        Assert.True(code == 0, output);
        Assert.Contains("toys/s", output);
        Assert.Contains("Z >= 2", output);
    }
}
