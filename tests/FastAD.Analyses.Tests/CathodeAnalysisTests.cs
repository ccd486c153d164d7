using FastAD.Analyses.Cathode;
using FastAD.Kernels.Cpu;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// The whole CATHODE chain on the generated OS and SS samples with a reduced configuration (2 short flows,
/// 5 folds × 6 BDTs): the outcomes SPEC 1 and the issue promise, with margins.
/// </summary>
public class CathodeAnalysisTests : IClassFixture<CathodeAnalysisTests.Run>
{
    /// <summary>One run shared by the tests of this class (it takes tens of seconds).</summary>
    public sealed class Run : IDisposable
    {
        public Run()
        {
            Dir = Directory.CreateTempSubdirectory("fastad-cathode").FullName;
            var (os, ss) = CathodeData.Generate(Config);
            (Results, Primary, Control) = CathodeAnalysis.Run(new CathodeRequest(Config, os, ss, Dir, false, "test", "generated"), CpuDevice.Instance);
            Files = CathodeReport.Write(Dir, Results, Primary, Control);
        }

        public static CathodeConfig Config
        {
            get
            {
                var c = CathodeConfig.Quick();
                c.Flows.Epochs = 30;
                c.Bdt.Members = 6;
                return c;
            }
        }

        public string Dir { get; }
        public CathodeResults Results { get; }
        public CathodeAnalysis.ChannelState Primary { get; }
        public CathodeAnalysis.ChannelState? Control { get; }
        public IReadOnlyList<string> Files { get; }

        public void Dispose() => Directory.Delete(Dir, true);
    }

    private readonly Run _run;

    public CathodeAnalysisTests(Run run) => _run = run;

    [Fact]
    public void CathodeBeatsEveryBaselineAndReweightingBeatsCutAndCount()
    {
        var p = _run.Results.Primary;
        var h = _run.Results.Headline;
        // The generated OS sample starts near the published 1.6σ (a Poisson fluctuation of ±1σ is allowed).
        Assert.InRange(h.InitialZ, 0.3, 3.6);
        Assert.True(h.BestCathodeZ > h.InitialZ + 1.5, $"CATHODE {h.BestCathodeZ:F2} vs initial {h.InitialZ:F2}");
        foreach (var b in p.Baselines)
            Assert.True(h.BestCathodeZ > b.Best.Z + 0.5, $"CATHODE {h.BestCathodeZ:F2} vs {b.Name} {b.Best.Z:F2}");
        Assert.NotNull(h.ReweightedZ);
        Assert.True(h.ReweightedZ >= 0.95 * h.BestCathodeZ, $"reweighted {h.ReweightedZ:F2} vs cut-and-count {h.BestCathodeZ:F2}");
        // The classifier found the true signal: the truth AUC in the SR is well above 0.5.
        Assert.True(p.TruthAuc > 0.75, $"truth AUC {p.TruthAuc:F3}");
    }

    [Fact]
    public void ControlChannelShowsNoExcess()
    {
        var c = _run.Results.Control!;
        Assert.Equal(FastAD.Data.Synthetic.DimuonChannel.SS, c.Channel);
        Assert.True(c.Cathode.Points.Max(q => q.Z) < 2.5, $"SS max Z {c.Cathode.Points.Max(q => q.Z):F2}");
        Assert.NotNull(c.CrossApplied);
        Assert.True(c.CrossApplied!.Points.Max(q => q.Z) < 2.5, "OS ensemble on SS");
    }

    [Fact]
    public void WorkingPointsReachTheirTargetsAndTheSamplesModelTheBackground()
    {
        var points = _run.Results.Primary.Cathode.Points;
        Assert.Equal(points.Select(q => q.TargetFpr).Distinct().Count(), points.Length);
        foreach (var q in points.Where(q => q.TargetFpr >= 0.01))
            Assert.InRange(q.Fpr / q.TargetFpr, 0.95, 1.05);
        // At FPR 1 nothing is cut.
        Assert.Equal(_run.Results.Primary.Sr, points.First(q => q.TargetFpr == 1).NSr, 0);
        // The flows' SR samples pass a sideband-FPR cut about as often as the background does (loose: the flows are short-trained).
        var q10 = points.First(q => Math.Abs(q.TargetFpr - 0.1) < 1e-12);
        Assert.InRange(q10.SampleEfficiency, 0.03, 0.3);
        // Every data event in a band has exactly one out-of-fold score.
        var st = _run.Primary;
        for (int i = 0; i < st.Data.Rows; i++)
            Assert.Equal(st.Band[i] != MassBand.Outside, st.Fold[i] >= 0 && !double.IsNaN(st.Scores[i]));
    }

    [Fact]
    public void VariationsAndTheReportCoverEveryCombination()
    {
        var v = _run.Results.Primary.Variations;
        Assert.Equal(9, v.Length);
        Assert.Equal(9, v.Select(x => (x.Degree, x.BinsSr)).Distinct().Count());
        var nominal = v.Single(x => x.Degree == 5 && x.BinsSr == 12);
        Assert.Equal(_run.Results.Primary.Cathode.Points.Select(q => q.Z), nominal.Z);
        foreach (var name in new[] { "results.json", "report.md", "significance-os.svg", "spectra-os.svg", "features-os.svg", "variations-os.svg", "control.svg", "scan-os.csv" })
            Assert.Contains(name, _run.Files);
        foreach (var svg in _run.Files.Where(f => f.EndsWith(".svg")))
            System.Xml.Linq.XDocument.Load(Path.Combine(_run.Dir, svg));
        var report = File.ReadAllText(Path.Combine(_run.Dir, "report.md"));
        foreach (var f in _run.Files.Where(f => f.EndsWith(".svg"))) Assert.Contains($"]({f})", report);
        Assert.True(File.Exists(Path.Combine(_run.Dir, "models", "bdt-os.json")));
        Assert.Equal(CathodeConfig.Quick().Flows.Ensemble, Directory.GetFiles(Path.Combine(_run.Dir, "models"), "flow-os-*.json").Length);
    }

    [Fact]
    public void ReuseRedoesTheStatisticsWithoutRetraining()
    {
        var (os, ss) = CathodeData.Generate(Run.Config);
        string bdt = Path.Combine(_run.Dir, "models", "bdt-os.json");
        var written = File.GetLastWriteTimeUtc(bdt);
        var notes = new List<string>();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) lock (notes) notes.Add(p.Note); });
        var (again, _, _) = CathodeAnalysis.Run(new CathodeRequest(Run.Config, os, ss, _run.Dir, true, "test", "generated"), CpuDevice.Instance, progress);
        Assert.Equal(written, File.GetLastWriteTimeUtc(bdt));
        Assert.Contains(notes, n => n.StartsWith("reused", StringComparison.Ordinal) && n.Contains("bdt-os.json"));
        Assert.All(again.Primary.Flows, f => Assert.True(f.Reused));
        Assert.Equal(_run.Results.Primary.Cathode.Points.Select(q => q.Z), again.Primary.Cathode.Points.Select(q => q.Z));
        Assert.Equal(_run.Results.Headline.ReweightedZ, again.Headline.ReweightedZ);
    }
}
