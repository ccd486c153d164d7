using FastAD.Analyses.Cathode;
using FastAD.Kernels.Cpu;
using FastAD.Stats;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// Pseudoexperiments on a tiny configuration: shards merge bit for bit whatever their count, a killed run resumes
/// with nothing lost or counted twice, merges refuse mismatched runs, and the null distribution follows the asymptotic law.
/// </summary>
public class PseudoExperimentTests : IClassFixture<PseudoExperimentTests.Study>
{
    /// <summary>40 null pseudoexperiments run as 1 × 40 and as 4 × 10 shards (shared by the tests).</summary>
    public sealed class Study : IDisposable
    {
        public Study()
        {
            Root = Directory.CreateTempSubdirectory("fastad-pseudo").FullName;
            (Os, _) = CathodeData.Generate(Config());
            Run(Path.Combine(Root, "one"), Shard.Whole);
            for (int i = 0; i < 4; i++) Run(Path.Combine(Root, "four"), new Shard(i, 4));
            One = PseudoMerge.Merge([Path.Combine(Root, "one")], Path.Combine(Root, "merged-one"));
            Four = PseudoMerge.Merge([Path.Combine(Root, "four")], Path.Combine(Root, "merged-four"));
        }

        public static CathodeConfig Config()
        {
            var c = CathodeConfig.Quick();
            c.Flows.Ensemble = 1;
            c.Flows.Epochs = 3;
            c.Flows.Blocks = 2;
            c.Bdt.Folds = 3;
            c.Bdt.Members = 1;
            c.Bdt.MaxRounds = 10;
            c.Statistics.FprPoints = 5;
            return c;
        }

        public void Run(string dir, Shard shard, CathodeConfig? config = null, CancellationToken cancel = default, IProgress<StageProgress>? progress = null) =>
            PseudoExperiments.Run(new PseudoRequest(config ?? Config(), Os, Os, dir, PseudoMode.Null, PseudoRetrain.Bdt, 40, shard, Batch: 3), "generated", CpuDevice.Instance,
                progress, cancel);

        public string Root { get; }
        public CathodeChannelData Os { get; }
        public MergeReport One { get; }
        public MergeReport Four { get; }

        public void Dispose() => Directory.Delete(Root, true);
    }

    private readonly Study _s;

    public PseudoExperimentTests(Study s) => _s = s;

