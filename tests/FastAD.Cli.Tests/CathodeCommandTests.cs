using System.Globalization;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

/// <summary><c>fastad cathode</c>: configuration, bad input, and a tiny end-to-end run through the command.</summary>
public class CathodeCommandTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-cathode-cli").FullName, name);

    [Fact]
    public void PrintConfigShowsTheMergedConfiguration()
    {
        var cfg = Temp("c.yaml");
        File.WriteAllText(cfg, "flows:\n  hidden: 128\n");
        var (code, output) = CliRunner.Run("cathode", "--preset", "quick", "--config", cfg, "--seed", "9", "--print-config");
        Assert.True(code == 0, output);
        Assert.Contains("seed: 9", output);
        Assert.Contains("hidden: 128", output);
        Assert.Contains("ensemble: 2", output);     // the quick preset's value survives
        Assert.Contains("members: 8", output);
    }

    [Fact]
    public void ConfigWithUnknownKeyOrBadFprIsRejected()
    {
        var cfg = Temp("bad.yaml");
        File.WriteAllText(cfg, "bdt:\n  members: 3\n  learnin_rate: 0.1\n");
        var (code, output) = CliRunner.Run("cathode", "--generate", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("line 3", output);
        Assert.Contains("learnin_rate", output);
        File.WriteAllText(cfg, "statistics:\n  fpr_lowest: 0\n");
        (code, output) = CliRunner.Run("cathode", "--generate", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("fpr_lowest", output);
        (code, output) = CliRunner.Run("cathode", "--generate", "--preset", "slow");
        Assert.Equal(2, code);
        Assert.Contains("--preset must be paper or quick", output);
    }

    [Fact]
    public void MissingColumnsAndThinSidebandsAreNamed()
    {
        var file = Temp("events.csv");
        File.WriteAllText(file, "dimu_mass,dimu_pt,mu0_ip3d\n9.5,30,0.01\n");
        var (code, output) = CliRunner.Run("cathode", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("'mu1_ip3d'", output);
        Assert.Contains("dimu_mass, dimu_pt, mu0_ip3d", output);
        Assert.DoesNotContain("   at ", output);

        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        for (int i = 0; i < 200; i++) lines.Add(string.Create(CultureInfo.InvariantCulture, $"{(i < 20 ? 6.0 : 12.0) + i * 1e-3},{30 + i % 7},{0.001 * (1 + i % 5)},{0.002 * (1 + i % 3)}"));
        File.WriteAllLines(file, lines);
        (code, output) = CliRunner.Run("cathode", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("20 events in the low", output);
        Assert.Contains("at least 50", output);

        (code, output) = CliRunner.Run("cathode", "--preset", "quick");
        Assert.Equal(2, code);
        Assert.Contains("--data FILE", output);
        (code, output) = CliRunner.Run("cathode", "--data", Temp("nope.csv"), "--preset", "quick");
        Assert.Equal(2, code);
        Assert.Contains("nope.csv", output);
    }

    [Fact]
    public void RunsOnAFileAndWritesTheReport()
    {
        // The generated OS sample written to a file, read back through --data (a different path than --generate).
        var file = Temp("os.feather");
        var (code, output) = CliRunner.Run("generate", "dimuon", "--out", file, "--seed", "3");
        Assert.True(code == 0, output);
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 5\n  blocks: 2\nbdt:\n  members: 2\n  max_rounds: 30\nstatistics:\n  fpr_points: 5\n  variation_degrees: [5]\n  variation_bins: [12]\n");
        string outDir = Temp("run");
        (code, output) = CliRunner.Run("cathode", "--data", file, "--config", cfg, "--out", outDir, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("initial Z (OS, no cut)", output);
        Assert.Contains("best CATHODE Z", output);
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "results.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "significance-os.svg")));
        Assert.False(File.Exists(Path.Combine(outDir, "control.svg"))); // no --control given
    }
}
