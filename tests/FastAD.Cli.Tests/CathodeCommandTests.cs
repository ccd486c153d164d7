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
    public void WarningsReachStandardErrorEvenWithQuietAndResultsStayOnStandardOutput()
    {
        // Seed 5 of the generator puts SS (control) events beyond the OS-fitted preprocessing range: they are clamped, and
        // the run must say so although --quiet hides the progress.
        var (code, output, error) = CliRunner.RunSplit("cathode", "--generate", "--preset", "quick", "--seed", "5", "--quiet", "--out", Temp("o"));
        Assert.True(code == 0, output + error);
        Assert.Contains("warning: flows SS:", error);
        Assert.Contains("outside the preprocessing range fitted on OS: clamped to its edge", error);
        Assert.DoesNotContain("warning", output);
        Assert.Contains("best CATHODE Z", output);
        Assert.DoesNotContain("best CATHODE Z", error);
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
        // With the real OS events before the anti-isolation cut beside them (issue 20, item 8).
        string features = Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv"), masses = Path.Combine(ReferenceData.Folder, "cut_masses.csv");
        (code, output) = CliRunner.Run("cathode", "--data", file, "--config", cfg, "--out", outDir, "--quiet",
            "--pre-isolation", features, "--pre-isolation-masses", masses, "--pre-isolation-where", "selection=os_no_isolation");
        Assert.True(code == 0, output);
        Assert.Contains("initial Z (OS, no cut)", output);
        Assert.Contains("best CATHODE Z", output);
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "results.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "significance-os.svg")));
        Assert.False(File.Exists(Path.Combine(outDir, "control.svg"))); // no --control given
        // The printed headline is the one in results.json.
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        double initial = json.RootElement.GetProperty("headline").GetProperty("initialZ").GetDouble();
        var line = output.Split('\n').Single(l => l.Contains("initial Z (OS, no cut)"));
        Assert.Contains($"│ {initial.ToString("F2", CultureInfo.InvariantCulture)} ", line);
        Assert.InRange(initial, 0, 5);

        // The pre-isolation sample: SPEC 1.1's counts (28,126 OS events, 6542 in the SR), its fit the bump hunt's of the
        // same selection, and the dashed curves in the two figures.
        var pre = json.RootElement.GetProperty("primary").GetProperty("preIsolation");
        Assert.Equal(28126, pre.GetProperty("events").GetInt32());
        Assert.Equal(6542, pre.GetProperty("sr").GetInt32());
        Assert.Equal(6542, pre.GetProperty("srFeatureEvents").GetInt32());
        string bhJson = Temp("bh.json");
        (code, output) = CliRunner.Run("bumphunt", "--masses", masses, "--where", "selection=os_no_isolation", "--json", bhJson);
        Assert.True(code == 0, output);
        using (var bh = System.Text.Json.JsonDocument.Parse(File.ReadAllText(bhJson)))
            Assert.Equal(bh.RootElement.GetProperty("Z").GetDouble(), pre.GetProperty("z").GetDouble(), 9);
        Assert.Contains("SR before the anti-isolation cut (6,542)", File.ReadAllText(Path.Combine(outDir, "features-os.svg")));
        Assert.Contains("no anti-isolation (28,126", File.ReadAllText(Path.Combine(outDir, "spectra-os.svg")));
        Assert.Contains("**Before the anti-isolation cut**", File.ReadAllText(Path.Combine(outDir, "report.md")));

        // A saved flow that is not a flow file: --reuse fails in one line naming it, no stack trace.
        File.WriteAllText(Path.Combine(outDir, "models", "flow-os-0.json"), "{ \"format\": \"something-else\" }");
        (code, output) = CliRunner.Run("cathode", "--data", file, "--config", cfg, "--out", outDir, "--quiet", "--reuse");
        Assert.Equal(2, code);
        Assert.Contains("flow-os-0.json", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void SignalInjectionRunsEachCountInItsFolderAndResumes()
    {
        var cfg = Temp("tiny.yaml");
        File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 5\n  blocks: 2\nbdt:\n  members: 2\n  max_rounds: 30\nstatistics:\n  fpr_points: 5\n  variation_degrees: [5]\n  variation_bins: [12]\n");
        string outDir = Temp("inject");
        string[] args = ["cathode", "--generate", "--config", cfg, "--out", outDir, "--quiet", "--inject", "150,0", "--method", "cathode,cwola"];
        var (code, output) = CliRunner.Run(args);
        Assert.True(code == 0, output);
        string csv = File.ReadAllText(Path.Combine(outDir, "injection.csv"));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var points = json.RootElement.GetProperty("injection").GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(new[] { 0, 150 }, points.Select(p => p.GetProperty("injected").GetInt32()));
        foreach (var p in points)
        {
            // The study's numbers are those of the count's own run, in its own folder.
            string folder = Path.Combine(outDir, p.GetProperty("folder").GetString()!);
            using var run = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            var primary = run.RootElement.GetProperty("primary");
            Assert.Equal(primary.GetProperty("initialZ").GetDouble(), p.GetProperty("initialZ").GetDouble(), 12);
            Assert.Equal(primary.GetProperty("truthSignalInSr").GetInt32(), p.GetProperty("signalInSr").GetInt32());
            Assert.Equal(primary.GetProperty("sr").GetInt32(), p.GetProperty("signalInSr").GetInt32() + p.GetProperty("backgroundInSr").GetInt32());
            var methods = primary.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!);
            foreach (var m in p.GetProperty("methods").EnumerateArray())
            {
                var own = methods[m.GetProperty("method").GetString()!];
                Assert.Equal(own.GetProperty("maxSic").ToString(), m.GetProperty("maxSic").ToString());
            }
            Assert.True(File.Exists(Path.Combine(folder, "report.md")));
        }
        // No signal, no true signal in the SR; 150 injected, most of them in the SR (the Υ peaks lie inside it).
        Assert.Equal(0, points[0].GetProperty("signalInSr").GetInt32());
        Assert.InRange(points[1].GetProperty("signalInSr").GetInt32(), 120, 150);
        Assert.True(File.Exists(Path.Combine(outDir, "injection.svg")));
        // Everything was saved: --reuse reads CATHODE's flows and BDTs back (the methods' own classifiers are retrained
        // from their seeds) and gives the same table.
        (code, output) = CliRunner.Run([.. args, "--reuse"]);
        Assert.True(code == 0, output);
        Assert.Equal(csv, File.ReadAllText(Path.Combine(outDir, "injection.csv")));
    }
}

