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

    /// <summary>300 events spread evenly over [<paramref name="low"/>, <paramref name="high"/>] GeV whose features vary (a table that loads; no truth column).</summary>
    private static string Spread(double low, double high, string name = "data.csv")
    {
        var lines = new List<string> { "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d" };
        for (int i = 0; i < 300; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{low + (high - low) * (i + 0.5) / 300},{30 + i % 17},{0.001 * (1 + i % 13)},{0.002 * (1 + i % 11)}"));
        return Temp(name, string.Join("\n", lines) + "\n");
    }

    private static string Varied() => Spread(2, 20);

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
        string data = Spread(9, 10);
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
        Refusal.Expect(["scan", "--generate", "--method", "cathode,salad", "--out", Out()], "--method must be cathode, cwola, anode, lacathode, idealized or supervised (got 'salad')");

    [Fact]
    public void AMethodListedTwiceIsRefused() =>
        Refusal.Expect(["scan", "--generate", "--method", "cwola,cathode,cwola", "--out", Out()], "--method 'cwola,cathode,cwola': a method is listed twice");

    [Fact]
    public void IdealizedOnADataFileWithoutABackgroundSampleSaysWhatToGive()
    {
        string data = Varied();
        Refusal.Expect(["scan", "--data", data, "--method", "cathode,idealized", "--out", Out()], "--method idealized needs a background-only sample", "--background FILE");
    }

    [Fact]
    public void SupervisedOnEventsWithoutTruthIsRefused()
    {
        string data = Varied();
        Refusal.Expect(["scan", "--data", data, "--method", "supervised", "--out", Out()], "--method supervised needs a truth column");
    }

    [Fact]
    public void ABackgroundSampleWithoutIdealizedIsRefusedRatherThanIgnored()
    {
        string data = Temp("data.csv", "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n9,30,0.001,0.002\n");
        Refusal.Expect(["scan", "--generate", "--background", data, "--out", Out()], "--background is used by --method idealized only");
    }

    [Fact]
    public void ABackgroundSampleMissingAColumnIsNamed()
    {
        string bkg = Temp("bkg.csv", "dimu_mass,dimu_pt,mu0_ip3d\n9,30,0.001\n");
        Refusal.Expect(["scan", "--generate", "--method", "idealized", "--background", bkg, "--out", Out()], bkg, "mu1_ip3d");
    }

    [Fact]
    public void ABackgroundSampleThatMissesAWindowsSignalRegionNamesTheWindow()
    {
        // Background events only in 9-10 GeV: the windows of --range 2:4 have none in their SRs.
        string bkg = Spread(9, 10, "bkg.csv");
        Refusal.Expect(["scan", "--generate", "--range", "2:4", "--method", "cathode,idealized", "--background", bkg, "--out", Out()],
            "window 0 (SBL [2, 2.2092)", "has 0 events in this window's SR", "covers the scanned range");
    }

    [Fact]
    public void FitOnlyWithAMethodIsRefused() =>
        Refusal.Expect(["scan", "--generate", "--fit-only", "--method", "cwola", "--out", Out()], "--fit-only runs the plain bump hunt alone");

    [Fact]
    public void PseudoScansOfAMethodOtherThanCathodeAreRefused() =>
        Refusal.Expect(["scan", "pseudo", "--generate", "--method", "cwola,cathode", "--n", "2", "--out", Out()], "scan pseudo redoes the scan's first method", "put cathode first in --method");

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

    // Null pseudo-scans (`fastad scan pseudo`) and their merge.

    private static string ScanHeader(string fprs = "[1,0.1,0.01]", int shardIndex = 0, int shardCount = 1) =>
        "{\"format\":\"fastad-scan-pseudo\",\"version\":1,\"count\":4,\"seed\":1,\"input\":\"x.csv\",\"dataEvents\":100,\"fprs\":" + fprs +
        ",\"windows\":2,\"upcrossingLevel\":1,\"configDigest\":\"0123456789abcdef\",\"config\":\"seed: 1\\n\",\"flows\":\"trained\",\"observed\":null,\"observedPerFpr\":null," +
        $"\"shardIndex\":{shardIndex},\"shardCount\":{shardCount}}}";

    private static string ShardFolder(params (string Name, string Text)[] files)
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("fastad-scan-shards").FullName, "pseudo");
        Directory.CreateDirectory(dir);
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
        return Path.GetDirectoryName(dir)!;
    }

    [Fact]
    public void PseudoScanShardsOfDifferentFprSetsAreNotMerged()
    {
        string run = ShardFolder(("scan-null-shard-0-of-2.jsonl", ScanHeader() + "\n"), ("scan-null-shard-1-of-2.jsonl", ScanHeader("[1,0.05]", 1, 2) + "\n"));
        Refusal.Expect(["merge", run, "--out", Out()], "Refusing to merge", "scan-null-shard-1-of-2.jsonl", "they come from different runs (FPR set: {1, 0.1, 0.01} vs {1, 0.05})");
    }

    [Fact]
    public void APseudoScanShardMixedWithCathodePseudoexperimentsIsRefused()
    {
        const string cathode = """{"format":"fastad-pseudo","version":3,"mode":"null","retrain":"bdt","count":3,"seed":1,"channel":"OS","input":"x.csv","dataEvents":10,"fprs":[1,0.1],"configDigest":"0123456789abcdef","config":"seed: 1\n","shardIndex":0,"shardCount":1}""";
        string run = ShardFolder(("scan-null-shard-0-of-1.jsonl", ScanHeader() + "\n"), ("zz-null-bdt-shard-0-of-1.jsonl", cathode + "\n"));
        Refusal.Expect(["merge", run, "--out", Out()], "zz-null-bdt-shard-0-of-1.jsonl is not a FastAD pseudo-scan file (format 'fastad-pseudo'");
    }

    [Fact]
    public void APseudoScanRecordOfTheWrongShapeNamesItsLine()
    {
        string run = ShardFolder(("scan-null-shard-0-of-1.jsonl", ScanHeader() + "\n" + """{"index":0,"events":100,"t":1,"window":0,"fpr":1,"z":[[1,0]],"reweightedZ":[0,0]}""" + "\n"));
        Refusal.Expect(["merge", run, "--out", Out()], "scan-null-shard-0-of-1.jsonl line 2: not a pseudo-scan record (expected 3 local-Z curves of 2 windows");
    }

    [Fact]
    public void PseudoScansNeedAtLeastOne() =>
        Refusal.Expect(["scan", "pseudo", "--generate", "--range", "8:12", "--n", "0", "--out", Out()], "--n must be at least 1 (got 0)");

    [Fact]
    public void APseudoScanShardOutsideItsCountIsRefused() =>
        Refusal.Expect(["scan", "pseudo", "--generate", "--shard", "3/2", "--out", Out()], "--shard 3/2: need 0 ≤ i < K");

    [Fact]
    public void PseudoScansFromAMissingObservedScanAreRefused()
    {
        string missing = Path.Combine(Path.GetTempPath(), "fastad-no-such-scan-" + Guid.NewGuid().ToString("N"));
        Refusal.Expect(["scan", "pseudo", "--generate", "--from", missing, "--out", Out()], $"--from {missing}: no such folder", "the --out folder of the observed `fastad scan`");
    }

    [Fact]
    public void PseudoScansOfAnotherConfigurationThanTheObservedScanAreRefused()
    {
        // The observed scan searched FPR 1 alone; pseudo-scans of the default set {1, 0.1, 0.01} would be another statistic.
        string observed = Out();
        var (code, _, error) = CliRunner.RunSplit(["scan", "--generate", "--range", "8:12", "--fit-only", "--fprs", "1", "--preset", "quick", "--out", observed, "--quiet"]);
        Assert.True(code == 0, error);
        Refusal.Expect(["scan", "pseudo", "--generate", "--range", "8:12", "--preset", "quick", "--from", observed, "--out", Out()],
            Path.Combine(observed, "results.json"), "the observed scan ran with another configuration (configuration line", "fprs", "give the pseudo-scans the observed scan's");
    }
}
