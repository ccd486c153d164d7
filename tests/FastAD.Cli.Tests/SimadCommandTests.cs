using System.Globalization;
using FastAD.Analyses.Reports;
using FastAD.Analyses.Simad;
using FastAD.Data;
using Xunit;

namespace FastAD.Cli.Tests;

/// <summary><c>fastad simad</c>: configuration, bad input, and a tiny end-to-end run on a generated file.</summary>
public class SimadCommandTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-simad-cli").FullName, name);

    [Fact]
    public void PrintConfigShowsTheMergedConfiguration()
    {
        var cfg = Temp("c.yaml");
        File.WriteAllText(cfg, "classifier:\n  epochs: 4\n");
        var (code, output) = CliRunner.Run("simad", "--preset", "quick", "--config", cfg, "--seed", "9", "--bootstraps", "17", "--loss", "MLC", "--print-config");
        Assert.True(code == 0, output);
        Assert.Contains("seed: 9", output);
        Assert.Contains("epochs: 4", output);
        Assert.Contains("samples: 17", output);
        Assert.Contains("- mlc", output);
        Assert.DoesNotContain("- bce", output);
        Assert.Contains("ensemble: 3", output);       // the quick preset's value survives
        (code, output) = CliRunner.Run("simad", "--print-config");
        Assert.True(code == 0, output);
        Assert.Contains("ensemble: 10", output);
        Assert.Contains("samples: 100", output);
    }

    [Fact]
    public void BadOptionsAndConfigsAreRejected()
    {
        var cfg = Temp("bad.yaml");
        File.WriteAllText(cfg, "bootstrap:\n  samples: 5\n  sample: 3\n");
        var (code, output) = CliRunner.Run("simad", "--generate", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("line 3", output);
        Assert.Contains("sample", output);
        (code, output) = CliRunner.Run("simad", "--generate", "--loss", "hinge");
        Assert.Equal(2, code);
        Assert.Contains("hinge", output);
        (code, output) = CliRunner.Run("simad", "--generate", "--bootstraps", "1");
        Assert.Equal(2, code);
        Assert.Contains("bootstrap.samples", output);
        (code, output) = CliRunner.Run("simad", "--preset", "quick");
        Assert.Equal(2, code);
        Assert.Contains("--data FILE", output);
    }

    [Fact]
    public void MissingColumnsAndTooFewEventsAreNamed()
    {
        var file = Temp("events.csv");
        File.WriteAllText(file, "m_ee,m_4l,is_simulation\n91,180,0\n");
        var (code, output) = CliRunner.Run("simad", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("'m_mumu'", output);
        Assert.Contains("m_ee, m_4l, is_simulation", output);
        Assert.DoesNotContain("   at ", output);
        var lines = new List<string> { "m_ee,m_mumu,m_4l,is_simulation" };
        for (int i = 0; i < 100; i++) lines.Add(string.Create(CultureInfo.InvariantCulture, $"{85 + i % 11},{88 + i % 7},{190 + i},{(i < 10 ? 0 : 1)}"));
        File.WriteAllLines(file, lines);
        (code, output) = CliRunner.Run("simad", "--data", file, "--preset", "quick", "--out", Temp("o"));
        Assert.Equal(2, code);
        Assert.Contains("10 events", output);
        Assert.Contains($"at least {SimadData.MinEvents}", output);
    }

    [Fact]
    public void TheBdtWithBothPValuesReportsEachAndWhereTheyDisagree()
    {
        // --classifier bdt and --pvalue both on a generated file: the BDT's definition is in the report, every scan point has an
        // asymptotic p-value beside the bootstrap one, and p-values.csv holds both with the disagreement column.
        var file = Temp("ml.csv");
        var (code, output) = CliRunner.Run("generate", "multilepton", "--out", file, "--seed", "5", "--events", "600", "--signal-fraction", "0.1");
        Assert.True(code == 0, output);
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "classifier:\n  ensemble: 2\nbootstrap:\n  samples: 5\ninjection:\n  signal: [0, 30]\n  repeats: 1\n");
        string outDir = Temp("run");
        (code, output) = CliRunner.Run("simad", "--data", file, "--config", cfg, "--classifier", "BDT", "--pvalue", "both", "--out", outDir, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("observed p (asymptotic)", output);
        var r = ReportJson.Load<SimadResults>(Path.Combine(outDir, "results.json"));
        Assert.Equal(SimadClassifierKind.Bdt, r.Config.Classifier.Kind);
        Assert.All(r.Scans, s => Assert.All(s.Points, p => Assert.Equal(4, p.AsymptoticPValue!.Length)));
        Assert.Contains("BDTs", r.NetworkPath + output);
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("log-odds", md);
        Assert.Contains("p-values: both", md);
        var table = DelimitedTable.Read(Path.Combine(outDir, "p-values.csv"));
        Assert.Equal(r.Scans.Sum(s => s.Points.Length) * 4, table.RowCount);
        Assert.Equal(r.Scans[0].Points[1].AsymptoticPValue![2], table.GetDoubles("asymptotic_p_value")[6], 1e-12);
        Assert.Contains("disagreement", table.Columns);
    }

    [Fact]
    public void RunsOnAGeneratedFileAndWritesTheReport()
    {
        // The multilepton sample written to a file and read back through --data: its is_signal rows are the injection pool.
        var file = Temp("ml.csv");
        var (code, output) = CliRunner.Run("generate", "multilepton", "--out", file, "--seed", "4", "--events", "600", "--signal-fraction", "0.1");
        Assert.True(code == 0, output);
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "classifier:\n  ensemble: 1\n  hidden: [8]\n  epochs: 2\nbootstrap:\n  samples: 4\ninjection:\n  signal: [0, 30, 1000]\n  repeats: 1\n");
        string outDir = Temp("run");
        (code, output) = CliRunner.Run("simad", "--data", file, "--config", cfg, "--loss", "bce", "--out", outDir, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("observed p", output);
        var r = ReportJson.Load<SimadResults>(Path.Combine(outDir, "results.json"));
        Assert.Equal("bce", Assert.Single(r.Nulls).Loss);
        var scan = Assert.Single(r.Scans);
        Assert.Equal("file", scan.Pool);
        Assert.Equal([0, 30], scan.Points.Select(p => p.Signal));          // 1000 exceeds the 60 signal events of the file
        Assert.Contains(r.Notes, n => n.Contains("skipped"));
        Assert.Equal(300, r.Split.BackgroundTrain);
        Assert.Single(r.Observed);
        foreach (var f in new[] { "report.md", "null.svg", "scan-bce-file.svg", "scan-bce-file.csv", "observed.csv", "config.yaml" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);

        // --reuse: the finished stages' statistics are used again; a damaged stage file is named and that stage retrained.
        string stage = Path.Combine(outDir, "models", "simad-scan-bce-file.json");
        File.WriteAllText(stage, File.ReadAllText(stage)[..40]);
        var (rc, o, e) = CliRunner.RunSplit("simad", "--data", file, "--config", cfg, "--loss", "bce", "--out", outDir, "--reuse");
        Assert.True(rc == 0, o + e);
        Assert.Contains($"{stage} is corrupt: it is not valid JSON (truncated or damaged)", o + e);
        Assert.Contains("; retraining", o + e);
        Assert.Contains($"reused {Path.Combine(outDir, "models", "simad-null-bce.json")}", o + e);
        var again = ReportJson.Load<SimadResults>(Path.Combine(outDir, "results.json"));
        Assert.Equal(r.Scans[0].Points.Select(p => p.Mean), again.Scans[0].Points.Select(p => p.Mean));
    }
}