    [Fact]
    public void OneShardAndFourShardsMergeToTheSameBytes()
    {
        Assert.Equal(40, _s.One.Results);
        Assert.Equal(4, _s.Four.Files);
        Assert.Empty(_s.Four.Missing);
        foreach (var name in new[] { "pseudo-merged.csv", "null-distribution.json", "null-distribution.svg" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_s.Root, "merged-one", name)), File.ReadAllBytes(Path.Combine(_s.Root, "merged-four", name)));
        // Not a degenerate study: the pseudoexperiments differ from each other.
        var lines = File.ReadAllLines(Path.Combine(_s.Root, "merged-one", "pseudo-merged.csv")).Skip(1).Select(l => l.Split(',')[4]).Distinct().Count();
        Assert.True(lines > 10, $"{lines} distinct reweighted Z values");
    }

    [Fact]
    public void TheNullDistributionFollowsTheAsymptoticLaw()
    {
        // 40 pseudoexperiments: Z = 0 about half the time (binomial σ ≈ 0.08), and the 84% quantile near Φ⁻¹(0.84) ≈ 1.
        var r = _s.One.Reweighted;
        Assert.InRange(r.Tails[0].Fraction, 0.26, 0.74);
        var q84 = r.Quantiles.Single(q => q.Level == 0.84);
        Assert.InRange(q84.Value, 0.4, 2.0);
        Assert.True(r.Tails.Single(t => t.Quantity == "Z ≥ 3").Fraction <= 0.1);
    }

    [Fact]
    public void AKilledRunResumesWithNothingLostOrCountedTwice()
    {
        string dir = Path.Combine(_s.Root, "killed");
        using var cancel = new CancellationTokenSource();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Stage.StartsWith("pseudo", StringComparison.Ordinal) && p.Done >= 6) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => _s.Run(dir, Shard.Whole, cancel: cancel.Token, progress: progress));
        string file = PseudoExperiments.ResultsPath(dir, PseudoMode.Null, PseudoRetrain.Bdt, Shard.Whole);
        int saved = File.ReadAllLines(file).Length - 1;
        Assert.InRange(saved, 6, 39);
        // A kill in the middle of a line: the half line is not a result and is redone.
        File.AppendAllText(file, "{\"index\":39,\"events\":12");
        _s.Run(dir, Shard.Whole);
        var merged = PseudoMerge.Merge([dir], Path.Combine(_s.Root, "merged-killed"));
        Assert.Equal(40, merged.Results);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_s.Root, "merged-one", "pseudo-merged.csv")), File.ReadAllBytes(Path.Combine(_s.Root, "merged-killed", "pseudo-merged.csv")));
    }

    [Fact]
    public void MergeRefusesOtherConfigurationsAndNamesDuplicatesAndGaps()
    {
        string other = Path.Combine(_s.Root, "other");
        var c = Study.Config();
        c.Bdt.MaxRounds = 11;
        PseudoExperiments.Run(new PseudoRequest(c, _s.Os, _s.Os, other, PseudoMode.Null, PseudoRetrain.Bdt, 40, new Shard(1, 4), Batch: 10), "generated", CpuDevice.Instance);
        var e = Assert.Throws<InvalidDataException>(() => PseudoMerge.Merge([Path.Combine(_s.Root, "four"), other], Path.Combine(_s.Root, "m2")));
        Assert.Contains("max_rounds: 10", e.Message);
        Assert.Contains("max_rounds: 11", e.Message);
        // The same shard twice: duplicates are named.
        var dup = Assert.Throws<InvalidDataException>(() => PseudoMerge.Merge([Path.Combine(_s.Root, "one"), Path.Combine(_s.Root, "four")], Path.Combine(_s.Root, "m3")));
        Assert.Contains("appears in both", dup.Message);
        // Two of four shards: the gaps are listed.
        var part = PseudoMerge.Merge([PseudoExperiments.ResultsPath(Path.Combine(_s.Root, "four"), PseudoMode.Null, PseudoRetrain.Bdt, new Shard(0, 4)),
            PseudoExperiments.ResultsPath(Path.Combine(_s.Root, "four"), PseudoMode.Null, PseudoRetrain.Bdt, new Shard(2, 4))], Path.Combine(_s.Root, "m4"));
        Assert.Equal(20, part.Results);
        Assert.Equal(Enumerable.Range(0, 40).Where(j => j % 2 == 1), part.Missing);
        // Resuming into a file of another configuration is refused too.
        Assert.Throws<InvalidDataException>(() => _s.Run(other, new Shard(1, 4)));
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("-1/4")]
    [InlineData("1/0")]
    [InlineData("1-4")]
    public void BadShardSpecsAreRejected(string spec) =>
        Assert.Contains("--shard", Assert.Throws<ArgumentException>(() => Shard.Parse(spec)).Message);
}

/// <summary>Bootstrap pseudoexperiments: resampling with replacement, carried as multiplicities of distinct events.</summary>
public sealed class BootstrapPseudoExperimentTests : IDisposable
{
    private readonly CathodeConfig c = PseudoExperimentTests.Study.Config();
    private readonly CathodeChannelData os;
    private readonly string dir = Directory.CreateTempSubdirectory("fastad-bootstrap").FullName;

    public BootstrapPseudoExperimentTests() => (os, _) = CathodeData.Generate(c);

    public void Dispose() => Directory.Delete(dir, true);

