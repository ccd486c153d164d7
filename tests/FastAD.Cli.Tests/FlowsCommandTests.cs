using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

public class FlowsCommandTests
{
    private static string Features => Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv");

    [Fact]
    public void TrainFlowWritesALoadableFlowWithItsStandardisation()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.json");
        var (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d,mu1_ip3d", "--condition", "dimu_mass",
            "--epochs", "3", "--blocks", "2", "--hidden", "8", "--quiet", "--out", path);
        Assert.True(code == 0, output);
        Assert.Contains("best validation NLL", output);
        var (flow, standardization) = FastAD.Flows.FlowFile.LoadWithStandardization(path);
        File.Delete(path);
        Assert.Equal(3, flow.D);
        Assert.NotNull(standardization);
        Assert.Equal(3, standardization!.FeatureMean.Length);
    }

    [Fact]
    public void TrainFlowBadInputIsClear()
    {
        var (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt", "--epochs", "1");
        Assert.Equal(2, code);
        Assert.Contains("at least two feature columns", output);
        string nan = Path.Combine(Path.GetTempPath(), $"fastad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(nan, "a,b\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"{i},{(i == 12 ? "nan" : (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture))}\n")));
        (code, output) = CliRunner.Run("train-flow", "--data", nan, "--features", "a,b", "--epochs", "1");
        File.Delete(nan);
        Assert.Equal(2, code);
        Assert.Contains("line 14, column 'b'", output);
    }
}
