using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: the events before the anti-isolation cut of <c>fastad cathode --pre-isolation</c> and
/// <c>--pre-isolation-masses</c> (issue 20, item 8). Each is refused before anything is trained.
/// </summary>
public sealed class PreIsolationCatalogue
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-catalogue").FullName, name);

    private static string Write(string name, string text)
    {
        string path = Temp(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void AFileWithoutTheFeatureColumnsNamesThem()
    {
        string bad = Write("pre.csv", "dimu_mass,dimu_pt\n9.5,30\n9.7,31\n");
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation", bad, "--out", Temp("out")], bad, "--pre-isolation", "missing columns", "mu0_ip3d");
    }

    [Fact]
    public void ANonFiniteFeatureNamesTheRowAndColumn()
    {
        string bad = Write("pre.csv", "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n9.5,30,0.01,0.02\n9.7,NaN,0.01,0.03\n");
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation", bad, "--out", Temp("out")], bad, "'dimu_pt'", "must be finite");
    }

    [Fact]
    public void AFileWithNoSignalRegionEventsSaysWhatItShouldHold()
    {
        string bad = Write("pre.csv", "dimu_mass,dimu_pt,mu0_ip3d,mu1_ip3d\n5.5,30,0.01,0.02\n12.7,31,0.02,0.03\n");
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation", bad, "--out", Temp("out")], bad, "none of its 2 events is in the signal region");
    }

    [Fact]
    public void ASelectionWithoutAMassFileIsRefused() =>
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation-where", "selection=os_no_isolation", "--out", Temp("out")],
            "--pre-isolation-where selects rows of --pre-isolation-masses FILE");

    [Fact]
    public void ASelectionThatMatchesNothingNamesIt()
    {
        string masses = Path.Combine(ReferenceData.Folder, "cut_masses.csv");
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation-masses", masses, "--pre-isolation-where", "selection=os_no_isolatoin", "--out", Temp("out")],
            "no rows match selection=os_no_isolatoin");
    }

    [Fact]
    public void AMassFileWithoutTheMassColumnNamesIt()
    {
        string bad = Write("m.csv", "mass\n9.5\n");
        Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--pre-isolation-masses", bad, "--out", Temp("out")], bad, "dimu_mass");
    }
}
