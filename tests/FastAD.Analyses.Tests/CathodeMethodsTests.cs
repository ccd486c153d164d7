using FastAD.Analyses.Cathode;
using FastAD.Kernels.Cpu;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The methods of SPEC 6 on the same generated events (a reduced quick configuration): what each needs, and the ordering truth gives.</summary>
public sealed class CathodeMethodsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastad-methods").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void EveryMethodRunsOnTheSameEventsAndTruthOrdersThem()
    {
        var c = CathodeConfig.Quick();
        c.Bdt.Members = 3;
        var (os, _) = CathodeData.Generate(c);
        AnomalyMethod[] methods = [AnomalyMethod.Cathode, AnomalyMethod.Cwola, AnomalyMethod.Anode, AnomalyMethod.Lacathode, AnomalyMethod.Idealized, AnomalyMethod.Supervised];
        var request = new CathodeRequest(c, os, null, _dir, false, "test", "generated", methods, CathodeData.GenerateBackground(c));
        var (results, primary, _) = CathodeAnalysis.Run(request, CpuDevice.Instance);
        var m = results.Primary.Methods!.ToDictionary(r => r.Method);
        Assert.Equal(methods.Select(x => x.Text()), results.Primary.Methods!.Select(r => r.Method));
        // CATHODE's entry is the classifier stage's own result.
        Assert.Equal(results.Primary.Cathode.Best.Z, m["cathode"].Scan.Best.Z, 12);
        foreach (var r in m.Values)
        {
            Assert.True(r.TruthAuc > 0.8, $"{r.Method}: truth AUC {r.TruthAuc:F3}");
            Assert.True(r.MaxSic > 1.5, $"{r.Method}: max SIC {r.MaxSic:F2}");
            Assert.Equal(r.SignalEfficiency.Length, r.Sic.Length);
        }
        // Truth orders them: supervised ≥ idealized within a margin, idealized above the weakly supervised CWoLa.
        Assert.True(m["supervised"].TruthAuc >= m["idealized"].TruthAuc - 0.01, $"supervised AUC {m["supervised"].TruthAuc:F3} vs idealized {m["idealized"].TruthAuc:F3}");
        Assert.True(m["idealized"].TruthAuc > m["cwola"].TruthAuc, $"idealized AUC {m["idealized"].TruthAuc:F3} vs cwola {m["cwola"].TruthAuc:F3}");
        // The supervised scores of sideband events come from single models like the SR's: its Z stays in the range of the others'.
        Assert.True(m["supervised"].Scan.Best.Z < 2 * m["idealized"].Scan.Best.Z, $"supervised Z {m["supervised"].Scan.Best.Z:F2} vs idealized {m["idealized"].Scan.Best.Z:F2}");
        Assert.NotEqual(m["cathode"].Scan.Best.Z, m["lacathode"].Scan.Best.Z);
        Assert.NotNull(primary.Closure);
    }

    [Fact]
    public void TheMethodsModelsAreSavedAndReusedWithTheSameScores()
    {
        var c = CathodeConfig.Quick();
        c.Bdt.Members = 3;
        c.Flows.Epochs = 3;
        var (os, _) = CathodeData.Generate(c);
        AnomalyMethod[] methods = [AnomalyMethod.Cwola, AnomalyMethod.Supervised, AnomalyMethod.Anode];
        var notes = new System.Collections.Concurrent.ConcurrentQueue<StageProgress>();
        CathodeResults Run(bool reuse) => CathodeAnalysis.Run(new CathodeRequest(c, os, null, _dir, reuse, "test", "generated", methods),
            new RunContext(CpuDevice.Instance, new ModelStore(_dir, reuse, "cathode"), new CallbackProgress<StageProgress>(notes.Enqueue))).Results;
        var first = Run(reuse: false);
        foreach (var m in new[] { "cwola", "supervised" }) Assert.True(File.Exists(Path.Combine(_dir, "models", $"bdt-{m}-os.json")), m);
        notes.Clear();
        var again = Run(reuse: true);
        foreach (var file in new[] { "bdt-cwola-os.json", "bdt-supervised-os.json" }.Concat(Enumerable.Range(0, c.Bdt.Folds).Select(f => $"flow-anode-os-{f}.json")))
            Assert.Contains(notes, n => n.Note is { } t && t.StartsWith("reused ") && t.EndsWith(file));
        Assert.Equal(first.Primary.Methods!.Select(r => r.Scan.Points.Select(p => p.Z).ToArray()), again.Primary.Methods!.Select(r => r.Scan.Points.Select(p => p.Z).ToArray()));
        // Another seed is other folds and other training: the saved ensembles are not taken.
        c.Seed = 77;
        notes.Clear();
        Run(reuse: true);
        Assert.DoesNotContain(notes, n => n.Note is { } t && t.StartsWith("reused ") && t.Contains("bdt-cwola-os.json"));
    }

    [Fact]
    public void SculptingIsNearOneForAMassBlindCutAndLargeForAMassCut()
    {
        var binning = new FastAD.Stats.BumpHuntBinning(5, 9, 10.6, 16, 8);
        int n = 40_000;
        var u = new double[2 * n];
        FastAD.Kernels.Random.Philox4x32.FillUniform(u, 5, 0);
        var masses = Enumerable.Range(0, n).Select(i => 5 + 11 * u[i]).ToArray();
        var sideband = masses.Select(m => m < 9 || m >= 10.6).ToArray();
        var blind = Enumerable.Range(0, n).Select(i => u[n + i]).ToArray();
        double flat = CathodeMethods.Sculpting(binning, masses, blind, sideband, 0.8);
        Assert.InRange(flat, 0.3, 2.0);
        // A score that is the mass itself keeps only the high sideband: the cut sculpts the spectrum.
        double sculpted = CathodeMethods.Sculpting(binning, masses, masses, sideband, 12);
        Assert.True(sculpted > 20, $"χ²/ndf {sculpted:F1} for a cut on the mass");
        Assert.True(double.IsNaN(CathodeMethods.Sculpting(binning, masses, blind, sideband, 2)));
    }
}
