using System.Text.Json;
using Xunit;

namespace FastAD.Cli.Tests;

/// <summary><c>fastad conrad</c>: configuration, bad input, and a small end-to-end run through the command on a file.</summary>
public class ConradCommandTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-conrad-cli").FullName, name);

    [Fact]
    public void PrintConfigShowsTheMergedConfiguration()
    {
        var cfg = Temp("c.yaml");
        File.WriteAllText(cfg, "classifier:\n  max_leaf_nodes: 15\n");
        var (code, output) = CliRunner.Run("conrad", "--preset", "quick", "--config", cfg, "--seed", "9", "--template", "znunu", "--signal", "2prong", "--print-config");
        Assert.True(code == 0, output);
        Assert.Contains("seed: 9", output);
        Assert.Contains("template: znunu", output);
        Assert.Contains("signal: 2prong", output);
        Assert.Contains("max_leaf_nodes: 15", output);
        Assert.Contains("epochs: 3", output);          // the quick preset's value survives
        (code, output) = CliRunner.Run("conrad", "--print-config");
        Assert.True(code == 0, output);
        Assert.Contains("max_leaf_nodes: 61", output);  // the paper preset
        Assert.Contains("models: 50", output);
    }

    [Fact]
    public void UnknownKeysBadOptionsAndMissingInputAreErrors()
    {
        var cfg = Temp("bad.yaml");
        File.WriteAllText(cfg, "flows:\n  epochs: 2\n  bins: 8\n  learnin_rate: 0.1\n");
        var (code, output) = CliRunner.Run("conrad", "--generate", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("line 4", output);
        Assert.Contains("learnin_rate", output);
        (code, output) = CliRunner.Run("conrad", "--generate", "--template", "photon");
        Assert.Equal(2, code);
        Assert.Contains("template must be gamma or znunu", output);
        (code, output) = CliRunner.Run("conrad", "--preset", "quick");
        Assert.Equal(2, code);
        Assert.Contains("--data FILE or --generate", output);
        (code, output) = CliRunner.Run("conrad", "--data", Temp("nope.csv"), "--preset", "quick");
        Assert.Equal(2, code);
        Assert.Contains("nope.csv", output);
    }

    [Fact]
    public void MissingColumnsAndAnEmptySignalRegionAreNamed()
    {
        var file = Temp("events.csv");
        File.WriteAllText(file, "MET,m_J,tau21,tau32\n1100,80,0.4,0.6\n");
        var (code, output) = CliRunner.Run("conrad", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("'is_template'", output);
        Assert.Contains("--template znunu", output);
        Assert.DoesNotContain("   at ", output);
        var lines = new List<string> { "MET,m_J,tau21,tau32,is_template" };
        for (int i = 0; i < 300; i++) lines.Add($"{710 + i % 250},{50 + i % 60},0.{2 + i % 7},0.{4 + i % 5},{i % 2}");
        File.WriteAllLines(file, lines);
        (code, output) = CliRunner.Run("conrad", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("signal region is empty", output);
        Assert.Contains("MET ≥ 1000", output);
    }

    [Fact]
    public void RunsOnAGeneratedFileAndWritesTheReport()
    {
        // A generated CONRAD sample written to a file and read back through --data (data and template rows in one table).
        var file = Temp("conrad.feather");
        var (code, output) = CliRunner.Run("generate", "conrad", "--out", file, "--seed", "4", "--events", "20000", "--signal-fraction", "0.01");
        Assert.True(code == 0, output);
        // An independent labelled test set from another seed, given with --test.
        var testFile = Temp("conrad-test.csv");
        (code, output) = CliRunner.Run("generate", "conrad", "--out", testFile, "--seed", "40", "--events", "20000", "--signal-fraction", "0.05");
        Assert.True(code == 0, output);
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 1\n  train_events: 5000\nclassifier:\n  models: 1\n  max_iterations: 20\ngeneration:\n  injections: [0]\nstatistics:\n  fpr_points: 6\n  fpr_lowest: 0.01\n  working_points: [0.01]\n");
        string outDir = Temp("run");
        (code, output) = CliRunner.Run("conrad", "--data", file, "--test", testFile, "--folds", "3", "--preset", "quick", "--config", cfg, "--out", outDir, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("max SIC (realistic, data's SR)", output);
        Assert.Contains("max SIC (realistic, independent test set)", output);
        foreach (var f in new[] { "results.json", "report.md", "closure.svg", "sic.svg", "closure.csv", "models/flow-0.json", "models/model-realistic.json", "models/model-supervised.json" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = json.RootElement;
        Assert.Equal(20_200, root.GetProperty("dataEvents").GetInt32());
        Assert.Equal(20_000, root.GetProperty("templateEvents").GetInt32());
        // From a file there is no perfect background: supervised (by halves, truth labels) and realistic only.
        var names = root.GetProperty("sic").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["supervised", "realistic"], names);
        // The --test file's signal-region events (is_template rows dropped) measure the same classifiers; --folds reached the config.
        Assert.Equal(["supervised", "realistic"], root.GetProperty("testSic").EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
        Assert.StartsWith(testFile + ": ", root.GetProperty("testSet").GetString());
        Assert.Equal(3, root.GetProperty("config").GetProperty("classifier").GetProperty("folds").GetInt32());
        Assert.Equal(3, root.GetProperty("classifiers").EnumerateArray().First().GetProperty("models").GetInt32());
        Assert.Equal([0, 200], root.GetProperty("injections").EnumerateArray().Select(l => l.GetProperty("injected").GetInt32()));

        // --reuse: the saved flow and classifiers are used again; a damaged one is named and retrained to the same bytes.
        string realistic = Path.Combine(outDir, "models", "model-realistic.json");
        var before = File.ReadAllBytes(realistic);
        File.WriteAllBytes(realistic, before[..(before.Length / 2)]);
        var (rc, o, e) = CliRunner.RunSplit("conrad", "--data", file, "--preset", "quick", "--config", cfg, "--folds", "3", "--out", outDir, "--reuse");
        Assert.True(rc == 0, o + e);
        Assert.Contains($"{realistic} is corrupt: it is not valid JSON (truncated or damaged)", o + e);
        Assert.Contains("; retraining", o + e);
        Assert.Contains($"reused {Path.Combine(outDir, "models", "model-supervised.json")}", o + e);
        Assert.Equal(before, File.ReadAllBytes(realistic));
    }
}
