using System.Text.Json;
using Xunit;

namespace FastAD.Cli.Tests;

/// <summary>`fastad scan` end to end on the generated spectrum with several methods (SPEC 5 with SPEC 6).</summary>
public class ScanCommandTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-scan-cli").FullName, name);

    [Fact]
    public void SeveralMethodsRunInEveryWindowWithTheGeneratorsBackgroundForIdealized()
    {
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "scan:\n  fit_only_toys: 100\ncathode:\n  flows:\n    ensemble: 1\n    epochs: 3\n    blocks: 2\n  bdt:\n    members: 2\n    max_rounds: 20\n");
        string outDir = Temp("run");
        var (code, output) = CliRunner.Run("scan", "--generate", "--range", "8:12", "--method", "cathode,idealized,cwola", "--config", cfg, "--out", outDir, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("max Z, idealized", output);
        Assert.Contains("max Z, cwola", output);
        Assert.True(File.Exists(Path.Combine(outDir, "methods.svg")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = json.RootElement;
        Assert.Equal(["cathode", "idealized", "cwola"], root.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!));
        var windows = root.GetProperty("windows").EnumerateArray().ToArray();
        Assert.NotEmpty(windows);
        foreach (var w in windows)
        {
            var methods = w.GetProperty("methods").EnumerateArray().ToArray();
            Assert.Equal(3, methods.Length);
            // The generator's background-only sample made idealized run in every window.
            Assert.Equal(JsonValueKind.Null, methods[1].GetProperty("failed").ValueKind);
            Assert.Equal(3, methods[1].GetProperty("points").GetArrayLength());
        }
        var csv = File.ReadAllLines(Path.Combine(outDir, "scan.csv"));
        Assert.Equal(1 + windows.Length * 3 * 3, csv.Length);
        Assert.Contains("## Methods", File.ReadAllText(Path.Combine(outDir, "report.md")));
    }
}