/// <summary>The Slurm array script runs shards that <c>fastad merge</c> combines into what one process gives.</summary>
public class SlurmScriptTests
{
    [Fact]
    public void ArrayTasksMergeToTheSingleProcessResult()
    {
        string root = Directory.CreateTempSubdirectory("fastad-slurm").FullName;
        try
        {
            string cfg = Path.Combine(root, "tiny.yaml");
            File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 2\n  blocks: 2\nbdt:\n  folds: 3\n  members: 1\n  max_rounds: 5\nstatistics:\n  fpr_points: 4\n");
            string extra = $"--config {cfg} --preset quick";
            string script = Path.Combine(Layering.RepositoryRoot(), "scripts", "slurm-pseudo.sh");
            string fastad = $"dotnet {typeof(FastAdCommand).Assembly.Location}";
            foreach (int task in new[] { 3, 4 })  // an array --array=3-4: shards 0/2 and 1/2
            {
                var psi = new System.Diagnostics.ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
                psi.Environment["FASTAD"] = fastad;
                psi.Environment["FASTAD_OUT"] = Path.Combine(root, "array");
                psi.Environment["FASTAD_N"] = "6";
                psi.Environment["FASTAD_MODE"] = "null";
                psi.Environment["FASTAD_EXTRA_ARGS"] = extra;
                psi.Environment["SLURM_ARRAY_TASK_ID"] = task.ToString(CultureInfo.InvariantCulture);
                psi.Environment["SLURM_ARRAY_TASK_MIN"] = "3";
                psi.Environment["SLURM_ARRAY_TASK_COUNT"] = "2";
                using var p = System.Diagnostics.Process.Start(psi)!;
                string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, output);
                Assert.Contains($"shard {task - 3}/2", output);
            }
            var (code, output2) = CliRunner.Run("cathode", "pseudo", "--generate", "--config", cfg, "--preset", "quick", "--n", "6", "--mode", "null",
                "--out", Path.Combine(root, "single"), "--quiet");
            Assert.True(code == 0, output2);
            Assert.Equal(0, CliRunner.Run("merge", Path.Combine(root, "array")).Code);
            var (mc, merged) = CliRunner.Run("merge", Path.Combine(root, "single"));
            Assert.True(mc == 0, merged);
            Assert.Contains("6 of 6 pseudoexperiments", merged);
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "single", "pseudo-merged.csv")), File.ReadAllBytes(Path.Combine(root, "array", "pseudo-merged.csv")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
