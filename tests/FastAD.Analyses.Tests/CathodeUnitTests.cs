using FastAD.Analyses.Cathode;
using FastAD.Kernels.Random;
using FastAD.Stats;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The pieces of the CATHODE pipeline that need no training: config, preprocessing, mass sampling, the scan on real CMS masses.</summary>
public class CathodeUnitTests
{
    [Fact]
    public void PreprocessingInverseIsExactAndSidebandZScoresAreStandard()
    {
        int n = 5000, d = 3;
        var mass = new double[n];
        var x = new double[n * d];
        var u = new double[n];
        Philox4x32.FillUniform(u, 3, 1);
        Philox4x32.FillNormal(x, 3, 2);
        for (int i = 0; i < n; i++)
        {
            mass[i] = 5 + 11 * u[i];
            x[i * d] = Math.Exp(3 + 0.5 * x[i * d]);          // pt-like, positive
            x[i * d + 1] = Math.Exp(-5 + x[i * d + 1]);       // ip3d-like
            x[i * d + 2] = x[i * d + 2] - 0.3;                // signed, max may be negative
        }
        var sb = mass.Select(m => m < 9 || m >= 10.6).ToArray();
        var p = CathodePreprocessing.Fit(mass, x, d, sb);
        var z = p.Features(x);
        var back = p.InverseFeatures(z);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], back[i], 1e-9 * Math.Max(1, Math.Abs(x[i])));
        for (int j = 0; j < d; j++)
        {
            var col = Enumerable.Range(0, n).Where(i => sb[i]).Select(i => z[i * d + j]).ToArray();
            Assert.Equal(0, col.Average(), 1e-9);
            Assert.Equal(1, Math.Sqrt(col.Select(v => v * v).Average()), 1e-9);
        }
        var ms = p.Masses(mass).Where((_, i) => sb[i]).ToArray();
        Assert.Equal(0, ms.Average(), 1e-9);
    }

    [Fact]
    public void SrMassesFollowThePolynomial()
    {
        // f(m) = 10 − m on [9, 10.6]: density ∝ (10 − m)⁺… use a positive linear f = 20 − m.
        double[] theta = [20, -1];
        var m = CathodeBackground.SampleMasses(theta, 9, 10.6, 200_000, 1, 5);
        Assert.All(m, v => Assert.InRange(v, 9, 10.6));
        // Mean of a density ∝ 20 − m on [9, 10.6].
        double num = 0, den = 0;
        for (int i = 0; i < 10_000; i++)
        {
            double v = 9 + 1.6 * (i + 0.5) / 10_000;
            num += v * (20 - v);
            den += 20 - v;
        }
        Assert.Equal(num / den, m.Average(), 3e-3);
        Assert.NotEqual(9.8, m.Average(), 3e-3); // the uniform mean would be 9.8
    }

    [Fact]
    public void ScanAtFprOneReproducesThePublishedSignificances()
    {
        var fitter = new ManagedProfileFitter();
        var model = new BackgroundModel(BumpHuntBinning.Dimuon(12), 5);
        foreach (var (selection, z) in new[] { ("os_cathode", 1.5956), ("ss_cathode", 0.5263) })
        {
            var masses = ReferenceData.CutMasses(selection, "1");
            var sideband = masses.Select(v => v < 9 || v > 10.6).ToArray();
            var scores = new double[masses.Length];
            Philox4x32.FillUniform(scores, 9, 9);
            var scan = WorkingPointScan.Scan("test", model, fitter, masses, scores, sideband, [1.0], null, null);
            Assert.Equal(1.0, scan.Points[0].Fpr);
            Assert.Equal(z, scan.Points[0].Z, 3e-4);
        }
        var os = ReferenceData.CutMasses("os_cathode", "1");
        var s = new ManagedProfileFitter().Fit(model, Spectra.FromEvents(model.Binning, os, default, out _));
        Assert.Equal(97.16, s.S[0], 0.01);
    }

    [Fact]
    public void TheSharedSectionsKeepCathodesConfigurationAsItWas()
    {
        // The flow and boosting sections are shared with CONRAD, but CATHODE's keys, order and meaning are as before: its
        // YAML (and so its model and shard digests) and the config block of results.json, samples_per_flow last.
        var c = CathodeConfig.Paper();
        string yaml = CathodeConfig.ToYaml(c);
        Assert.Contains("flows:\n  ensemble: 5\n  blocks: 6\n  hidden: 20\n  epochs: 400\n  batch_size: 256\n  learning_rate: 0.00075\n  weight_decay: 1E-06\n" +
                        "  clip_norm: 1\n  validation_fraction: 0.2\n  patience: 0\n  samples_per_flow: 0\nbdt:\n  folds: 5\n  members: 100\n  max_rounds: 300\n" +
                        "  max_depth: 3\n  learning_rate: 0.1\n  subsample: 0.7\n  patience: 10\n", yaml);
        string json = FastAD.Analyses.Reports.ReportJson.Serialize(c);
        Assert.Matches("\"patience\": 0,\\s*\"samplesPerFlow\": 0\\s*\\}", json);
        Assert.Equal(FastAD.Trees.BoostingParameters.Cathode with { Seed = c.BoostingParameters(FastAD.Data.Synthetic.DimuonChannel.OS).Seed },
            c.BoostingParameters(FastAD.Data.Synthetic.DimuonChannel.OS));
        // Gradient clipping can be switched off (0), as FlowTrainingOptions allows.
        c.Flows.ClipNorm = 0;
        c.Validate();
        c.Flows.ClipNorm = -1;
        Assert.Contains("flows.clip_norm", Assert.Throws<ArgumentException>(c.Validate).Message);
    }

    [Fact]
    public void ConfigYamlOverlaysThePresetAndRejectsUnknownKeys()
    {
        var dir = Directory.CreateTempSubdirectory("fastad-cfg");
        try
        {
            var good = Path.Combine(dir.FullName, "good.yaml");
            File.WriteAllText(good, "seed: 42\nflows:\n  epochs: 7\nstatistics:\n  histogram_fprs: [1, 0.5]\n");
            var c = CathodeConfig.Load(good, CathodeConfig.Quick());
            Assert.Equal(42UL, c.Seed);
            Assert.Equal(7, c.Flows.Epochs);
            Assert.Equal(CathodeConfig.Quick().Flows.Ensemble, c.Flows.Ensemble); // not given: the preset's value
            Assert.Equal(CathodeConfig.Quick().Bdt.Members, c.Bdt.Members);
            Assert.Equal([1, 0.5], c.Statistics.HistogramFprs);

            var roundTrip = Path.Combine(dir.FullName, "dump.yaml");
            File.WriteAllText(roundTrip, CathodeConfig.ToYaml(c));
            Assert.Equal(CathodeConfig.ToYaml(c), CathodeConfig.ToYaml(CathodeConfig.Load(roundTrip, CathodeConfig.Paper())));

            var unknown = Path.Combine(dir.FullName, "unknown.yaml");
            File.WriteAllText(unknown, "seed: 1\nflows:\n  epochs: 3\n  hiden: 20\n");
            var e = Assert.Throws<InvalidDataException>(() => CathodeConfig.Load(unknown, CathodeConfig.Paper()));
            Assert.Contains("line 4", e.Message);
            Assert.Contains("hiden", e.Message);

            var badFpr = Path.Combine(dir.FullName, "fpr.yaml");
            File.WriteAllText(badFpr, "statistics:\n  histogram_fprs: [1, 1.5]\n");
            var f = Assert.Throws<ArgumentException>(() => CathodeConfig.Load(badFpr, CathodeConfig.Paper()));
            Assert.Contains("1.5", f.Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}

/// <summary>An interrupted run keeps what it finished and a rerun with reuse continues from it.</summary>
public sealed class CathodeInterruptionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("fastad-cathode-runs").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>The quick preset with two-block flows and two short BDTs per fold: seconds per run (shared by the CATHODE tests).</summary>
    internal static CathodeConfig Tiny(int epochs)
    {
        var c = CathodeConfig.Quick();
        c.Flows.Epochs = epochs;
        c.Flows.Blocks = 2;
        c.Bdt.Members = 2;
        c.Bdt.MaxRounds = 20;
        return c;
    }

    [Fact]
    public void ReuseRetrainsWhatWasTrainedOnOtherInputs()
    {
        var c = Tiny(epochs: 2);
        var (os, _) = CathodeData.Generate(c);
        var cpu = FastAD.Kernels.Cpu.CpuDevice.Instance;
        (CathodeResults R, List<string> Notes) Run(CathodeConfig config, CathodeChannelData data)
        {
            var notes = new List<string>();
            var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) lock (notes) notes.Add(p.Note); });
            var (r, _, _) = CathodeAnalysis.Run(new CathodeRequest(config, data, null, dir, true, "test", "generated"), cpu, progress);
            return (r, notes);
        }
        string flow0 = Path.Combine(dir, "models", "flow-os-0.json"), bdt = Path.Combine(dir, "models", "bdt-os.json");
        var first = Run(c, os);
        Assert.All(first.R.Primary.Flows, f => Assert.False(f.Reused));

        // Another seed: the saved flows and BDTs are not the models of this run.
        var seed2 = Tiny(epochs: 2);
        seed2.Seed = 2;
        var bdtBefore = File.ReadAllBytes(bdt);
        var other = Run(seed2, os);
        Assert.All(other.R.Primary.Flows, f => Assert.False(f.Reused));
        Assert.Contains(other.Notes, n => n.Contains("other inputs") && n.Contains("flows"));
        Assert.NotEqual(bdtBefore, File.ReadAllBytes(bdt));

        // Other data with the same configuration: retrained too.
        var fewer = os with { Mass = os.Mass[..^500], Features = os.Features[..^(500 * os.D)], Truth = os.Truth?[..^500] };
        Assert.All(Run(seed2, fewer).R.Primary.Flows, f => Assert.False(f.Reused));

        // Only the classifier changed: the flows are reused, the BDTs retrained.
        seed2.Bdt.MaxRounds = 15;
        var flowBytes = File.ReadAllBytes(flow0);
        var bdtOnly = Run(seed2, fewer);
        Assert.All(bdtOnly.R.Primary.Flows, f => Assert.True(f.Reused));
        Assert.Equal(flowBytes, File.ReadAllBytes(flow0));
        Assert.Contains(bdtOnly.Notes, n => n.Contains("bdt-os.json was trained on other inputs"));

        // Nothing changed: everything reused.
        var same = Run(seed2, fewer);
        Assert.Contains(same.Notes, n => n.StartsWith("reused", StringComparison.Ordinal) && n.Contains("bdt-os.json"));
        Assert.Equal(bdtOnly.R.Primary.Cathode.Points.Select(q => q.Z), same.R.Primary.Cathode.Points.Select(q => q.Z));
    }

    [Fact]
    public void PseudoexperimentsRefuseModelsOfOtherInputsInsteadOfReplacingThem()
    {
        var c = Tiny(epochs: 2);
        var (os, _) = CathodeData.Generate(c);
        var cpu = FastAD.Kernels.Cpu.CpuDevice.Instance;
        CathodeAnalysis.Run(new CathodeRequest(c, os, null, dir, false, "test", "generated"), cpu);
        string flow0 = Path.Combine(dir, "models", "flow-os-0.json");
        var flowBytes = File.ReadAllBytes(flow0);
        PseudoRequest Pseudo(CathodeConfig config) => new(config, os, os, dir, PseudoMode.Null, PseudoRetrain.None, 1, Shard.Whole);

        // The same options: the saved flows and BDT score the pseudo-data.
        Assert.Equal(1, PseudoExperiments.Run(Pseudo(c), "generated", cpu).Added);

        // Another classifier configuration: the saved BDT is not this configuration's.
        Directory.Delete(Path.Combine(dir, "pseudo"), true);
        var rounds = Tiny(epochs: 2);
        rounds.Bdt.MaxRounds = 15;
        var e = Assert.Throws<InvalidDataException>(() => PseudoExperiments.Run(Pseudo(rounds), "generated", cpu));
        Assert.Contains("bdt-os.json was trained on other inputs", e.Message);

        // Another seed: the main run's flows are refused, and left as they were.
        var seed2 = Tiny(epochs: 2);
        seed2.Seed = 2;
        e = Assert.Throws<InvalidDataException>(() => PseudoExperiments.Run(Pseudo(seed2), "generated", cpu));
        Assert.Contains("trained on other inputs", e.Message);
        Assert.Equal(flowBytes, File.ReadAllBytes(flow0));
    }

    [Fact]
    public void CancellingAfterTheFlowsKeepsThemForReuse()
    {
        var c = Tiny(epochs: 4);
        var (os, _) = CathodeData.Generate(c);
        using var cancel = new CancellationTokenSource();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Stage.StartsWith("BDTs", StringComparison.Ordinal)) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            CathodeAnalysis.Run(new CathodeRequest(c, os, null, dir, false, "test", "generated"), FastAD.Kernels.Cpu.CpuDevice.Instance, progress, cancel.Token));
        var flows = Directory.GetFiles(Path.Combine(dir, "models"), "flow-os-*.json");
        Assert.Equal(c.Flows.Ensemble, flows.Length);
        Assert.False(File.Exists(Path.Combine(dir, "models", "bdt-os.json")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
        var (r, _, _) = CathodeAnalysis.Run(new CathodeRequest(c, os, null, dir, true, "test", "generated"), FastAD.Kernels.Cpu.CpuDevice.Instance);
        Assert.All(r.Primary.Flows, f => Assert.True(f.Reused));
        Assert.True(File.Exists(Path.Combine(dir, "models", "bdt-os.json")));
    }
}
