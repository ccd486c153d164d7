using FastAD.Analyses.Cathode;
using FastAD.Analyses.Scan;
using FastAD.Data.Synthetic;
using FastAD.Kernels.Cpu;
using FastAD.Stats;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>The mass scan (SPEC 5): the window layout, explicit windows, the scan spectrum generator, the look-elsewhere pieces, and a tiny scan that resumes.</summary>
public class ScanTests
{
    [Theory]
    [InlineData(2.0, 20.0, 0.01, 10, 10, 5)]
    [InlineData(5.0, 16.0, 0.02, 6, 4, 3)]
    public void SlidingWindowsAreTheSpec51BandsOfGeometricEdges(double low, double high, double r, int l, int sr, int s)
    {
        var windows = ScanWindows.Sliding(low, high, r, l, sr, s);
        double B(int k) => low * Math.Pow(1 + r, k);
        // Edges up to high: the largest k with b_k ≤ high; windows while s i + 2L + R ≤ k.
        int kMax = (int)Math.Floor(Math.Log(high / low) / Math.Log(1 + r) + 1e-9);
        int expected = (kMax - 2 * l - sr) / s + 1;
        Assert.Equal(expected, windows.Length);
        for (int i = 0; i < windows.Length; i++)
        {
            var w = windows[i];
            Assert.Equal(i, w.Index);
            Assert.Equal(B(s * i), w.SblLow, 1e-9);
            Assert.Equal(B(s * i + l), w.SrLow, 1e-9);
            Assert.Equal(B(s * i + l + sr), w.SrHigh, 1e-9);
            Assert.Equal(B(s * i + 2 * l + sr), w.SbhHigh, 1e-9);
            Assert.True(w.SbhHigh <= high);
        }
        // One more step would leave the range.
        Assert.True(B(s * windows.Length + 2 * l + sr) > high);
    }

    [Fact]
    public void ARangeWithoutRoomForOneWindowSaysWhatAWindowNeeds()
    {
        var e = Assert.Throws<ArgumentException>(() => ScanWindows.Sliding(2, 2.5, 0.01));
        Assert.Contains("--range 2:2.5 has no room for one window", e.Message);
        Assert.Contains($"high ≥ {2 * Math.Pow(1.01, 30):G6}", e.Message);
        Assert.Single(ScanWindows.Sliding(2, 2 * Math.Pow(1.01, 30) * 1.001, 0.01));
    }

    [Fact]
    public void ExplicitWindowsAreSortedAndOverlappingBandsOrRepeatedSignalRegionsRefused()
    {
        var sorted = ScanWindows.Check([new ScanWindow(0, 9, 10, 11, 12), new ScanWindow(1, 4, 5, 6, 7)], "w.csv");
        Assert.Equal([5.0, 10.0], sorted.Select(w => w.SrLow));
        Assert.Equal([0, 1], sorted.Select(w => w.Index));
        var overlap = Assert.Throws<InvalidDataException>(() => ScanWindows.Check([new ScanWindow(0, 4, 5, 6, 7), new ScanWindow(1, 9, 10.5, 10, 12)], "w.csv", ["line 2", "line 3"]));
        Assert.Contains("w.csv, line 3", overlap.Message);
        Assert.Contains("overlap", overlap.Message);
        var twice = Assert.Throws<InvalidDataException>(() => ScanWindows.Check([new ScanWindow(0, 4, 5, 6, 7), new ScanWindow(1, 4.5, 5, 6, 8)], "w.csv"));
        Assert.Contains("the same signal region", twice.Message);
    }

    [Fact]
    public void AWindowWithEmptySidebandsIsNamed()
    {
        // Events only between 9 and 10: the window [8, 9) + [9, 10) + [10, 11] has nothing in its sidebands.
        var table = DimuonScanGenerator.Generate(new DimuonScanOptions(9, 10, 2000, Resonances: false));
        var data = CathodeInput.FromTable(table, DimuonChannel.OS, "gap", CathodeConfig.Quick());
        var c = ScanConfig.Quick();
        var w = new ScanWindow(0, 8, 9, 10, 11);
        var e = Assert.Throws<ArgumentException>(() => ScanAnalysis.CheckWindows(c, data, [w]));
        Assert.StartsWith("window 0 (SBL [8, 9), SR [9, 10), SBH [10, 11])", e.Message);
        Assert.Contains("0 events in the low and 0 in the high sideband", e.Message);
    }

