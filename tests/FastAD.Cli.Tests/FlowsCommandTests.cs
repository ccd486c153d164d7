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
        var members = ensemble.Members.Cast<FastAD.Flows.NflowsMaf>().ToArray();
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

    [Fact]
    public void FlowLatentWritesZAndCountsConditionsOutsideTheTrainingRange()
    {
        string flowFile = Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.json");
        var (code, output) = CliRunner.Run("train-flow", "--data", Features, "--features", "dimu_pt,mu0_ip3d,mu1_ip3d", "--condition", "dimu_mass",
            "--transform", "rqs", "--blocks", "2", "--hidden", "8", "--epochs", "1", "--quiet", "--out", flowFile);
        Assert.True(code == 0, output);
        // The reference rows plus two with masses far outside the data.
        var lines = File.ReadAllLines(Features);
        string table = Path.ChangeExtension(flowFile, ".csv");
        var extra = lines[1].Split(',');
        extra[0] = "40";
        var extra2 = (string[])extra.Clone();
        extra2[0] = "1";
        File.WriteAllLines(table, lines.Append(string.Join(',', extra)).Append(string.Join(',', extra2)));
        string zFile = Path.ChangeExtension(flowFile, ".z.csv");
        (code, output) = CliRunner.Run("flow-latent", "--flow", flowFile, "--data", table, "--out", zFile);
        Assert.True(code == 0, output);

        var saved = FastAD.Flows.FlowFile.LoadSaved(flowFile);
        var s = saved.Standardization!;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var rows = lines.Skip(1).Select(l => l.Split(',')).Append(extra).Append(extra2).ToArray();
        int[] columns = [1, 7, 8];     // dimu_pt, mu0_ip3d, mu1_ip3d
        var x = rows.SelectMany(r => columns.Select((col, j) => (double.Parse(r[col], inv) - s.FeatureMean[j]) / s.FeatureStd[j])).ToArray();
        var c = rows.Select(r => (double.Parse(r[0], inv) - s.ConditionMean[0]) / s.ConditionStd[0]).ToArray();
        var range = saved.Ensemble.ConditionRange!;
        int outside = c.Count(v => v < range.Min[0] || v > range.Max[0]);
        Assert.True(outside >= 2);
        Assert.Contains($"warning: {outside} rows have conditions outside the training range", output);
        var z = new double[x.Length];
        var logDet = new double[c.Length];
        saved.Ensemble.Members[0].Latent(x, c, z, logDet, saved.Ensemble.Members[0].NewFlowPass(c.Length));
        var written = File.ReadAllLines(zFile);
        Assert.Equal("z_0,z_1,z_2,log_det,log_prob", written[0]);
        Assert.Equal(rows.Length, written.Length - 1);
        foreach (int k in new[] { 0, 1000, rows.Length - 1 })
        {
            var v = written[k + 1].Split(',').Select(e => double.Parse(e, inv)).ToArray();
            Assert.Equal(z[3 * k], v[0], 12);
            Assert.Equal(z[3 * k + 2], v[2], 12);
            Assert.Equal(logDet[k], v[3], 12);
        }
        (code, output) = CliRunner.Run("flow-latent", "--flow", flowFile, "--data", table, "--out", zFile, "--member", "3");
        Assert.Equal(2, code);
        Assert.Contains("holds 1 flow(s)", output);
        foreach (var f in new[] { flowFile, table, zFile }) File.Delete(f);
    }
}
