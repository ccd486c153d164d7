using System.Globalization;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: the signal injection of <c>fastad cathode --inject N1,N2,... [--signal FILE]</c> (issue 18,
/// item 3). Each is refused before anything is trained.
/// </summary>
public sealed class InjectionCatalogue
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-catalogue").FullName, name);

    /// <summary>Dimuon-like events over 5–16 GeV with features that vary.</summary>
    private static string Events(int rows, double massLow = 5, double massWidth = 11)
    {
        string path = Temp("events.csv");
        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        for (int i = 0; i < rows; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{massLow + massWidth * ((i * 7919) % rows) / rows},{25 + (i * 31 % 97) * 0.5},{0.001 + (i * 13 % 101) * 1e-4},{0.002 + (i * 17 % 103) * 1e-4}"));
        File.WriteAllLines(path, lines);
        return path;
    }

    [Theory]
    [InlineData("-5", "got '-5'")]
    [InlineData("10,abc", "got 'abc'")]
    [InlineData("2.5", "got '2.5'")]
    [InlineData(",", "--inject expects signal counts separated by commas")]
    public void CountsThatAreNotWholeNonNegativeNumbersAreRefused(string counts, string named) =>
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--inject", counts, "--out", Temp("out")], "--inject", named);

    [Fact]
    public void ASignalFileWithoutInjectIsRefused() =>
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--signal", Events(100), "--out", Temp("out")], "--signal gives the events --inject mixes into the data");

    [Fact]
    public void InjectingIntoAFileNeedsTheSignal() =>
        Refusal.Expect(["cathode", "--data", Events(3000), "--preset", "quick", "--inject", "0,100", "--out", Temp("out")], "--inject on --data needs the signal events", "--signal FILE");

    [Fact]
    public void ASignalFileSmallerThanTheLargestCountIsRefused()
    {
        string signal = Events(40, 9.2, 1.2);
        Refusal.Expect(["cathode", "--data", Events(3000), "--signal", signal, "--preset", "quick", "--inject", "10,50", "--out", Temp("out")],
            signal, "asks for 50 signal events but the signal sample has 40");
    }

    [Fact]
    public void ASignalFileWithoutTheColumnsNamesThem()
    {
        string bad = Temp("signal.csv");
        File.WriteAllText(bad, "dimu_mass,dimu_pt\n9.5,30\n9.6,31\n");
        Refusal.Expect(["cathode", "--data", Events(3000), "--signal", bad, "--preset", "quick", "--inject", "1", "--out", Temp("out")], bad, "missing columns", "mu0_ip3d");
    }

    [Fact]
    public void TheSameSignChannelIsNotInjected() =>
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--channel", "ss", "--inject", "0,10", "--out", Temp("out")], "--inject searches the OS channel");

    [Fact]
    public void AControlFileIsNotSilentlyDropped() =>
        Refusal.Expect(["cathode", "--data", Events(3000), "--control", Events(3000), "--signal", Events(40, 9.2, 1.2), "--preset", "quick", "--inject", "10", "--out", Temp("out")],
            "--control is not used by --inject");

    [Fact]
    public void ASignalFileWithBackgroundRowsIsRefused()
    {
        string signal = Temp("signal.csv");
        File.WriteAllText(signal, "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d,is_signal\n9.4,40,0.001,0.002,1\n9.5,30,0.01,0.003,0\n9.6,35,0.002,0.001,1\n");
        Refusal.Expect(["cathode", "--data", Events(3000), "--signal", signal, "--preset", "quick", "--inject", "1", "--out", Temp("out")],
            signal, "1 of its 3 rows have truth ≠ 1", "--signal must hold signal events only");
    }

    [Fact]
    public void PreIsolationFiguresAndInjectionAreNotCombined() =>
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--inject", "0,10", "--pre-isolation-masses", Events(100), "--out", Temp("out")],
            "run the signal injection (--inject) without it");
}
