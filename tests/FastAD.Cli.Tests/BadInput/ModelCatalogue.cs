using FastAD.Flows;
using FastAD.Kernels.Random;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: saved models (issue 14, item 5). Commands that load a model they cannot retrain (<c>flow-latent
/// --flow</c>, <c>cathode pseudo</c> with the main run's models) refuse a corrupt, older or other model's file, naming
/// it and what was expected; <c>cathode --reuse</c> retrains it, saying so.
/// </summary>
public sealed class ModelCatalogue : IClassFixture<ModelCatalogue.CathodeRun>, IDisposable
{
    private readonly CathodeRun run;
    private readonly string dir = Directory.CreateTempSubdirectory("fastad-model-catalogue").FullName;

    public ModelCatalogue(CathodeRun run) => this.run = run;

    public void Dispose() => Directory.Delete(dir, true);

    private static string Features => Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv");

    /// <summary>A tiny CATHODE run on generated OS and SS samples, through the command, shared by the cases that need saved models.</summary>
    public sealed class CathodeRun : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("fastad-model-catalogue-run").FullName;
        public string Config => Path.Combine(Dir, "tiny.yaml");

        public CathodeRun()
        {
            File.WriteAllText(Config, "flows:\n  ensemble: 1\n  epochs: 2\n  blocks: 2\nbdt:\n  members: 2\n  max_rounds: 10\nstatistics:\n  fpr_points: 3\n  variation_degrees: [5]\n  variation_bins: [12]\n");
            var (code, output) = CliRunner.Run("cathode", "--generate", "--preset", "quick", "--config", Config, "--out", Path.Combine(Dir, "out"), "--quiet");
            Assert.True(code == 0, output);
        }

        public void Dispose() => Directory.Delete(Dir, true);
    }

    /// <summary>A copy of the shared run's output folder, for one case to damage.</summary>
    private string CopyOfTheRun()
    {
        string target = Path.Combine(dir, "out");
        Directory.CreateDirectory(Path.Combine(target, "models"));
        foreach (var f in Directory.GetFiles(Path.Combine(run.Dir, "out", "models"))) File.Copy(f, Path.Combine(target, "models", Path.GetFileName(f)));
        return target;
    }

    private string[] Pseudo(string outDir, string retrain) =>
        ["cathode", "pseudo", "--generate", "--preset", "quick", "--config", run.Config, "--out", outDir, "--n", "1", "--mode", "null", "--retrain", retrain, "--quiet"];

    /// <summary>A flow file as <c>train-flow</c> writes it (three features given the mass).</summary>
    private string FlowFileForLatent()
    {
        string path = Path.Combine(dir, "flow.json");
        var flow = new Spec13AffineMaf(3, 1, 6, 2, seed: 3);
        var x = new double[30];
        var c = new double[10];
        Philox4x32.FillNormal(x, 3, 1);
        Philox4x32.FillNormal(c, 3, 2);
        flow.UpdateRunningStatistics(x, c, 10);
        FlowFile.Save(path, new FlowEnsemble([flow], ConditionRange.Of(c, 1)), new Standardization([0, 0, 0], [1, 1, 1], [0], [1]),
            ["dimu_pt", "mu0_ip3d", "mu1_ip3d"], ["dimu_mass"], new FastAD.Kernels.IO.ModelIdentity("train-flow", null, null, "0123456789abcdef"));
        return path;
    }

    private static void ReplaceFirstParameter(string path, string value)
    {
        string text = File.ReadAllText(path);
        int start = text.IndexOf("\"parameters\":[[", StringComparison.Ordinal) + "\"parameters\":[[".Length;
        File.WriteAllText(path, text[..start] + value + text[text.IndexOfAny([',', ']'], start)..]);
    }

    private string[] Latent(string flow) => ["flow-latent", "--flow", flow, "--data", Features, "--out", Path.Combine(dir, "z.csv")];

    [Fact]
    public void FlowLatentLoadsAnIntactFlowFile() => Assert.Equal(0, CliRunner.Run(Latent(FlowFileForLatent())).Code);

    [Fact]
    public void FlowLatentRefusesAFlowFileWhoseChecksumDoesNotMatch()
    {
        string flow = FlowFileForLatent();
        string text = File.ReadAllText(flow);
        int digit = text.IndexOfAny("123456789".ToCharArray(), text.IndexOf("\"parameters\":[[", StringComparison.Ordinal));
        File.WriteAllText(flow, text[..digit] + (char)('1' + (text[digit] - '0') % 9) + text[(digit + 1)..]);
        Refusal.Expect(Latent(flow), $"{flow} is corrupt: its checksum does not match its content (saved sha256:");
    }

    [Fact]
    public void FlowLatentRefusesAFlowFileWithAnInfiniteWeight()
    {
        string flow = FlowFileForLatent();
        ReplaceFirstParameter(flow, "1e999");
        Refusal.Expect(Latent(flow), $"{flow} is corrupt: parameter array 0, value 0 is +Infinity");
    }

    [Fact]
    public void FlowLatentRefusesATruncatedFlowFile()
    {
        string flow = FlowFileForLatent();
        string text = File.ReadAllText(flow);
        File.WriteAllText(flow, text[..(text.Length / 2)]);
        Refusal.Expect(Latent(flow), $"{flow} is corrupt: it is not valid JSON (truncated or damaged)");
    }

    [Fact]
    public void FlowLatentRefusesAFlowFileOfAnOlderFastAD()
    {
        string flow = FlowFileForLatent();
        File.WriteAllText(flow, File.ReadAllText(flow).Replace("\"version\":3", "\"version\":2", StringComparison.Ordinal));
        Refusal.Expect(Latent(flow), $"{flow} was written by an older FastAD (flow format version 2, without identity or checksum); expected flow format version 3");
    }

    [Fact]
    public void PseudoexperimentsRefuseTheSsFlowCopiedOverTheOsOne()
    {
        string outDir = CopyOfTheRun();
        string os = Path.Combine(outDir, "models", "flow-os-0.json");
        File.Copy(Path.Combine(outDir, "models", "flow-ss-0.json"), os, true);
        Refusal.Expect(Pseudo(outDir, "bdt"), $"{os} was trained for channel SS, not OS; expected cathode OS member 0, inputs ",
            "Run `fastad cathode --reuse`");
    }

    [Fact]
    public void PseudoexperimentsWithTheSavedEnsembleRefuseTheSsBdtCopiedOverTheOsOne()
    {
        string outDir = CopyOfTheRun();
        string os = Path.Combine(outDir, "models", "bdt-os.json");
        File.Copy(Path.Combine(outDir, "models", "bdt-ss.json"), os, true);
        Refusal.Expect(Pseudo(outDir, "none"), $"{os} was trained for channel SS, not OS; expected cathode OS, inputs ",
            "Run `fastad cathode --reuse`");
    }

    [Fact]
    public void PseudoexperimentsRefuseACorruptFlow()
    {
        string outDir = CopyOfTheRun();
        string os = Path.Combine(outDir, "models", "flow-os-0.json");
        ReplaceFirstParameter(os, "\"NaN\"");
        Refusal.Expect(Pseudo(outDir, "bdt"), $"{os} is corrupt: parameter array 0, value 0 is NaN; expected cathode OS member 0, inputs ",
            "Run `fastad cathode --reuse`");
    }

    [Fact]
    public void ReuseRetrainsACorruptFlowAndSaysSo()
    {
        string outDir = CopyOfTheRun();
        string os = Path.Combine(outDir, "models", "flow-os-0.json");
        var before = File.ReadAllBytes(os);
        File.WriteAllBytes(os, before[..(before.Length / 2)]);
        var (code, output, error) = CliRunner.RunSplit("cathode", "--generate", "--preset", "quick", "--config", run.Config, "--out", outDir, "--reuse");
        Assert.True(code == 0, output + error);
        Assert.Contains($"{os} is corrupt: it is not valid JSON (truncated or damaged)", output + error);
        Assert.Contains("retraining", output + error);
        Assert.Equal(before, File.ReadAllBytes(os));
    }

    /// <summary>A flow file as CONRAD writes it (MET as the condition, its preprocessing saved), with the preprocessing's numbers changed by <paramref name="edit"/>.</summary>
    private string ConradFlowFile(Action<Dictionary<string, double[]>> edit, string kind = "conrad-v1")
    {
        string path = Path.Combine(dir, "conrad-flow.json");
        var flow = new NflowsMaf(3, 1, 8, 2, AutoregressiveTransform.RationalQuadratic, 4, 3.0, seed: 5);
        var values = new Dictionary<string, double[]>
        {
            ["bounded"] = [0, 1, 1], ["mean"] = [4, 0, 0], ["std"] = [1, 1, 1], ["slope"] = [0.1, 0, 0], ["residual_std"] = [1, 1, 1],
            ["condition"] = [700, 0.5, 0.4, 2.5],
        };
        edit(values);
        FlowFile.Save(path, new FlowEnsemble([flow], ConditionRange.Of(new double[] { -1, 1 }, 1)), featureNames: ["m_J", "tau21", "tau32"], conditionNames: ["MET"],
            preprocessing: new FlowPreprocessing(kind, values));
        return path;
    }

    private string ConradTable()
    {
        string csv = Path.Combine(dir, "conrad.csv");
        File.WriteAllText(csv, "MET,m_J,tau21,tau32\n800,120,0.4,0.6\n1200,80,0.5,0.3\n");
        return csv;
    }

    [Fact]
    public void FlowLatentMapsRawColumnsThroughAConradFlowsPreprocessing() =>
        Assert.Equal(0, CliRunner.Run(["flow-latent", "--flow", ConradFlowFile(_ => { }), "--data", ConradTable(), "--out", Path.Combine(dir, "z.csv")]).Code);

    [Fact]
    public void FlowLatentRefusesAConradFlowWhosePreprocessingLacksANumber()
    {
        string flow = ConradFlowFile(v => v.Remove("slope"));
        Refusal.Expect(["flow-latent", "--flow", flow, "--data", ConradTable(), "--out", Path.Combine(dir, "z.csv")],
            $"{flow}: the preprocessing's 'slope' is missing, not 3 finite numbers long, or damaged");
    }

    [Fact]
    public void FlowLatentRefusesAFlowWithAPreprocessingItDoesNotKnow()
    {
        string flow = ConradFlowFile(_ => { }, kind: "lacathode-v7");
        Refusal.Expect(["flow-latent", "--flow", flow, "--data", ConradTable(), "--out", Path.Combine(dir, "z.csv")],
            $"{flow} holds preprocessing 'lacathode-v7', which this FastAD does not know; expected conrad-v1");
    }

    [Fact]
    public void FlowLatentRefusesANonPositiveMetForAConradFlow()
    {
        string csv = Path.Combine(dir, "conrad-bad.csv");
        File.WriteAllText(csv, "MET,m_J,tau21,tau32\n800,120,0.4,0.6\n-5,80,0.5,0.3\n");
        Refusal.Expect(["flow-latent", "--flow", ConradFlowFile(_ => { }), "--data", csv, "--out", Path.Combine(dir, "z.csv")],
            $"{csv}: the condition column MET holds values ≤ 0; CONRAD's flows are conditioned on ln MET");
    }

    [Fact]
    public void FlowLatentRefusesAConradFlowWhosePreprocessingIsIncomplete()
    {
        string flow = ConradFlowFile(_ => { });
        string text = File.ReadAllText(flow);
        int start = text.IndexOf("\"values\":{", StringComparison.Ordinal);
        File.WriteAllText(flow, text[..start] + "\"values\":null" + text[(text.IndexOf('}', start) + 1)..]);
        Refusal.Expect(["flow-latent", "--flow", flow, "--data", ConradTable(), "--out", Path.Combine(dir, "z.csv")],
            $"{flow} is corrupt: its preprocessing is incomplete (expected a kind and named arrays of numbers)");
    }

    [Fact]
    public void FlowLatentRefusesANonPositiveJetMassForAConradFlow()
    {
        string csv = Path.Combine(dir, "conrad-mj.csv");
        File.WriteAllText(csv, "MET,m_J,tau21,tau32\n800,120,0.4,0.6\n900,0,0.5,0.3\n");
        Refusal.Expect(["flow-latent", "--flow", ConradFlowFile(_ => { }), "--data", csv, "--out", Path.Combine(dir, "z.csv")],
            $"{csv}: m_J is 0 at data row 2; CONRAD's flows take the logarithm of it, so it must be positive");
    }
}