    [SkippableTheory]
    [InlineData("opencl")]
    [InlineData("cuda")]
    public void NullPseudoDataOnADeviceAreTheManagedOnesToRounding(string backend)
    {
        // The null pseudo-data go through the flow-evaluation seam: the device's sampling kernels (double precision) give
        // each flow's own managed samples to rounding, with the same events from the same flows and noise.
        var device = FastAD.TestSupport.TestDevices.Get(backend);
        var three = PseudoExperimentTests.Study.Config();
        three.Flows.Ensemble = 3;
        var request = new PseudoRequest(three, os, os, Path.Combine(dir, "three"), PseudoMode.Null, PseudoRetrain.Bdt, 2, Shard.Whole);
        var study = PseudoExperiments.Prepare(request, "generated", CpuDevice.Instance);
        Assert.True(study.Background.Flows.Length >= 2 && study.Data.Rows % study.Background.Flows.Length != 0,
            "the case should have flows with different event counts (padding rows)");
        var managed = PseudoExperiments.PseudoData(request, study.Data, study.Background, study.Pre, 1, CpuDevice.Instance).Events;
        var kernel = PseudoExperiments.PseudoData(request, study.Data, study.Background, study.Pre, 1, device).Events;
        Assert.Equal(managed.Mass, kernel.Mass);
        double worst = managed.Features.Zip(kernel.Features, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max();
        Assert.True(worst < 1e-9, $"worst relative difference {worst:G3}");
        Assert.NotEqual(managed.Features, PseudoExperiments.PseudoData(request, study.Data, study.Background, study.Pre, 0).Events.Features);
    }

    [Fact]
    public void BootstrapCountsCopiesAndDoesNotDependOnTheBatch()
    {
        var request = new PseudoRequest(c, os, os, dir, PseudoMode.Bootstrap, PseudoRetrain.Bdt, 4, Shard.Whole, Batch: 4);
        var study = PseudoExperiments.Prepare(request, "generated", CpuDevice.Instance);
        int n = study.Data.Rows;
        var sets = Enumerable.Range(0, 4).Select(j => PseudoExperiments.PseudoData(request, study.Data, study.Background, study.Pre, j)).ToArray();
        foreach (var s in sets)
        {
            // Same size as the data, drawn with replacement: about 1 − 1/e of the events are distinct, some drawn twice or more.
            Assert.Equal(n, s.Count);
            Assert.InRange(s.Events.Rows / (double)n, 0.60, 0.66);
            Assert.Contains(s.Multiplicity!, k => k >= 3);
            Assert.Equal(s.Events.Rows, s.Events.Mass.Distinct().Count());
        }
        Assert.NotEqual(sets[0].Events.Mass, sets[1].Events.Mass);

        var together = study.Evaluate([0, 1, 2, 3]);
        var alone = new[] { 2, 0 }.SelectMany(j => study.Evaluate([j])).OrderBy(r => r.Index).ToArray();
        Assert.Equal(together[0], alone[0], new ResultComparer());
        Assert.Equal(together[2], alone[1], new ResultComparer());
        // The statistics count every copy: the FPR = 1 point is the bump hunt of the resampled spectrum, copies included.
        var fitter = new ManagedProfileFitter();
        for (int j = 0; j < 4; j++)
        {
            var s = sets[j];
            var masses = Enumerable.Range(0, s.Events.Rows).SelectMany(i => Enumerable.Repeat(s.Events.Mass[i], s.Times(i))).ToArray();
            var fit = fitter.Fit(study.Model, Spectra.FromEvents(study.Model.Binning, masses, default, out _));
            Assert.Equal(n, together[j].Events);
            Assert.Equal(fit.Z[0], together[j].InitialZ, 9);
        }
        // A bootstrap of the data is not the data: the initial significances vary around the data's.
        Assert.True(together.Select(r => r.InitialZ).Distinct().Count() == 4);
    }

    [Fact]
    public async Task AShardWaitsWhileAnotherTrainsTheFlowsAndThenReusesThem()
    {
        // Another shard (here: this test) holds the flows' training lock of an empty --out.
        var request = new PseudoRequest(c, os, os, dir, PseudoMode.Bootstrap, PseudoRetrain.Bdt, 1, Shard.Whole);
        var notes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var progress = new CallbackProgress<StageProgress>(p => { if (p.Note is not null) notes.Enqueue(p.Note); });
        Task<PseudoExperiments.Study> prepare;
        using (FastAD.Kernels.IO.OutputLock.File(Path.Combine(dir, "models", "flows-os")))
        {
            prepare = Task.Run(() => PseudoExperiments.Prepare(request, "generated", CpuDevice.Instance, progress));
            SpinWait.SpinUntil(() => notes.Any(n => n.StartsWith("waiting while another shard trains the flows", StringComparison.Ordinal)) || prepare.IsCompleted,
                TimeSpan.FromSeconds(60));
            Assert.False(prepare.IsCompleted, prepare.Exception?.ToString() ?? "finished without waiting for the lock");
            Assert.False(File.Exists(Path.Combine(dir, "models", "flow-os-0.json"))); // nothing trained while it waits
        }
        await prepare.WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(File.Exists(Path.Combine(dir, "models", "flow-os-0.json")));
    }

    [Fact]
    public void TheClassifierIsTrainedWithTheMultiplicities()
    {
        // The same distinct events with every multiplicity set to 1 must train other models: the copies count in training.
        var request = new PseudoRequest(c, os, os, dir, PseudoMode.Bootstrap, PseudoRetrain.Bdt, 1, Shard.Whole);
        var study = PseudoExperiments.Prepare(request, "generated", CpuDevice.Instance);
        var set = PseudoExperiments.PseudoData(request, study.Data, study.Background, study.Pre, 0);
        var once = set with { Multiplicity = set.Multiplicity!.Select(_ => 1.0).ToArray() };
        var samples = study.Background.TrainingSamples;
        int d = study.Data.D;
        double[] Scores(PseudoExperiments.PseudoSet s) =>
            PseudoExperiments.TrainAndScore(c, CpuDevice.Instance, study.Binner, [s], [0], samples, d, default)[0];
        var weighted = Scores(set);
        var plain = Scores(once);
        Assert.Equal(weighted, Scores(set));   // deterministic, so a difference below is the multiplicities' doing
        int differ = Enumerable.Range(0, weighted.Length).Count(i => !double.IsNaN(weighted[i]) && Math.Abs(weighted[i] - plain[i]) > 1e-9);
        Assert.True(differ > weighted.Length / 10, $"only {differ} of {weighted.Length} scores change with the multiplicities");
    }

    [Fact]
    public void MergingBootstrapsGivesTheSpreadOfTheSignificances()
    {
        PseudoExperiments.Run(new PseudoRequest(c, os, os, dir, PseudoMode.Bootstrap, PseudoRetrain.Bdt, 24, Shard.Whole, Batch: 8), "generated", CpuDevice.Instance);
        var m = PseudoMerge.Merge([dir], Path.Combine(dir, "merged"));
        Assert.True(m.IsBootstrap);
        // A bootstrap is not a null: no comparison with ½δ(0) + ½χ²₁ is written, the spread is.
        Assert.Contains(m.Written, f => f.EndsWith("bootstrap-distribution.json", StringComparison.Ordinal));
        Assert.DoesNotContain(m.Written, f => f.Contains("null-distribution", StringComparison.Ordinal));
        var initial = m.Spread.Single(s => s.Name.StartsWith("initial", StringComparison.Ordinal));
        // Resampling N events moves the SR count by about √N_SR, so the bump hunt's Z ≈ S/√B moves by about 1σ
        // (24 bootstraps: the sd is known to ±15%); the median stays near the data's own Z.
        Assert.InRange(initial.Sd, 0.6, 1.5);
        var fit = new ManagedProfileFitter();
        var study = PseudoExperiments.Prepare(new PseudoRequest(c, os, os, dir, PseudoMode.Bootstrap, PseudoRetrain.Bdt, 1, Shard.Whole), "generated", CpuDevice.Instance);
        double dataZ = fit.Fit(study.Model, Spectra.FromEvents(study.Model.Binning, study.Data.Mass, default, out _)).Z[0];
        Assert.InRange(initial.Median, dataZ - 1.0, dataZ + 1.0);
        Assert.True(initial.Q16 <= initial.Median && initial.Median <= initial.Q84);
    }

    private sealed class ResultComparer : IEqualityComparer<PseudoResult>
    {
        public bool Equals(PseudoResult? a, PseudoResult? b) =>
            a is not null && b is not null && a.Index == b.Index && a.Events == b.Events && a.InitialZ.Equals(b.InitialZ) && a.Mu.Equals(b.Mu)
            && a.ReweightedZ.Equals(b.ReweightedZ) && a.Z.SequenceEqual(b.Z);

        public int GetHashCode(PseudoResult r) => r.Index;
    }
}
