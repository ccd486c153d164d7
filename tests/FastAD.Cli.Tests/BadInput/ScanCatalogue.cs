using System.Globalization;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue of the mass scan (issue 17) and its generator: ranges, window files, FPR sets and injections that
/// are wrong. Each case checks exit 2, a message naming the thing and what was expected, and no trace; all fail before
/// anything trains.
/// </summary>
public sealed class ScanCatalogue
{
    private static string Temp(string name, string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("fastad-scan-catalogue").FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Out() => Path.Combine(Directory.CreateTempSubdirectory("fastad-scan-out").FullName, "out");

    [Fact]
    public void ARangeWithoutRoomForOneWindowSaysWhatAWindowNeeds() =>
        Refusal.Expect(["scan", "--generate", "--range", "2:2.5", "--out", Out()], "--range 2:2.5 has no room for one window", "30 bins of 1 %", "high ≥ 2.69");

    [Theory]
    [InlineData("20:2")]
    [InlineData("2-20")]
    [InlineData("a:b")]
    public void ARangeThatIsNotLoToHiIsRefused(string range) =>
        Refusal.Expect(["scan", "--generate", "--range", range, "--out", Out()], $"--range '{range}'", "expected LO:HI");

    [Fact]
    public void OverlappingBandsInAWindowFileNameTheLine()
    {
        string file = Temp("windows.csv", "sbl_low,sr_low,sr_high,sbh_high\n8,9,10,11\n9,10.5,10,12\n");
        Refusal.Expect(["scan", "--generate", "--windows", file, "--out", Out()], file, "line 3", "overlap", "expected sbl_low < sr_low < sr_high < sbh_high");
    }

    [Fact]
    public void TwoWindowsWithOneSignalRegionAreRefused()
    {
        string file = Temp("windows.csv", "sbl_low,sr_low,sr_high,sbh_high\n8,9,10,11\n8.5,9,10,12\n");
        Refusal.Expect(["scan", "--generate", "--windows", file, "--out", Out()], file, "line 2 and line 3", "the same signal region");
    }

    [Fact]
    public void AWindowFileWithoutTheEdgeColumnsNamesThem()
    {
        string file = Temp("windows.csv", "low,high\n8,9\n");
        Refusal.Expect(["scan", "--generate", "--windows", file, "--out", Out()], file, "missing columns 'sbl_low', 'sr_low', 'sr_high', 'sbh_high'");
    }

    [Fact]
    public void AWindowWhoseSidebandsAreEmptyIsNamed()
    {
        // Events only in 9-10 GeV: the window's sidebands [8, 9) and [10, 11] are empty.
        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        for (int i = 0; i < 300; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{9 + (i + 0.5) / 300},{30 + i % 17},{0.001 * (1 + i % 13)},{0.002 * (1 + i % 11)}"));
        string data = Temp("data.csv", string.Join("\n", lines) + "\n");
        string file = Temp("windows.csv", "sbl_low,sr_low,sr_high,sbh_high\n8,9,10,11\n");
        Refusal.Expect(["scan", "--data", data, "--windows", file, "--out", Out()], "window 0 (SBL [8, 9), SR [9, 10), SBH [10, 11])",
            "0 events in the low and 0 in the high sideband", "at least 50");
    }

    [Theory]
    [InlineData("1,2")]
    [InlineData("1,0")]
    [InlineData("1,x")]
    public void AnFprOutsideZeroToOneIsRefused(string fprs) =>
        Refusal.Expect(["scan", "--generate", "--fprs", fprs, "--out", Out()], $"--fprs '{fprs}'", "not an FPR in (0, 1]");

    [Fact]
    public void AnUnknownMethodNamesTheChoices() =>
        Refusal.Expect(["scan", "--generate", "--method", "salad", "--out", Out()], "scan.method: 'salad' is not available; expected cathode");

    [Theory]
    [InlineData("9.5")]
    [InlineData("9.5:0")]
    [InlineData("x:10")]
    public void AnInjectionThatIsNotMassColonCountIsRefused(string inject) =>
        Refusal.Expect(["scan", "--generate", "--inject", inject, "--out", Out()], $"--inject '{inject}'", "expected MASS:COUNT");

    [Fact]
    public void AnInjectionOutsideTheGeneratedRangeIsRefused() =>
        Refusal.Expect(["generate", "dimuon", "--range", "2:20", "--inject", "30:100", "-o", Path.Combine(Path.GetTempPath(), "never.csv")],
            "--inject 30:100", "inside the range (2, 20) GeV");

    [Fact]
    public void ScanGeneratorOptionsWithoutARangeAreRefused() =>
        Refusal.Expect(["generate", "dimuon", "--no-resonances", "-o", Path.Combine(Path.GetTempPath(), "never.csv")], "--no-resonances and --inject need --range");

    [Fact]
    public void AControlChannelIsRefusedRatherThanIgnored()
    {
        string data = Temp("data.csv", "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n9,30,0.001,0.002\n");
        Refusal.Expect(["scan", "--data", data, "--control", data, "--out", Out()], $"--control {data}", "does not use a control channel yet");
    }

    [Fact]
    public void InjectingIntoADataFileIsRefused()
    {
        string data = Temp("data.csv", "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n9,30,0.001,0.002\n");
        Refusal.Expect(["scan", "--data", data, "--inject", "9.5:10", "--out", Out()], "--inject change the generated spectrum", "--generate");
    }
}
