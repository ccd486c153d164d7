using System.Globalization;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: configuration files, statistics options and analysis inputs whose values are wrong or absurd
/// (issue 14, items 4 and 7). Each case checks exit 2, a message naming the thing and what was expected, and no trace.
/// </summary>
public sealed class AnalysisInputCatalogue
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-catalogue").FullName, name);

    private static string Config(string yaml)
    {
        string path = Temp("config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Dimuon-like events without a truth column: masses over 5–16 GeV, features that vary.</summary>
    private static string EventsWithoutTruth()
    {
        string path = Temp("events.csv");
        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        for (int i = 0; i < 3000; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{5 + 11.0 * ((i * 7919) % 3000) / 3000},{25 + (i * 31 % 97) * 0.5},{0.001 + (i * 13 % 101) * 1e-4},{0.002 + (i * 17 % 103) * 1e-4}"));
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void SupervisedWithoutATruthColumnIsRefusedBeforeTraining()
    {
        string data = EventsWithoutTruth();
        Refusal.Expect(["cathode", "--data", data, "--method", "cathode,supervised", "--preset", "quick", "--out", Temp("out")], data,
            "--method supervised needs a truth column");
    }

    [Fact]
    public void IdealizedOnAFileWithoutABackgroundSampleSaysWhatToGive() =>
        Refusal.Expect(["cathode", "--data", EventsWithoutTruth(), "--method", "idealized", "--preset", "quick", "--out", Temp("out")],
            "--method idealized needs a background-only sample", "--background FILE");

    [Fact]
    public void ABackgroundSampleWithoutIdealizedIsRefused() =>
        Refusal.Expect(["cathode", "--generate", "--method", "cwola", "--background", EventsWithoutTruth(), "--out", Temp("out")],
            "--background is used by --method idealized only");

    [Fact]
    public void AnUnknownMethodNamesTheChoices() =>
        Refusal.Expect(["cathode", "--generate", "--method", "cathode,anode2", "--out", Temp("out")],
            "--method must be cathode, cwola, anode, lacathode, idealized or supervised (got 'anode2')");

    [Fact]
    public void ABackgroundFileWithoutTheColumnsNamesThem()
    {
        string bad = Temp("bg.csv");
        File.WriteAllText(bad, "mass,pt\n1,2\n");
        Refusal.Expect(["cathode", "--generate", "--method", "idealized", "--background", bad, "--out", Temp("out")], bad, "missing column", "dimu_mass");
    }

    [Fact]
    public void ANegativeSeedInYamlNamesTheKeyAndTheRange() =>
        Refusal.Expect(["cathode", "--generate", "--config", Config("seed: -1\n")], "line 1", "seed is '-1'", "expected a whole number from 0");

    [Fact]
    public void AScalarWhereASectionBelongsNamesTheSectionAndItsKeys() =>
        Refusal.Expect(["cathode", "--generate", "--config", Config("seed: 3\nflows: 7\n")], "line 2", "flows is the value '7'",
            "expected a section of keys (", "hidden");

    [Theory]
    [InlineData(".inf")]
    [InlineData("-.Inf")]
    [InlineData(".nan")]
    [InlineData("1e999")]
    public void ANonFiniteNumberInYamlIsRefused(string value) =>
        Refusal.Expect(["cathode", "--generate", "--config", Config($"bdt:\n  learning_rate: {value}\n")], "line 2",
            $"bdt.learning_rate is '{value}'", "expected a finite number");

    [Fact]
    public void AListAsTheYamlRootSaysTheFileIsAList() =>
        Refusal.Expect(["conrad", "--config", Config("- seed: 3\n- flows: 2\n")], "the file is a list", "expected a section of keys");

    [Theory]
    [InlineData("--classifier", "svm", "--classifier must be mlp or bdt")]
    [InlineData("--pvalue", "exact", "--pvalue must be bootstrap, asymptotic or both")]
    public void AnUnknownSimadClassifierOrPValueKindNamesTheChoices(string option, string value, string message) =>
        Refusal.Expect(["simad", "--generate", option, value, "--out", Temp("out")], message, $"'{value}'");

    [Theory]
    [InlineData("injection:\n  selection_efficiency: 0\n", "injection.selection_efficiency must be in (0, 1]")]
    [InlineData("injection:\n  selection_efficiency: 1.5\n", "injection.selection_efficiency must be in (0, 1]")]
    [InlineData("injection:\n  dedicated_search_fb: -1\n", "injection.dedicated_search_fb must be positive")]
    [InlineData("classifier:\n  kind: bdt\n  bdt:\n    subsample: 0\n", "classifier.bdt.subsample must be in (0, 1]")]
    [InlineData("classifier:\n  kind: bdt\n  bdt_validation_fraction: 0.7\n", "classifier.bdt_validation_fraction must be in [0, 0.5)")]
    [InlineData("classifier:\n  kind: forest\n", "classifier.kind is 'forest'")]
    [InlineData("evaluation:\n  p_value: chi2\n", "evaluation.p_value is 'chi2'")]
    public void ABadSimadBdtPValueOrCrossSectionSettingNamesTheKey(string yaml, string message) =>
        Refusal.Expect(["simad", "--generate", "--config", Config(yaml), "--out", Temp("out")], message);

    [Fact]
    public void ATypoInAYamlKeySuggestsTheKeyMeant() =>
        Refusal.Expect(["simad", "--config", Config("sed: 4\n")], "unknown key 'sed'", "did you mean 'seed'?");

    [Fact]
    public void AFolderGivenAsConfigIsCalledAFolder()
    {
        string dir = Directory.CreateTempSubdirectory("fastad-catalogue-dir").FullName;
        Refusal.Expect(["cathode", "--generate", "--config", dir], dir, "is a folder; expected a YAML file");
    }

    [Fact]
    public void ABinaryFileGivenAsConfigIsRefused()
    {
        string path = Temp("model.bin");
        File.WriteAllBytes(path, [0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0x10]);
        Refusal.Expect(["cathode", "--generate", "--config", path], path, "YAML");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("-50")]
    [InlineData("Infinity")]
    public void AnInjectedSignalThatIsNotAFiniteNonNegativeCountIsRefused(string signal) =>
        Refusal.Expect(["toys", "--n", "10", "--signal", signal], "--signal", signal);

    /// <summary>The published OS spectrum at FPR 1 with a weight column: 1 everywhere except <paramref name="odd"/> on one event.</summary>
    private static string WeightedSpectrum(double odd, double rest = 1)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "data", "cms-dimuon-2016h", "cut_masses.csv");
        var lines = new List<string> { "dimu_mass,w" };
        foreach (var line in File.ReadLines(source).Skip(1))
        {
            var parts = line.Split(',');
            if (parts[0] != "os_cathode" || parts[1] != "1") continue;
            double w = lines.Count == 100 ? odd : rest;
            lines.Add($"{parts[2]},{w.ToString("R", CultureInfo.InvariantCulture)}");
        }
        string path = Temp("weighted.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void AWeightLargeEnoughToOverflowTheLikelihoodIsRefusedNotReportedConverged()
    {
        string file = WeightedSpectrum(1e300);
        Refusal.Expect(["bumphunt", "--masses", file, "--weights", "w"], file, "likelihood is not finite", "the weights reach 1E+300");
    }

    [Fact]
    public void WeightsThatAreAllZeroSayTheWeightedSpectrumIsEmpty()
    {
        string file = WeightedSpectrum(0, rest: 0);
        Refusal.Expect(["bumphunt", "--masses", file, "--weights", "w"], file, "every weight in 'w'", "is 0");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void ANegativeOrMissingWeightNamesTheRow(double odd)
    {
        string file = WeightedSpectrum(odd);
        Refusal.Expect(["bumphunt", "--masses", file, "--weights", "w"], file, "weight 'w'", "finite and non-negative");
    }

    /// <summary>CATHODE inputs (mass and the three features) with the sidebands well filled; <paramref name="edit"/> alters one row.</summary>
    private static string CathodeEvents(Func<int, double[], double[]> edit)
    {
        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        var rng = new Random(11);
        for (int i = 0; i < 3000; i++)
        {
            double[] row = [5 + 11 * rng.NextDouble(), 20 + 40 * rng.NextDouble(), 0.01 * rng.NextDouble(), 0.01 * rng.NextDouble()];
            row = edit(i, row);
            lines.Add(string.Join(',', row.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        }
        string path = Temp("events.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void AConstantFeatureIsNamedBeforeAnyTraining()
    {
        string file = CathodeEvents((_, r) => [r[0], r[1], 0.004, r[3]]);
        Refusal.Expect(["cathode", "--data", file, "--preset", "quick", "--out", Temp("out")], file, "column 'mu0_ip3d' is constant", "0.004");
    }

    [Fact]
    public void AnAbsurdFeatureValueIsRefusedWithTheRule()
    {
        string file = CathodeEvents((i, r) => i == 1234 ? [r[0], 1e300, r[2], r[3]] : r);
        Refusal.Expect(["cathode", "--data", file, "--preset", "quick", "--out", Temp("out")], file, "column 'dimu_pt' is 1E+300",
            "at most 1,000 are accepted");
    }

    [Fact]
    public void AnInfiniteFeatureValueNamesRowAndColumn()
    {
        string file = CathodeEvents((i, r) => i == 7 ? [r[0], r[1], r[2], double.PositiveInfinity] : r);
        Refusal.Expect(["cathode", "--data", file, "--preset", "quick", "--out", Temp("out")], file, "'mu1_ip3d'", "must be finite");
    }
}