    [Fact]
    public void TheScanSpectrumHasEachResonanceAtItsMassAndResolution()
    {
        var t = DimuonScanGenerator.Generate(new DimuonScanOptions(2, 20, 5000, Inject: [(14.0, 400)], Seed: 7));
        var mass = t.GetDouble("dimu_mass");
        var code = t.View<int>("resonance").ToArray();
        foreach (var r in DimuonScanGenerator.Known.Append(new DimuonResonance("injected", 6, 14.0, 400, 1, 0, 0)))
        {
            var m = Enumerable.Range(0, mass.Length).Where(i => code[i] == r.Code).Select(i => mass[i]).ToArray();
            Assert.Equal(r.Events, m.Length);
            double mean = m.Average(), sd = Math.Sqrt(m.Select(x => (x - mean) * (x - mean)).Average());
            Assert.InRange(mean, r.Mass * (1 - 4 * 0.01 / Math.Sqrt(m.Length)), r.Mass * (1 + 4 * 0.01 / Math.Sqrt(m.Length)));
            Assert.InRange(sd / r.Mass, 0.01 * (1 - 5 / Math.Sqrt(2.0 * m.Length)), 0.01 * (1 + 5 / Math.Sqrt(2.0 * m.Length)));
        }
        Assert.Equal(5000, code.Count(c => c == 0));
        // Background: ∝ m^-1.5, so the fraction below 5 GeV is (2^-0.5 − 5^-0.5) / (2^-0.5 − 20^-0.5).
        double below = Enumerable.Range(0, mass.Length).Count(i => code[i] == 0 && mass[i] < 5) / 5000.0, f = (Math.Pow(2, -0.5) - Math.Pow(5, -0.5)) / (Math.Pow(2, -0.5) - Math.Pow(20, -0.5));
        Assert.InRange(below, f - 4 * Math.Sqrt(f * (1 - f) / 5000), f + 4 * Math.Sqrt(f * (1 - f) / 5000));
        var none = DimuonScanGenerator.Generate(new DimuonScanOptions(2, 20, 5000, Resonances: false, Seed: 7));
        Assert.All(none.View<int>("resonance").ToArray(), c => Assert.Equal(0, c));
        Assert.Equal(5000, none.RowCount);
    }

    [Fact]
    public void UpcrossingsCountRisesThroughTheLevelAndGrossVitellsAddsThemToTheLocalP()
    {
        Assert.Equal(3, LookElsewhere.Upcrossings([0, 1.5, 0.5, 2, 2, 0.2, 1], 1));
        Assert.Equal(0, LookElsewhere.Upcrossings([2, 3, 4], 1));
        Assert.Equal(LookElsewhere.PLocal(3), LookElsewhere.GrossVitells(3, 1, 0), 15);
        Assert.Equal(LookElsewhere.PLocal(3) + 2 * Math.Exp(-4), LookElsewhere.GrossVitells(3, 1, 2), 15);
        Assert.Equal(0.00134989803163, LookElsewhere.PLocal(3), 12);
        Assert.Equal(3, LookElsewhere.ZOf(LookElsewhere.PLocal(3)), 9);
        var (p, err) = LookElsewhere.GlobalP([0.5, 1, 2, 3], 2);
        Assert.Equal(0.5, p);
        Assert.Equal(Math.Sqrt(0.25 / 4), err, 12);
    }

    [Fact]
    public void TheSmoothDescriptionRecoversAKnownSpectrum()
    {
        var u = new double[200_000];
        FastAD.Kernels.Random.Philox4x32.FillUniform(u, 11, 0);
        double a = Math.Pow(2, -0.5), b = Math.Pow(20, -0.5);
        var m = u.Select(x => Math.Pow(a + x * (b - a), -2)).ToArray();
        var smooth = SmoothSpectrum.Fit(m, 2, 20, 4);
        foreach (var (lo, hi) in new[] { (2.0, 2.5), (5.0, 6.0), (15.0, 20.0) })
        {
            double expected = u.Length * (Math.Pow(lo, -0.5) - Math.Pow(hi, -0.5)) / (a - b);
            Assert.InRange(smooth.Integral(lo, hi), expected * 0.97, expected * 1.03);
        }
        Assert.Equal(u.Length, smooth.Integral(2, 20), u.Length * 0.005);
    }

    internal static ScanConfig Tiny()
    {
        var c = ScanConfig.Quick();
        c.Cathode = PseudoExperimentTests.Study.Config();
        c.Scan.Low = 8;
        c.Scan.High = 12;
        c.Scan.FitOnlyToys = 200;
        return c;
    }

