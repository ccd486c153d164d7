using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue for CONRAD's options of issue 20: the classifiers' folds (--folds, classifier.folds) and the
/// independent test set (--test FILE, generation.test_*). Each case checks exit 2, a message naming the thing and what
/// was expected, and no trace; a bad test file is refused before anything is generated or trained.
/// </summary>
public sealed class ConradInputCatalogue
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-catalogue-conrad").FullName, name);

    private static string File(string name, string text)
    {
        string path = Temp(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>CONRAD-like rows in the signal region with the given truth labels.</summary>
    private static string TestTable(string header, Func<int, string> row, int rows = 50) =>
        File("test.csv", header + "\n" + string.Join("\n", Enumerable.Range(0, rows).Select(row)) + "\n");

    [Fact]
    public void FoldsBelowTwoAreRefused() =>
        Refusal.Expect(["conrad", "--generate", "--folds", "1", "--out", Temp("out")], "--folds must be at least 2 (got 1", "the paper's data halves");

    [Fact]
    public void FoldsBelowTwoInTheConfigAreRefused() =>
        Refusal.Expect(["conrad", "--generate", "--config", File("c.yaml", "classifier:\n  folds: 0\n"), "--out", Temp("out")],
            "classifier.folds must be at least 2 (got 0");

    [Fact]
    public void ANegativeTestSetSizeIsRefused() =>
        Refusal.Expect(["conrad", "--generate", "--config", File("c.yaml", "generation:\n  test_background_events: -5\n"), "--out", Temp("out")],
            "generation.test_background_events must be ≥ 0 (got -5");

    [Fact]
    public void ATestSetWithoutSignalEventsIsRefused() =>
        Refusal.Expect(["conrad", "--generate", "--config", File("c.yaml", "generation:\n  test_signal_events: 0\n"), "--out", Temp("out")],
            "generation.test_signal_events must be positive when generation.test_background_events is");

    [Fact]
    public void AMissingTestFileIsNamed()
    {
        string missing = Temp("nope.csv");
        Refusal.Expect(["conrad", "--generate", "--test", missing, "--out", Temp("out")], $"--test {missing}: no such file");
    }

    [Fact]
    public void ATestFileWithoutATruthColumnNamesIt()
    {
        string file = TestTable("MET,m_J,tau21,tau32", i => $"{1100 + i},80,0.4,0.6");
        Refusal.Expect(["conrad", "--generate", "--test", file, "--out", Temp("out")], $"--test {file}: missing column 'is_signal'",
            "the independent test set needs MET, m_J, tau21, tau32, is_signal");
    }

    [Fact]
    public void ATestFileWithoutSignalInTheSignalRegionIsRefused()
    {
        // Signal only below the signal region: none left where the SIC is measured.
        string file = TestTable("MET,m_J,tau21,tau32,is_signal", i => i % 2 == 0 ? $"{1100 + i},80,0.4,0.6,0" : $"{800 + i},90,0.4,0.3,1");
        Refusal.Expect(["conrad", "--generate", "--test", file, "--out", Temp("out")], $"--test {file}: 0 signal and 25 background events in the signal region",
            "needs both");
    }

    [Fact]
    public void ATestFileWithATruthOtherThanZeroOrOneNamesTheRow()
    {
        string file = TestTable("MET,m_J,tau21,tau32,is_signal", i => $"{1100 + i},80,0.4,0.6,{(i == 3 ? "2" : (i % 2).ToString())}");
        Refusal.Expect(["conrad", "--generate", "--test", file, "--out", Temp("out")], $"--test {file}", "column 'is_signal' is 2", "must be 0 (background) or 1 (signal)");
    }

    [Fact]
    public void ANonFiniteFeatureInTheTestFileNamesRowAndColumn()
    {
        string file = TestTable("MET,m_J,tau21,tau32,is_signal", i => $"{1100 + i},{(i == 7 ? "NaN" : "80")},0.4,0.6,{i % 2}");
        Refusal.Expect(["conrad", "--generate", "--test", file, "--out", Temp("out")], $"--test {file}", "column 'm_J' is NaN", "positive and finite");
    }
}
