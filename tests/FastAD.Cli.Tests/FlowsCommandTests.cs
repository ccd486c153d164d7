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

    [Fact]
    public void TrainFlowRqsEnsembleFromAConfigFileWarnsAboutConditionsOutsideTheTrainingRange()
    {
        string config = Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(config, "transform: rqs\nblocks: 2\nhidden: 8\nbins: 5\ntail_bound: 4\npermutation: random\nensemble: 2\noptimizer: adamw\nepochs: 2\nvalidation: 0.5\n");
        string path = Path.ChangeExtension(config, ".json");
        var (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d,mu1_ip3d", "--condition", "dimu_mass",
            "--config", config, "--quiet", "--out", path);
        Assert.True(code == 0, output);
        var (ensemble, s) = FastAD.Flows.FlowFile.LoadEnsemble(path);
        File.Delete(path);
        Assert.Equal(2, ensemble.Members.Count);
        var members = ensemble.Members.Cast<FastAD.Flows.AutoregressiveFlow>().ToArray();
        Assert.All(members, m => Assert.Equal((2, 8, 5, 4.0, FastAD.Flows.FlowPermutation.Random),
            (m.Transforms, m.Blocks[0].H, m.Blocks[0].Bins, m.Blocks[0].TailBound, m.Permutation)));
        Assert.NotEqual(members[0].Parameters().First().Value, members[1].Parameters().First().Value);
        // Every row outside the recorded (standardised) training range is a validation row: count them from the table.
        var range = ensemble.ConditionRange!;
        var masses = File.ReadLines(Features).Skip(1).Select(l => (double.Parse(l.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture) - s!.ConditionMean[0]) / s.ConditionStd[0]);
        int outside = masses.Count(m => m < range.Min[0] || m > range.Max[0]);
        Assert.True(outside > 0, "pick a seed that puts an extreme mass in the validation half");
        Assert.Contains($"warning: {outside} validation rows have conditions outside the training range", output);

        File.WriteAllText(config, "transform: rqs\nbins: 5\ntail_bond: 4\n");
        (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains("line 3", output);
        Assert.Contains("tail_bond", output);
        Assert.Contains("tail_bound", output);
        File.WriteAllText(config, "transform: glow\n");
        (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d", "--config", config);
        File.Delete(config);
        Assert.Equal(2, code);
        Assert.Contains("expected affine, affine-nflows or rqs", output);
        (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d", "--transform", "rqs", "--bins", "1");
        Assert.Equal(2, code);
        Assert.Contains("--bins must be at least 2", output);
    }
}