    [Fact]
    public void AKilledScanResumesFromTheLastFinishedWindowWithTheSameNumbers()
    {
        var c = Tiny();
        var data = CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(8, 12, Seed: 3)), DimuonChannel.OS, "tiny", c.Cathode);
        var windows = c.SlidingWindows();
        Assert.Equal(3, windows.Length);
        string whole = Directory.CreateTempSubdirectory("fastad-scan").FullName, killed = Directory.CreateTempSubdirectory("fastad-scan").FullName;
        ScanResults Run(string dir, ScanConfig config, CancellationToken cancel = default, IProgress<StageProgress>? progress = null) =>
            ScanAnalysis.Run(new ScanRequest(config, data, windows, dir, false, "quick", "tiny"),
                new RunContext(CpuDevice.Instance, new ModelStore(dir, false, "scan"), progress, cancel));
        var full = Run(whole, c);
        Assert.Equal(0, full.Resumed);
        // Stop after the first window is saved (the progress of the windows stage reaches 1).
        using var stop = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Stage == "windows" && p.Done >= 1) stop.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Run(killed, c, stop.Token, progress));
        var resumed = Run(killed, c);
        // Windows run two side by side: the one finished when the run was stopped is resumed (its neighbour may have finished too).
        Assert.InRange(resumed.Resumed, 1, 2);
        Assert.Equal(full.Windows.SelectMany(w => w.Points.Select(p => p.Z)), resumed.Windows.SelectMany(w => w.Points.Select(p => p.Z)));
        Assert.Equal(3, Run(killed, c).Resumed);
        // One window after another gives the same numbers as two side by side (each window trains from its own seeds).
        var serial = Tiny();
        serial.Scan.WindowBatch = 1;
        Assert.Equal(full.Windows.SelectMany(w => w.Points.Select(p => p.Z)), Run(Directory.CreateTempSubdirectory("fastad-scan").FullName, serial).Windows.SelectMany(w => w.Points.Select(p => p.Z)));
        // Another FPR set is another statistic: nothing is resumed.
        var other = Tiny();
        other.Scan.Fprs = [1, 0.05];
        Assert.Equal(0, Run(killed, other).Resumed);
        Assert.Equal(full.Maximum.Z, full.Windows.Max(w => w.Points.Max(p => p.Z)));
        Assert.NotNull(full.FitOnly);
        Assert.Equal(200, full.FitOnly!.Toys);
        // The fit-only scan is the chain's FPR = 1 point without the training: the same Z in every window.
        string fits = Directory.CreateTempSubdirectory("fastad-scan").FullName;
        var plain = ScanAnalysis.Run(new ScanRequest(c, data, windows, fits, false, "quick", "tiny", FitOnly: true),
            new RunContext(CpuDevice.Instance, new ModelStore(fits, false, "scan")));
        Assert.Equal(full.Windows.Select(w => w.Points[0].Z), plain.Windows.Select(w => Assert.Single(w.Points).Z));
        Assert.Equal(full.FitOnly.PGlobal, plain.FitOnly!.PGlobal);
    }

    [Fact]
    public void AWindowWhoseChainFailsIsRecordedWithWhyAndTheReportListsEveryWindow()
    {
        var c = Tiny();
        var data = CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(8, 12, Seed: 3)), DimuonChannel.OS, "tiny", c.Cathode);
        var windows = c.SlidingWindows();
        string dir = Directory.CreateTempSubdirectory("fastad-scan").FullName;
        ScanResults Run(ScanConfig config, ScanWindow[] ws) => ScanAnalysis.Run(new ScanRequest(config, data, ws, dir, false, "quick", "tiny"),
            new RunContext(CpuDevice.Instance, new ModelStore(dir, false, "scan")));
        // One sample per flow and set: two training samples cannot fill three folds, in every window.
        var starved = Tiny();
        starved.Cathode.Flows.SamplesPerFlow = 1;
        var e = Assert.Throws<InvalidOperationException>(() => Run(starved, windows));
        Assert.Contains("failed in every window", e.Message);
        var saved = FastAD.Analyses.Reports.ReportJson.Load<WindowResult>(Path.Combine(ScanAnalysis.WindowFolder(dir, windows[0]), ScanAnalysis.WindowFile));
        Assert.Contains("folds", saved.Failed);
        Assert.All(saved.Points, p => Assert.True(double.IsNaN(p.Z)));
        // The report: one scan.csv row per window and FPR, and the committed set.
        var r = Run(c, windows);
        var files = ScanReport.Write(dir, r);
        Assert.Contains("scan.svg", files);
        Assert.Contains("spectra-best.svg", files);
        var lines = File.ReadAllLines(Path.Combine(dir, "scan.csv"));
        Assert.Equal(1 + windows.Length * c.Scan.Fprs.Count, lines.Length);
        Assert.True(File.Exists(Path.Combine(dir, "manifest.json")));
        Assert.Contains($"{r.Maximum.Z.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}σ", File.ReadAllText(Path.Combine(dir, "report.md")));
    }

    [Fact]
    public void MethodsRunSideBySideInEveryWindowWithoutChangingTheScansOwn()
    {
        // 8–14 GeV: the windows above 11 GeV hold no resonance (no true signal for supervised).
        var data = CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(8, 14, Seed: 3)), DimuonChannel.OS, "tiny", Tiny().Cathode);
        var background = CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(8, 14, 10_000, Resonances: false, Seed: 99)), DimuonChannel.OS, "bkg", Tiny().Cathode);
        ScanConfig Config()
        {
            var c = Tiny();
            c.Scan.High = 14;
            return c;
        }
        var windows = Config().SlidingWindows();
        var warnings = new System.Collections.Concurrent.ConcurrentQueue<StageProgress>();
        ScanResults Run(List<AnomalyMethod> methods, out string dir)
        {
            var c = Config();
            c.Scan.Methods = methods;
            dir = Directory.CreateTempSubdirectory("fastad-scan").FullName;
            return ScanAnalysis.Run(new ScanRequest(c, data, windows, dir, false, "quick", "tiny", Background: background),
                new RunContext(CpuDevice.Instance, new ModelStore(dir, false, "scan"), new SyncProgress(p => { if (p.Warning) warnings.Enqueue(p); })));
        }
        var alone = Run([AnomalyMethod.Cathode], out _);
        var all = Run([AnomalyMethod.Cathode, AnomalyMethod.Cwola, AnomalyMethod.Supervised, AnomalyMethod.Idealized], out string allDir);
        Assert.Equal(["cathode", "cwola", "supervised", "idealized"], all.Methods);
        // The scan's own method (the first) gives the same numbers whatever runs beside it.
        Assert.Equal(alone.Windows.SelectMany(w => w.Points.Select(p => p.Z)), all.Windows.SelectMany(w => w.Points.Select(p => p.Z)));
        Assert.Equal(alone.Maximum, all.Maximum);
        Assert.All(all.Windows, w => Assert.Equal(4, w.Methods.Length));
        // Each method is its own score: CWoLa's and idealized's working points are not CATHODE's.
        Assert.Contains(all.Windows, w => w.Methods[1].Points[1].Z != w.Methods[0].Points[1].Z);
        Assert.Contains(all.Windows, w => w.Methods[3].Points[1].Z != w.Methods[0].Points[1].Z);
        // The plain bump hunt (FPR 1) is the same for every method: no cut.
        Assert.All(all.Windows, w => Assert.All(w.Methods.Where(m => m.Failed is null), m => Assert.Equal(w.Methods[0].Points[0].Z, m.Points[0].Z, 9)));
        // Supervised needs true signal in the SR: where the window has too little it is recorded with why, the window is not failed.
        var sparse = all.Windows.Where(w => w.Methods[2].Failed is not null).ToArray();
        Assert.All(sparse, w => { Assert.Null(w.Failed); Assert.Contains("true signal events in the SR", w.Methods[2].Failed); });
        var withSignal = all.Windows.Where(w => w.Methods[2].Failed is null).ToArray();
        Assert.NotEmpty(withSignal);
        Assert.All(withSignal, w => Assert.True(w.Methods[2].MaxSic > 0));
        Assert.NotEmpty(sparse);
        // The warning of a method left out names the window it came from.
        Assert.All(sparse, w => Assert.Contains(warnings, p => p.Stage == $"windows, window {w.Window.Index}" && p.Note!.StartsWith("--method supervised:")));
        var files = ScanReport.Write(allDir, all);
        Assert.Contains("methods.svg", files);
        Assert.Equal(1 + windows.Length * 4 * Tiny().Scan.Fprs.Count, File.ReadAllLines(Path.Combine(allDir, "scan.csv")).Length);
        // CWoLa alone trains no flow (nothing of the background stage in the window's models) and gives the same numbers as beside CATHODE.
        var cwola = Run([AnomalyMethod.Cwola], out string cwolaDir);
        Assert.Equal(all.Windows.SelectMany(w => w.Methods[1].Points.Select(p => p.Z)), cwola.Windows.SelectMany(w => w.Points.Select(p => p.Z)));
        Assert.All(cwola.Windows, w => Assert.True(double.IsNaN(w.ClosureAuc)));
        Assert.Empty(Directory.GetFiles(cwolaDir, "flow-*", SearchOption.AllDirectories));
        Assert.NotEmpty(Directory.GetFiles(allDir, "flow-*", SearchOption.AllDirectories));
        // Where the first method cannot run, the uncut fit's sideband check comes from the next one: the same as beside CATHODE.
        var supervisedFirst = Run([AnomalyMethod.Supervised, AnomalyMethod.Cwola], out _);
        foreach (var w in sparse)
        {
            var other = supervisedFirst.Windows.Single(x => x.Window.Index == w.Window.Index);
            Assert.NotNull(other.Methods[0].Failed);
            Assert.Equal(w.SidebandFit!.Deviance, other.SidebandFit!.Deviance, 9);
        }
        // Idealized without a background-only sample is refused before anything trains, naming what to give.
        var c2 = Tiny();
        c2.Scan.Methods = [AnomalyMethod.Idealized];
        var e = Assert.Throws<ArgumentException>(() => ScanAnalysis.CheckWindows(c2, data, windows));
        Assert.Contains("--background FILE", e.Message);
    }

    [Fact]
    public void AWindowWithAResonanceInItsSidebandIsFlaggedAndAPlainOneIsNot()
    {
        // Window a: the J/ψ (3.097 GeV) in its low sideband; window b: nothing narrow within 3σ of its bands.
        var windows = new[] { new ScanWindow(0, 2.9777, 3.2893, 3.6334, 4.0135), new ScanWindow(1, 3.85, 4.0, 4.3, 4.6) };
        ScanResults Run(bool resonances, out List<StageProgress> warnings)
        {
            var c = Tiny();
            var data = CathodeInput.FromTable(DimuonScanGenerator.Generate(new DimuonScanOptions(2.5, 5, Resonances: resonances, Seed: 5)), DimuonChannel.OS, "jpsi", c.Cathode);
            string dir = Directory.CreateTempSubdirectory("fastad-scan").FullName;
            var seen = new List<StageProgress>();
            warnings = seen;
            return ScanAnalysis.Run(new ScanRequest(c, data, windows, dir, false, "quick", "jpsi", FitOnly: true),
                new RunContext(CpuDevice.Instance, new ModelStore(dir, false, "scan"), new SyncProgress(p => { if (p.Warning) lock (seen) seen.Add(p); })));
        }
        var r = Run(resonances: true, out var warned);
        Assert.True(r.Windows[0].PoorSidebandFit, $"{r.Windows[0].SidebandFit}");
        Assert.False(r.Windows[1].PoorSidebandFit, $"{r.Windows[1].SidebandFit}");
        Assert.Equal(r.Windows[0].SidebandFit!.Ndf, new BackgroundModel(CathodeAnalysis.Binning(Tiny().ForWindow(windows[0]), Tiny().Cathode.Statistics.BinsSr), Tiny().Cathode.Statistics.Degree).Binning.SbBins - Tiny().Cathode.Statistics.Degree - 1);
        Assert.Contains(warned, p => p.Stage == "windows, window 0" && p.Note!.Contains("does not describe this window's sidebands"));
        // Without the resonances the same window's sidebands are described.
        var plain = Run(resonances: false, out _);
        Assert.False(plain.Windows[0].PoorSidebandFit, $"{plain.Windows[0].SidebandFit}");
        Assert.True(plain.Windows[0].SidebandFit!.P > 1e-3);
        string dir = Directory.CreateTempSubdirectory("fastad-scan").FullName;
        ScanReport.Write(dir, r);
        Assert.Contains("**Caution:**", File.ReadAllText(Path.Combine(dir, "report.md")));
    }

    [Fact]
    public void ThePseudoScansIdentityIgnoresTheScheduleAndTheMethodsTheyDoNotRedo()
    {
        var a = Tiny();
        var b = Tiny();
        b.Scan.WindowBatch = 1;
        b.Scan.Methods = [AnomalyMethod.Cathode, AnomalyMethod.Cwola];
        Assert.Equal(a.PseudoIdentityYaml(), b.PseudoIdentityYaml());
        Assert.Equal(1, b.Scan.WindowBatch);                       // the copy did not touch the configuration itself
        Assert.Equal(2, b.Scan.Methods.Count);
        var other = Tiny();
        other.Scan.Fprs = [1, 0.05];
        Assert.NotEqual(a.PseudoIdentityYaml(), other.PseudoIdentityYaml());
        var cwola = Tiny();
        cwola.Scan.Methods = [AnomalyMethod.Cwola, AnomalyMethod.Cathode];
        Assert.NotEqual(a.PseudoIdentityYaml(), cwola.PseudoIdentityYaml());
    }

    /// <summary>Progress delivered on the reporting thread (Progress&lt;T&gt; posts to the thread pool, too late to stop at a window).</summary>
    private sealed class SyncProgress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }
}
