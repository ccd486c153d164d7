using FastAD.Analyses.Cathode;
using FastAD.Kernels.IO;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// Under --reuse every saved model file is checked (checksum, finite weights, identity): a damaged one, one copied from
/// the other channel or another run, or one an older FastAD wrote, is retrained with a note naming it; pseudoexperiments,
/// which must not replace the main run's models, refuse it (issue 14, item 5).
/// </summary>
public sealed class ModelReuseTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("fastad-cathode-models").FullName;
    private readonly string other = Directory.CreateTempSubdirectory("fastad-cathode-models").FullName;

    public void Dispose()
    {
        Directory.Delete(dir, true);
        Directory.Delete(other, true);
    }

    /// <summary>The quick preset with two-block flows and two short BDTs per fold: seconds per run.</summary>
    private static CathodeConfig Tiny(ulong seed = 1)
    {
        var c = CathodeConfig.Quick();
        c.Seed = seed;
        c.Flows.Epochs = 2;
        c.Flows.Blocks = 2;
        c.Bdt.Members = 2;
        c.Bdt.MaxRounds = 20;
        return c;
    }

    private static (CathodeResults R, List<string> Notes) Run(CathodeConfig c, CathodeChannelData os, CathodeChannelData? ss, string outDir)
    {
        var notes = new List<string>();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) lock (notes) notes.Add(p.Note); });
        var (r, _, _) = CathodeAnalysis.Run(new CathodeRequest(c, os, ss, outDir, true, "test", "generated"), FastAD.Kernels.Cpu.CpuDevice.Instance, progress);
        return (r, notes);
    }

    private static void FlipADigit(string file)
    {
        string text = File.ReadAllText(file);
        int digit = text.IndexOfAny("123456789".ToCharArray(), text.IndexOf("\"parameters\":[[", StringComparison.Ordinal));
        File.WriteAllText(file, text[..digit] + (char)('1' + (text[digit] - '0') % 9) + text[(digit + 1)..]);
    }

    private string Model(string name) => Path.Combine(dir, "models", name);

    [Fact]
    public void ReuseRetrainsSwappedCorruptedAndOlderModelsNamingThemAndPseudoexperimentsRefuseThem()
    {
        var c = Tiny();
        Assert.True(c.Flows.Ensemble >= 2);
        var (os, ss) = CathodeData.Generate(c);
        Run(c, os, ss, dir);
        var flow0 = File.ReadAllBytes(Model("flow-os-0.json"));
        var flow1 = File.ReadAllBytes(Model("flow-os-1.json"));
        var bdt = File.ReadAllBytes(Model("bdt-os.json"));

        // The SS flow copied over the OS one, and a flipped digit in another OS flow: both retrained, each named with why.
        File.Copy(Model("flow-ss-0.json"), Model("flow-os-0.json"), true);
        FlipADigit(Model("flow-os-1.json"));
        var swapped = Run(c, os, null, dir);
        Assert.Contains($"{Model("flow-os-0.json")} was trained for channel SS, not OS; retraining", swapped.Notes);
        Assert.Contains(swapped.Notes, n => n.StartsWith($"{Model("flow-os-1.json")} is corrupt: its checksum does not match its content", StringComparison.Ordinal)
                                             && n.EndsWith("; retraining", StringComparison.Ordinal));
        Assert.False(swapped.R.Primary.Flows[0].Reused);
        Assert.False(swapped.R.Primary.Flows[1].Reused);
        Assert.All(swapped.R.Primary.Flows.Skip(2), f => Assert.True(f.Reused));
        // Retraining is reproducible: the same bytes as the first run's.
        Assert.Equal(flow0, File.ReadAllBytes(Model("flow-os-0.json")));
        Assert.Equal(flow1, File.ReadAllBytes(Model("flow-os-1.json")));
        Assert.Equal(bdt, File.ReadAllBytes(Model("bdt-os.json")));

        // Another seed's BDT copied over this run's: retrained (the flows are reused).
        var seed2 = Tiny(seed: 2);
        var (os2, _) = CathodeData.Generate(seed2);
        Run(seed2, os2, null, other);
        File.Copy(Path.Combine(other, "models", "bdt-os.json"), Model("bdt-os.json"), true);
        var otherSeed = Run(c, os, null, dir);
        Assert.All(otherSeed.R.Primary.Flows, f => Assert.True(f.Reused));
        Assert.Contains(otherSeed.Notes, n => n.StartsWith($"{Model("bdt-os.json")} was trained on other inputs (data, preprocessing, hyperparameters or seed: ", StringComparison.Ordinal)
                                               && n.EndsWith("; retraining", StringComparison.Ordinal));
        Assert.Equal(bdt, File.ReadAllBytes(Model("bdt-os.json")));

        // A BDT file as an older FastAD wrote it (version 1, no identity or checksum): retrained, saying so.
        File.WriteAllText(Model("bdt-os.json"), File.ReadAllText(Model("bdt-os.json")).Replace("\"version\":2", "\"version\":1", StringComparison.Ordinal));
        var older = Run(c, os, null, dir);
        Assert.Contains($"{Model("bdt-os.json")} was written by an older FastAD (trees format version 1, without identity or checksum); retraining", older.Notes);
        Assert.Equal(bdt, File.ReadAllBytes(Model("bdt-os.json")));

        // Pseudoexperiments cannot retrain the main run's models: a swapped flow or BDT is refused, naming it and what was
        // expected, and left as it is.
        var cpu = FastAD.Kernels.Cpu.CpuDevice.Instance;
        PseudoRequest Pseudo() => new(c, os, os, dir, PseudoMode.Null, PseudoRetrain.None, 1, Shard.Whole);
        File.Copy(Model("flow-ss-0.json"), Model("flow-os-0.json"), true);
        var e = Assert.Throws<ModelMismatchException>(() => PseudoExperiments.Run(Pseudo(), "generated", cpu));
        Assert.StartsWith($"{Model("flow-os-0.json")} was trained for channel SS, not OS; expected cathode OS member 0, inputs ", e.Message);
        Assert.Equal(File.ReadAllBytes(Model("flow-ss-0.json")), File.ReadAllBytes(Model("flow-os-0.json")));
        File.WriteAllBytes(Model("flow-os-0.json"), flow0);
        File.Copy(Path.Combine(other, "models", "bdt-os.json"), Model("bdt-os.json"), true);
        var b = Assert.Throws<ModelMismatchException>(() => PseudoExperiments.Run(Pseudo(), "generated", cpu));
        Assert.StartsWith($"{Model("bdt-os.json")} was trained on other inputs", b.Message);
        Assert.Contains("; expected cathode OS, inputs ", b.Message);
    }
}
