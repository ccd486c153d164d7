using FastAD.Analyses.Cathode;
using FastAD.Analyses.Scan;
using FastAD.Data.Synthetic;
using FastAD.Kernels.Cpu;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>
/// Null pseudo-scans (SPEC 5.3, <c>fastad scan pseudo</c>): a killed shard resumes to the bytes of an uninterrupted one, shards
/// merge to the bytes of one run of all of them, and the merged global p counts the pseudo-scans at or above t.
/// </summary>
public sealed class ScanPseudoTests
{
    private static readonly ScanConfig Config = ScanTests.Tiny();

    private static readonly CathodeChannelData Data =
        CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(8, 12, Resonances: false, Seed: 3)), DimuonChannel.OS, "tiny", Config.Cathode);

    /// <summary>One folder of flows for every run of a test, so that all runs draw from the same window flows.</summary>
    private static (string Path, int Added, int Total) Run(string outDir, string flowsDir, int n, Shard shard, int batch, CancellationToken cancel = default,
        IProgress<StageProgress>? progress = null)
    {
        var r = ScanPseudo.Run(new ScanPseudoRequest(Config, Data, Config.SlidingWindows(), outDir, flowsDir, n, shard, "tiny", batch),
            new RunContext(CpuDevice.Instance, new ModelStore(flowsDir, true, "scan").Keeping(), progress, cancel));
        return (r.Path, r.Added, r.Total);
    }

    private static string Temp() => Directory.CreateTempSubdirectory("fastad-scan-pseudo").FullName;

    [Fact]
    public void AKilledShardResumesToTheBytesOfAnUninterruptedOne()
    {
        string flows = Temp(), whole = Temp(), killed = Temp();
        var full = Run(whole, flows, 3, Shard.Whole, batch: 2);
        Assert.Equal(3, full.Added);
        // Stopped once the first pseudo-scan is saved, then a second one cut short in the middle of its line, as a kill leaves it.
        using var stop = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Stage.StartsWith("pseudo-scans", StringComparison.Ordinal) && p.Done >= 1) stop.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Run(killed, flows, 3, Shard.Whole, batch: 1, stop.Token, progress));
        string path = ScanPseudo.ResultsPath(killed, Shard.Whole);
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        string second = File.ReadAllLines(full.Path)[2];
        File.AppendAllText(path, second[..(second.Length / 2)]);
        var resumed = Run(killed, flows, 3, Shard.Whole, batch: 1);
        Assert.Equal(2, resumed.Added);
        Assert.Equal(3, resumed.Total);
        Assert.Equal(File.ReadAllBytes(full.Path), File.ReadAllBytes(path));
        Assert.Equal(0, Run(killed, flows, 3, Shard.Whole, batch: 1).Added);
        // Every record holds t, its argmax and one local-Z curve per FPR of the set over every window.
        var header = ScanPseudoHeader.Read(path, lines[0], 1);
        var records = File.ReadAllLines(path).Skip(1).Select((l, i) => ScanPseudoResult.Read(path, l, i + 2, header)).ToArray();
        foreach (var r in records)
        {
            var (t, w, f) = ScanPseudo.Maximum(r.Z);
            Assert.Equal(t, r.T);
            Assert.Equal(w, r.Window);
            Assert.Equal(Config.FprSet()[f], r.Fpr);
            Assert.Equal(r.Z.SelectMany(z => z).Where(double.IsFinite).Max(), r.T);
        }
        // Each pseudo-scan is its own draw.
        Assert.Equal(3, records.Select(r => r.Events).Distinct().Count());
    }

    [Fact]
    public void TwoShardsMergeToTheBytesOfOneRunOfBoth()
    {
        string flows = Temp(), one = Temp(), a = Temp(), b = Temp();
        Run(one, flows, 4, Shard.Whole, batch: 4);
        Run(a, flows, 4, new Shard(0, 2), batch: 1);
        Run(b, flows, 4, new Shard(1, 2), batch: 2);
        string m1 = Temp(), m2 = Temp();
        var (g1, _) = ScanPseudoMerge.Merge(PseudoMerge.Files([one]), m1);
        var (g2, _) = ScanPseudoMerge.Merge(PseudoMerge.Files([a, b]), m2);
        foreach (var file in new[] { "scan-pseudo-merged.csv", "scan-global.json", "scan-global.svg" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(m1, file)), File.ReadAllBytes(Path.Combine(m2, file)));
        Assert.Equal(4, g2.Results);
        Assert.Empty(g2.Missing);
        // Only one shard: the gap is listed.
        var (half, _) = ScanPseudoMerge.Merge(PseudoMerge.Files([a]), Temp());
        Assert.Equal([1, 3], half.Missing);
        // The global p of a threshold counts the pseudo-scans whose t reaches it; the upcrossings are those of each curve.
        var records = File.ReadAllLines(ScanPseudo.ResultsPath(one, Shard.Whole)).Skip(1).ToArray();
        var header = ScanPseudoHeader.Read("one", File.ReadLines(ScanPseudo.ResultsPath(one, Shard.Whole)).First(), 1);
        var rs = records.Select((l, i) => ScanPseudoResult.Read("one", l, i + 2, header)).ToArray();
        foreach (var cmp in g1.Comparisons)
            Assert.Equal(rs.Count(r => r.T >= cmp.Z) / 4.0, cmp.PToys);
        for (int f = 0; f < header.Fprs.Length; f++)
        {
            double expected = rs.Average(r => CountUp(r.Z[f], header.UpcrossingLevel));
            Assert.Equal(expected, g1.PerFpr[f].MeanUpcrossings, 12);
            Assert.Equal(4, g1.PerFpr[f].UpcrossingCounts.Sum());
        }
        // Each pseudo-scan's p against the other three.
        for (int j = 0; j < 4; j++)
            Assert.Equal(rs.Where((r, i) => i != j && r.T >= rs[j].T).Count() / 3.0, g1.Uniformity.P[j], 12);
    }

    [Fact]
    public void ShardsOfAnotherConfigurationAreRefused()
    {
        string flows = Temp(), a = Temp();
        Run(a, flows, 2, Shard.Whole, batch: 2);
        // A shard of another FPR set in the same study folder.
        string path = ScanPseudo.ResultsPath(a, Shard.Whole), other = Path.Combine(a, "pseudo", "scan-null-shard-0-of-2.jsonl");
        var lines = File.ReadAllLines(path);
        File.WriteAllText(other, lines[0].Replace("\"fprs\":[1,0.1,0.01]", "\"fprs\":[1,0.1,0.02]", StringComparison.Ordinal).Replace("\"shardCount\":1", "\"shardCount\":2", StringComparison.Ordinal) + "\n");
        Assert.NotEqual(lines[0], File.ReadAllLines(other)[0]);
        var e = Assert.Throws<InvalidDataException>(() => ScanPseudoMerge.Merge(PseudoMerge.Files([a]), Temp()));
        Assert.Contains("Refusing to merge", e.Message);
        Assert.Contains("they come from different runs (FPR set: {1, 0.1, 0.01} vs {1, 0.1, 0.02})", e.Message);
        // Resuming a shard under another configuration is refused, naming the differing line.
        var changed = ScanTests.Tiny();
        changed.Cathode.Bdt.Members += 1;
        var r = Assert.Throws<InvalidDataException>(() => ScanPseudo.Run(new ScanPseudoRequest(changed, Data, changed.SlidingWindows(), a, flows, 2, Shard.Whole, "tiny"),
            new RunContext(CpuDevice.Instance, new ModelStore(flows, true, "scan").Keeping())));
        Assert.Contains("holds results of another configuration (configuration line", r.Message);
    }

    private static int CountUp(double[] z, double u)
    {
        var f = z.Where(double.IsFinite).ToArray();
        int n = 0;
        for (int i = 1; i < f.Length; i++) if (f[i - 1] < u && f[i] >= u) n++;
        return n;
    }

    private sealed class SyncProgress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }
}
