using System.Globalization;
using System.Xml.Linq;
using FastAD.Analyses.Reports;
using FastAD.Analyses.Simad;
using FastAD.Data;
using FastAD.Kernels.Cpu;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>One reduced simulation-based run (both losses, one mass point), shared by the tests that read it.</summary>
public sealed class SimadRunFixture
{
    public SimadRunFixture()
    {
        Config = SimadConfig.Quick();
        Config.Classifier.Ensemble = 3;
        Config.Classifier.Hidden = [16, 16];
        Config.Classifier.Epochs = 6;
        Config.Bootstrap.Samples = 19;
        Config.Injection.MassPoints = [250];
        Config.Injection.Signal = [0, 60, 400];
        Config.Injection.Repeats = 3;
        // 2,000 events per copy: 2,000 / 30 fb = 66.7 fb⁻¹; half the produced signal selected.
        Config.Generate.Events = 2000;
        Config.Injection.SelectionEfficiency = 0.5;
        Dir = Directory.CreateTempSubdirectory("fastad-simad").FullName;
        Results = SimadAnalysis.Run(new SimadRequest(Config, SimadData.Generate(Config), Dir, "test", "generated"), CpuDevice.Instance);
    }

    public SimadConfig Config { get; }
    public string Dir { get; }
    public SimadResults Results { get; }
}

public class SimadAnalysisTests(SimadRunFixture run) : IClassFixture<SimadRunFixture>
{
    private SimadResults R => run.Results;

    [Fact]
    public void EveryStatisticMovesWithInjectedSignalAndLeavesTheBand()
    {
        Assert.Equal(2, R.Scans.Length);
        foreach (var s in R.Scans)
        {
            var nul = R.Nulls.Single(n => n.Loss == s.Loss);
            for (int k = 0; k < 4; k++)
            {
                int dir = StatisticSet.Direction(k);
                var means = s.Points.Select(p => dir * p.Mean[k]).ToArray();
                // Larger at 400 injected events than at 0 in the signal direction (mean of the injections). The middle point
                // (60 events, 3 %) is not required to lie between: with 3 networks of 6 epochs the MLC loss has heavy tails
                // (e^f on simulation events far out in the m_4l tail, where ReLU networks extrapolate linearly).
                Assert.True(means[2] > means[0], $"{s.Loss} {StatisticSet.Names[k]}: {string.Join(", ", means)}");
                // At 400 events (20 % of the background; the generator's low-mass continua put background under the signal) the
                // mean loss and mean score are beyond the 2σ edge, so a crossing is found below 400. The max score and the score spread are not required to be: their MLC nulls have heavy tails.
                if (s.Crossings[k].Signal is { } at)
                {
                    Assert.InRange(at, 0, 400);
                    // The crossing lies between the first scan point beyond the 2σ edge and the one before it, in
                    // injected events and in cross section alike.
                    double edge2 = dir > 0 ? nul.Bands[k].Upper2 : nul.Bands[k].Lower2;
                    int beyond = Array.FindIndex(s.Points, p => dir * (p.Mean[k] - edge2) > 0);
                    Assert.True(beyond > 0, $"{s.Loss} {StatisticSet.Names[k]}: crossing at {at} but no point beyond the edge after the first");
                    Assert.InRange(at, s.Points[beyond - 1].Signal, s.Points[beyond].Signal);
                    Assert.InRange(s.Crossings[k].CrossSectionFb!.Value, s.Points[beyond - 1].CrossSectionFb, s.Points[beyond].CrossSectionFb);
                }
                if (k >= 2) continue;
                double edge = dir > 0 ? nul.Bands[k].Upper2 : nul.Bands[k].Lower2;
                Assert.True(dir * (s.Points[^1].Mean[k] - edge) > 0, $"{s.Loss} {StatisticSet.Names[k]} at 400 events: {s.Points[^1].Mean[k]} vs edge {edge}");
                Assert.NotNull(s.Crossings[k].Signal);
                Assert.True(s.Points[^1].PValue[k] <= 2.0 / (R.Config.Bootstrap.Samples + 1), $"{s.Loss} {StatisticSet.Names[k]} p = {s.Points[^1].PValue[k]}");
            }
        }
    }

    [Fact]
    public void InjectedEventsBecomeACrossSectionThroughTheLuminosityAndTheEfficiency()
    {
        // σ = N / (L ε): L = 2,000 events / 30 fb (the generator's selected background cross section), ε = 0.5.
        double luminosity = 2000 / FastAD.Data.Synthetic.MultileptonGenerator.BackgroundCrossSectionFb;
        Assert.Equal(luminosity, R.LuminosityFb, 1e-12);
        foreach (var s in R.Scans)
        {
            Assert.All(s.Points, p => Assert.Equal(p.Signal / (luminosity * 0.5), p.CrossSectionFb, 1e-12));
            Assert.All(s.Crossings.Where(x => x.Signal is not null), x => Assert.Equal(x.Signal!.Value / (luminosity * 0.5), x.CrossSectionFb!.Value, 1e-12));
        }
    }

    [Fact]
    public void NullBandsContainTheBackgroundOnlyValue()
    {
        foreach (var n in R.Nulls)
        {
            Assert.Equal(R.Config.Bootstrap.Samples, n.Bootstraps.Length);
            // Every classifier trained on the background-only sample itself: the null's first job and the zero-injection
            // repeats (same events, other network seeds). One such value is inside a 2σ band 95 % of the time; their mean,
            // with the training noise averaged down, must be inside.
            var zero = R.Scans.Single(s => s.Loss == n.Loss).Points.Single(p => p.Signal == 0);
            for (int k = 0; k < 4; k++)
            {
                var b = n.Bands[k];
                Assert.True(b.Lower2 <= b.Lower1 && b.Lower1 <= b.Median && b.Median <= b.Upper1 && b.Upper1 <= b.Upper2, $"{n.Loss} {b.Statistic}: bands out of order");
                double mean = zero.Injections.Select(v => v[k]).Append(b.BackgroundOnly).Average();
                Assert.True(mean >= b.Lower2 && mean <= b.Upper2, $"{n.Loss} {b.Statistic}: background-only mean {mean} outside [{b.Lower2}, {b.Upper2}]");
            }
            // The bootstraps differ (resampling and seeds), so the bands have width.
            Assert.All(n.Bands, b => Assert.True(b.Upper2 > b.Lower2));
        }
    }

    [Fact]
    public void MlcMeanLossFollowsItsAsymptoticBehaviour()
    {
        // For data = simulation the MLC minimiser is f = 0 and the loss per event −f (data), e^f − 1 (simulation) → 0;
        // with signal f = ln(p_data/p_sim) and the expected loss −E_data f + E_sim(e^f − 1) < 0.
        var nul = R.Nulls.Single(n => n.Loss == "mlc");
        var band = nul.Bands[0];
        var zero = R.Scans.Single(s => s.Loss == "mlc").Points[0];
        double bgOnly = zero.Injections.Select(v => v.MeanLoss).Append(nul.BackgroundOnly.MeanLoss).Average();
        Assert.True(Math.Abs(bgOnly) <= 2 * band.Std, $"background-only MLC loss {bgOnly}, bootstrap sd {band.Std}");
        Assert.True(Math.Abs(band.Median) <= 2 * band.Std, $"bootstrap median {band.Median}");
        var scan = R.Scans.Single(s => s.Loss == "mlc");
        var loss = scan.Points.Select(p => p.Mean[0]).ToArray();
        Assert.True(loss[^1] < 0 && loss[^1] < loss[0], string.Join(", ", loss));
        // The BCE loss starts near ln 2 (no separation) and falls.
        var bce = R.Nulls.Single(n => n.Loss == "bce");
        Assert.InRange(bce.BackgroundOnly.MeanLoss, Math.Log(2) - 0.02, Math.Log(2) + 0.05);
    }

    [Fact]
    public void SplitsAndCountsFollowTheConfiguration()
    {
        Assert.Equal(1000, R.Split.BackgroundTrain);
        Assert.Equal(1000, R.Split.BackgroundTest);
        Assert.Equal(1000, R.Split.SimulationTest);
        var c = R.Config;
        int perLoss = (c.Bootstrap.Samples + 1 + c.Injection.Signal.Count * c.Injection.Repeats) * c.Classifier.Ensemble;
        Assert.Equal(2 * perLoss, R.NetworksTrained);
        Assert.All(R.Scans, s => Assert.All(s.Points, p => Assert.Equal(c.Injection.Repeats, p.Injections.Length)));
        // The stage tables were written as the stages finished.
        var nullCsv = DelimitedTable.Read(Path.Combine(run.Dir, SimadAnalysis.PartialFolder, "null-bce.csv"));
        Assert.Equal(c.Bootstrap.Samples + 1, nullCsv.RowCount);
        Assert.True(File.Exists(Path.Combine(run.Dir, SimadAnalysis.PartialFolder, "scan-mlc-m250.csv")));
    }

    [Fact]
    public void ReportHoldsTheNumbersAndFigures()
    {
        var dir = Directory.CreateTempSubdirectory("fastad-simad-report").FullName;
        Directory.CreateDirectory(Path.Combine(dir, SimadAnalysis.PartialFolder));
        var files = SimadReport.Write(dir, R);
        Assert.False(Directory.Exists(Path.Combine(dir, SimadAnalysis.PartialFolder))); // the committed set replaces the stage tables
        foreach (var f in new[] { "results.json", "config.yaml", "null-bce.csv", "null-mlc.csv", "scan-bce-m250.csv", "scan-bce-m250.svg", "scan-mlc-m250.svg", "crossings.csv", "null.svg", "report.md" })
            Assert.Contains(f, files);
        var back = ReportJson.Load<SimadResults>(Path.Combine(dir, "results.json"));
        Assert.Equal(R.Nulls[1].Bands[0].Upper2, back.Nulls[1].Bands[0].Upper2);
        Assert.Equal(R.Scans[0].Crossings[2].Signal, back.Scans[0].Crossings[2].Signal);
        var svg = XDocument.Load(Path.Combine(dir, "scan-bce-m250.svg"));
        var texts = svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToArray();
        Assert.Contains("null ±2σ", texts);
        Assert.Contains("max score", texts);
        // The paper's Fig. 1 layout: against the cross section in fb, a zoomed panel per statistic, the dedicated search's 0.04 fb.
        Assert.Contains("injected cross section (fb)", texts);
        Assert.Equal(4, texts.Count(t => t == "zoom"));
        Assert.Contains("dedicated 0.04 fb", texts);
        var first = R.Scans[0].Crossings.First(x => x.CrossSectionFb is not null);
        Assert.Contains($"2σ at {first.CrossSectionFb!.Value.ToString("G3", CultureInfo.InvariantCulture)} fb", texts);
        var crossings = DelimitedTable.Read(Path.Combine(dir, "crossings.csv"));
        Assert.Equal(first.CrossSectionFb.Value,
            double.Parse(crossings.GetStrings("cross_section_fb_at_2sigma")[Array.IndexOf(R.Scans[0].Crossings, first)], CultureInfo.InvariantCulture), 1e-12);
        var scan = DelimitedTable.Read(Path.Combine(dir, "scan-mlc-m250.csv"));
        Assert.Equal(3 * 3, scan.RowCount);
        Assert.Equal(R.Scans[1].Points[2].Injections[1].MaxScore, scan.GetDoubles("max_score")[7]);
        var md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("![bce m_A = 250 GeV](scan-bce-m250.svg)", md);
    }
}

/// <summary>Config, input and the band/crossing arithmetic: no training except one cancelled run.</summary>
public class SimadUnitTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("fastad-simad-unit").FullName, name);

    [Fact]
    public void ConfigLoadsOverPresetsAndNamesBadKeys()
    {
        var paper = SimadConfig.Paper();
        Assert.Equal(10, paper.Classifier.Ensemble);
        Assert.Equal([50, 50, 50], paper.Classifier.Hidden);
        Assert.Equal(20, paper.Classifier.Epochs);
        Assert.Equal(100, paper.Bootstrap.Samples);
        Assert.Equal(10, paper.Injection.Repeats);
        Assert.Equal([125.0, 150, 250], paper.Injection.MassPoints);
        var good = Temp("c.yaml");
        File.WriteAllText(good, "classifier:\n  epochs: 3\nbootstrap:\n  samples: 7\n");
        var c = SimadConfig.Load(good, SimadConfig.Quick());
        Assert.Equal(3, c.Classifier.Epochs);
        Assert.Equal(7, c.Bootstrap.Samples);
        Assert.Equal(SimadConfig.Quick().Classifier.Ensemble, c.Classifier.Ensemble);   // the preset's value survives
        var round = Temp("r.yaml");
        File.WriteAllText(round, SimadConfig.ToYaml(c));
        Assert.Equal(SimadConfig.ToYaml(c), SimadConfig.ToYaml(SimadConfig.Load(round, SimadConfig.Paper())));
        var bad = Temp("bad.yaml");
        File.WriteAllText(bad, "classifier:\n  epochs: 3\n  hiden: [4]\n");
        var e = Assert.Throws<InvalidDataException>(() => SimadConfig.Load(bad, SimadConfig.Paper()));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("hiden", e.Message);
        File.WriteAllText(bad, "injection:\n  mass_points: [125, 200]\n");
        Assert.Contains("200", Assert.Throws<ArgumentException>(() => SimadConfig.Load(bad, SimadConfig.Paper())).Message);
        File.WriteAllText(bad, "classifier:\n  losses: [bce, hinge]\n");
        Assert.Contains("line 2: classifier.losses[1] is 'hinge'; expected bce or mlc", Assert.Throws<InvalidDataException>(() => SimadConfig.Load(bad, SimadConfig.Paper())).Message);
        File.WriteAllText(bad, "evaluation:\n  test_fraction: 1\n");
        Assert.Contains("test_fraction", Assert.Throws<ArgumentException>(() => SimadConfig.Load(bad, SimadConfig.Paper())).Message);
    }

    private static EventTable Table(int data, int sim, bool truth, int signal = 0)
    {
        int n = data + signal + sim;
        var m = Enumerable.Range(0, n).Select(i => 80.0 + i % 17).ToArray();
        var cols = new List<(string, Array)> { ("m_ee", m), ("m_mumu", m.Select(v => v + 1).ToArray()), ("m_4l", m.Select(v => 2 * v).ToArray()),
            ("is_simulation", Enumerable.Range(0, n).Select(i => i >= data + signal ? 1 : 0).ToArray()) };
        if (truth) cols.Add(("is_signal", Enumerable.Range(0, n).Select(i => i >= data && i < data + signal ? 1 : 0).ToArray()));
        return EventTable.FromColumns([.. cols]);
    }

    [Fact]
    public void FileInputIsSplitIntoBackgroundSimulationAndSignalPool()
    {
        var c = SimadConfig.Quick();
        var s = SimadData.FromTable(Table(100, 120, truth: true, signal: 30), "f.csv", c);
        Assert.Equal(100, s.Background.RowCount);
        Assert.Equal(120, s.Simulation.RowCount);
        Assert.Equal(130, s.Observed!.RowCount);
        Assert.Equal("file", Assert.Single(s.Pools).Name);
        Assert.Equal(30, s.Pools[0].Events.RowCount);
        Assert.Equal(["m_ee", "m_mumu", "m_4l"], s.Background.ColumnNames);
        var noTruth = SimadData.FromTable(Table(100, 120, truth: false), "g.csv", c);
        Assert.Empty(noTruth.Pools);
        Assert.Contains(noTruth.Notes, n => n.Contains("no 'is_signal' column"));
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var c = SimadConfig.Quick();
        var missing = EventTable.FromColumns(("m_ee", new double[50]), ("m_4l", new double[50]));
        var e = Assert.Throws<InvalidDataException>(() => SimadData.FromTable(missing, "x.csv", c));
        Assert.Contains("'m_mumu'", e.Message);
        Assert.Contains("'is_simulation'", e.Message);
        Assert.Contains("m_ee, m_4l", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SimadData.FromTable(Table(30, 120, truth: true, signal: 5), "y.csv", c));
        Assert.Contains("30 events", e.Message);
        Assert.Contains($"at least {SimadData.MinEvents}", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SimadData.FromTable(Table(100, 10, truth: false), "z.csv", c));
        Assert.Contains("simulation rows", e.Message);
        var flags = Table(60, 60, truth: false).WithColumn("is_simulation", Enumerable.Range(0, 120).Select(i => i == 7 ? 2.0 : i % 2).ToArray());
        e = Assert.Throws<InvalidDataException>(() => SimadData.FromTable(flags, "w.csv", c));
        Assert.Contains("row 8", e.Message);
        var nan = Table(60, 60, truth: false);
        var m = nan.GetDouble("m_4l");
        m[3] = double.NaN;
        e = Assert.Throws<InvalidDataException>(() => SimadData.FromTable(nan.WithColumn("m_4l", m), "v.csv", c));
        Assert.Contains("row 4, column 'm_4l'", e.Message);
    }

    private static NullResult Null(double[] values) =>
        SimadAnalysis.Null("x", new StatisticSet(values[0], values[0], values[0], values[0]), values.Select(v => new StatisticSet(v, v, v, v)).ToArray());

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void MlcMeanLossReachesItsAsymptoticValue(double shift)
    {
        // The paper's classifier (10 networks of 3 × 50, 20 epochs) with the MLC loss, data ~ N((μ, 0, 0), I) against
        // simulation ~ N(0, I), 5,000 training and 20,000 test events of each. The loss per event over equal data and
        // simulation counts, ½[−E_data f + E_sim(e^f − 1)], is smallest at f = ln(p_data/p_sim), where it equals
        // −½ KL(p_data ‖ p_sim) = −μ²/4; a trained classifier's held-out loss sits at or just above it (the statistical
        // error of the test estimate is about 0.006 at μ = 1). A loss normalised to the data count alone, a sign error
        // or an output that is not the log-likelihood ratio misses this by more than 0.1.
        const int d = 3, train = 5_000, test = 20_000;
        var c = SimadConfig.Paper();
        double[] Sample(int n, double mu, ulong stream)
        {
            var x = new double[n * d];
            FastAD.Kernels.Random.Philox4x32.FillNormal(x, 77, stream);
            for (int i = 0; i < n; i++) x[i * d] += mu;
            return x;
        }
        var s = SimadAnalysis.Evaluate(c, FastAD.Flows.ClassifierLoss.Mlc, Sample(train, shift, 1), Sample(train, 0, 2),
            Sample(test, shift, 3), Sample(test, 0, 4), d, seed: 5);
        double asymptote = -shift * shift / 4;
        // Measured: +0.005 at μ = 0 (the held-out cost of a finite training, ½E[e^f − 1 − f] ≥ 0), −0.253 at μ = 1 (−0.25).
        Assert.InRange(s.MeanLoss, asymptote - 0.02, asymptote + 0.02);
    }

    [Fact]
    public void BandsAreQuantilesAndCrossingsInterpolate()
    {
        // Bootstrap values 0..100: the quantile at p is 100 p (linear interpolation between order statistics).
        var nul = Null(Enumerable.Range(0, 101).Select(i => (double)i).ToArray());
        var b = nul.Bands[1];
        Assert.Equal(100 * 0.9772498680518208, b.Upper2, 1e-9);
        Assert.Equal(100 * 0.15865525393145707, b.Lower1, 1e-9);
        Assert.Equal(50, b.Median, 1e-12);
        Assert.Equal(50, b.Mean, 1e-12);
        InjectionPoint P(int s, double v) => new(s, s / 100.0, [], [v, v, v, v], [0, 0, 0, 0], [1, 1, 1, 1]);
        // Scores cross the upper 2σ edge (97.725) between 10 (v = 90) and 30 (v = 110): at 10 + 20·7.725/20.
        var points = new[] { P(0, 50), P(10, 90), P(30, 110) };
        var up = SimadAnalysis.Cross(nul, 1, points, 100);
        Assert.Equal(17.72498680518208, up.Signal!.Value, 1e-9);
        Assert.Equal(0.1772498680518208, up.CrossSectionFb!.Value, 1e-11);     // 100 fb⁻¹
        // The loss crosses the lower edge (2.275) instead: 50 → 90 → 110 never does; 50 → 10 → 0 does between 10 and 30.
        Assert.Null(SimadAnalysis.Cross(nul, 0, points, 100).Signal);
        var down = SimadAnalysis.Cross(nul, 0, [P(0, 50), P(10, 10), P(30, 0)], 100);
        Assert.Equal(25.44997361036416, down.Signal!.Value, 1e-9);               // 10 + 20 · (10 − 2.275)/10
        // Already beyond the edge at the lowest point: no crossing is defined.
        var early = SimadAnalysis.Cross(nul, 1, [P(0, 99), P(10, 120)], 100);
        Assert.Null(early.Signal);
        Assert.True(early.BeyondAtLowest);
        Assert.False(up.BeyondAtLowest);
        // p-values in the signal direction: a score above all 101 bootstraps gets 1/102; a loss above them gets 1.
        Assert.Equal(1.0 / 102, SimadAnalysis.PValue(nul, 1, 1000), 1e-12);
        Assert.Equal(1.0, SimadAnalysis.PValue(nul, 0, 1000), 1e-12);
    }

    [Fact]
    public void AsymptoticPValuesAreGaussianTailsOfTheBootstrapAndDisagreementsAreNamed()
    {
        // Bootstrap values 0..100: mean 50, sd √(101·102/12) = 29.30. A score 2 sd above the mean has the one-sided 2σ p-value 0.02275;
        // a loss 2 sd below it too (losses fall with signal), and a loss 2 sd above has p = 0.977.
        var nul = Null(Enumerable.Range(0, 101).Select(i => (double)i).ToArray());
        double sd = nul.Bands[1].Std;
        Assert.Equal(Math.Sqrt(101.0 * 102 / 12), sd, 1e-9);
        Assert.Equal(SimadAnalysis.TwoSigmaP, SimadAnalysis.AsymptoticPValue(nul, 1, 50 + 2 * sd), 1e-12);
        Assert.Equal(SimadAnalysis.TwoSigmaP, SimadAnalysis.AsymptoticPValue(nul, 0, 50 - 2 * sd), 1e-12);
        Assert.Equal(1 - SimadAnalysis.TwoSigmaP, SimadAnalysis.AsymptoticPValue(nul, 0, 50 + 2 * sd), 1e-12);
        Assert.Equal(0.5, SimadAnalysis.AsymptoticPValue(nul, 2, 50), 1e-12);
        // A value beyond every bootstrap: with 101 bootstraps the floor 1/102 is itself beyond 2σ, so the two agree; with 21 the bootstrap
        // p cannot go below 1/22 = 0.045 while the asymptotic one is far below, and the floor is named.
        double far = SimadAnalysis.AsymptoticPValue(nul, 1, 300);
        Assert.True(far < 1e-15, $"{far}");
        Assert.Null(SimadAnalysis.Disagreement(SimadAnalysis.PValue(nul, 1, 300), far, 101));
        var small = Null(Enumerable.Range(0, 21).Select(i => (double)i).ToArray());
        Assert.Equal("bootstrap at its floor 1/22", SimadAnalysis.Disagreement(SimadAnalysis.PValue(small, 1, 300), SimadAnalysis.AsymptoticPValue(small, 1, 300), 21));
        // Both beyond 2σ, both inside: agreement. One side each: named by which.
        Assert.Null(SimadAnalysis.Disagreement(0.01, 0.001, 100));
        Assert.Null(SimadAnalysis.Disagreement(0.3, 0.2, 100));
        Assert.Equal("beyond 2σ by the bootstrap only", SimadAnalysis.Disagreement(0.0198, 0.04, 100));
        Assert.Equal("beyond 2σ asymptotically only", SimadAnalysis.Disagreement(0.05, 0.01, 100));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void BdtLogOddsAreTheLogLikelihoodRatioOfTheMlcStatistics(double shift)
    {
        // The BDT option on data ~ N((μ, 0, 0), I) against simulation ~ N(0, I), 5,000 training and 20,000 test events of each: its
        // log-odds stand for f = ln(p_data/p_sim), so the MLC loss evaluated with them sits near its minimum −μ²/4 (as the MLC
        // network's does, MlcMeanLossReachesItsAsymptoticValue), its mean data score near E_data f = μ²/2, and the BCE loss of its
        // probabilities below ln 2 by about the Jensen–Shannon divergence. Probabilities read as f, a sign error or an unweighted class
        // prior miss these by more than the tolerances.
        const int d = 3, train = 5_000, test = 20_000;
        var c = SimadConfig.Quick();
        c.Classifier.Kind = SimadClassifierKind.Bdt;
        double[] Sample(int n, double mu, ulong stream)
        {
            var x = new double[n * d];
            FastAD.Kernels.Random.Philox4x32.FillNormal(x, 77, stream);
            for (int i = 0; i < n; i++) x[i * d] += mu;
            return x;
        }
        // Unequal training sizes: the trees weight data to the simulation's total, so f is the density ratio, not the posterior odds.
        var job = new ClassifierJob(Sample(train, shift, 1), Sample(2 * train, 0, 2), Sample(test, shift, 3), Sample(test, 0, 4), 5);
        var mlc = SimadAnalysis.Evaluate(CpuDevice.Instance, c, FastAD.Flows.ClassifierLoss.Mlc, [job], d)[0];
        var bce = SimadAnalysis.Evaluate(CpuDevice.Instance, c, FastAD.Flows.ClassifierLoss.Bce, [job], d)[0];
        Assert.InRange(mlc.MeanLoss, -shift * shift / 4 - 0.03, -shift * shift / 4 + 0.04);
        Assert.InRange(mlc.MeanScore, shift * shift / 2 - 0.1, shift * shift / 2 + 0.1);
        // μ = 1: the Jensen–Shannon divergence of N(1, 1) and N(0, 1) is 0.111 nats (numerical integral): BCE ≈ ln 2 − 0.111.
        double js = shift == 0 ? 0 : 0.111;
        Assert.InRange(bce.MeanLoss, Math.Log(2) - js - 0.015, Math.Log(2) - js + 0.03);
        Assert.InRange(bce.MeanScore, 0.5 + (shift == 0 ? -0.02 : 0.05), 0.5 + (shift == 0 ? 0.02 : 0.2));
    }

    [Fact]
    public void BdtAndMlpStatisticsComeFromTheSameBootstraps()
    {
        // The same sample, null and injections for both classifiers: a bootstrap "data" set depends on the run's seed and its index,
        // never on the classifier. Rebuilding bootstrap 1 from the seed tree and training each classifier on it alone gives that
        // run's statistics again, for the BDT and for the networks.
        var c = Tiny();
        c.Generate.Events = 600;
        c.Bootstrap.Samples = 6;
        c.Injection.Signal = [0, 60];
        c.Injection.Repeats = 2;
        c.Classifier.Losses = [FastAD.Flows.ClassifierLoss.Mlc];
        var sample = SimadData.Generate(c);
        var bdt = SimadConfig.Load(WriteYaml(SimadConfig.ToYaml(c)), SimadConfig.Quick());
        bdt.Classifier.Kind = SimadClassifierKind.Bdt;
        var mlpRun = SimadAnalysis.Run(new SimadRequest(c, sample, Temp("mlp"), "test", "generated"), CpuDevice.Instance);
        var bdtRun = SimadAnalysis.Run(new SimadRequest(bdt, sample, Temp("bdt"), "test", "generated"), CpuDevice.Instance);
        Assert.Equal(c.Bootstrap.Samples, bdtRun.Nulls[0].Bootstraps.Length);
        Assert.Equal(c.Bootstrap.Samples * c.Classifier.Ensemble + c.Classifier.Ensemble + 2 * 2 * c.Classifier.Ensemble, bdtRun.NetworksTrained);
        Assert.Contains("BDTs", SimadAnalysis.DevicePlan(bdt, CpuDevice.Instance));

        var seeds = FastAD.Kernels.Random.SeedTree.Of(c.Seed)["simad"];
        var (bgTrain, bgTest) = sample.Background.Split(1 - c.Evaluation.TestFraction, seeds["split"]["background"].Seed);
        var (simTrain, simTest) = sample.Simulation.Split(1 - c.Evaluation.TestFraction, seeds["split"]["simulation"].Seed);
        ClassifierJob Job(EventTable train, EventTable test, ulong seed) =>
            new(train.Matrix(sample.Features), simTrain.Matrix(sample.Features), test.Matrix(sample.Features), simTest.Matrix(sample.Features), seed);
        var networks = seeds["networks"]["null (mlc)"];
        var original = Job(bgTrain, bgTest, networks[0].Seed);
        var first = Job(bgTrain.Bootstrap(seeds["bootstrap"][1]["train"].Seed), bgTest.Bootstrap(seeds["bootstrap"][1]["test"].Seed), networks[1].Seed);
        foreach (var (config, run) in new[] { (c, mlpRun), (bdt, bdtRun) })
        {
            // The BDT's binning comes from a stage's first job: the background-only classifier leads, as in the run.
            var again = SimadAnalysis.Evaluate(CpuDevice.Instance, config, FastAD.Flows.ClassifierLoss.Mlc, [original, first], 3);
            Assert.Equal(run.Nulls[0].BackgroundOnly, again[0]);
            Assert.Equal(run.Nulls[0].Bootstraps[0], again[1]);
        }
        // Two classifiers, not one twice.
        Assert.NotEqual(mlpRun.Nulls[0].Bootstraps[0], bdtRun.Nulls[0].Bootstraps[0]);
        // The BDT's null describes its background-only classifier: duplicated bootstrap rows never reach the early-stopping share,
        // so the bootstrap trees are not grown further than the background-only ones (their score spread is of the same size).
        var spread = bdtRun.Nulls[0].Bands[3];
        Assert.InRange(bdtRun.Nulls[0].BackgroundOnly.StdScore, spread.Median / 3, spread.Median * 3);
    }

    private static string WriteYaml(string yaml)
    {
        var path = Temp("c.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void BdtTrainingRowsCountABootstrapDuplicateOnce()
    {
        // Rows (1, 2), (1, 2), (3, 4) of data and (5, 6) of simulation: two distinct data rows, one of frequency 2; test rows keep every copy.
        var job = new ClassifierJob([1, 2, 1, 2, 3, 4], [5, 6], [1, 2, 1, 2], [7, 8], 3);
        var c = SimadConfig.Quick();
        c.Classifier.BdtValidationFraction = 0;
        var (columns, labels, frequencies, folds) = SimadAnalysis.BdtRows(c, [job, job], 2);
        Assert.Equal(2 * 6, labels.Length);
        Assert.Equal([1.0, 3, 5, 1, 1, 7], columns[0][..6]);
        Assert.Equal([2.0, 1, 1, 1, 1, 1], frequencies[..6]);
        Assert.Equal([1.0, 1, 0, 1, 1, 0], labels[..6]);
        Assert.Equal([6, 7, 8], folds[1].Train);
        Assert.Equal([9, 10, 11], folds[1].Test);
        Assert.Empty(folds[0].Validation);
    }

    [Fact]
    public void TheGeneratedSampleStandsForItsLuminosity()
    {
        var c = SimadConfig.Quick();
        c.Injection.MassPoints = [125];
        c.Injection.Signal = [0, 10];
        var s = SimadData.Generate(c);
        Assert.Equal(4500, s.Background.RowCount);                       // 30 fb × 150 fb⁻¹
        Assert.Equal(150, s.LuminosityFb, 1e-12);
        c.Generate.LuminosityFb = 50;
        Assert.Equal(1500, SimadData.Generate(c).Background.RowCount);
        c.Generate.Events = 900;
        Assert.Equal(30, SimadData.Generate(c).LuminosityFb, 1e-12);     // explicit events stand for events / 30 fb
        c.Injection.SelectionEfficiency = 0;
        Assert.Contains("selection_efficiency", Assert.Throws<ArgumentException>(c.Validate).Message);
    }

    /// <summary>A run of a few seconds: 200 events, one network of 4 units, one epoch, 3 bootstraps, one mass point.</summary>
    private static SimadConfig Tiny()
    {
        var c = SimadConfig.Quick();
        c.Generate.Events = 200;
        c.Classifier.Ensemble = 1;
        c.Classifier.Hidden = [4];
        c.Classifier.Epochs = 1;
        c.Bootstrap.Samples = 3;
        c.Injection.MassPoints = [125];
        return c;
    }

    [Fact]
    public void CancelledRunKeepsTheFinishedStage()
    {
        var c = Tiny();
        var dir = Temp("run");
        using var cts = new CancellationTokenSource();
        var progress = new CallbackProgress<StageProgress>(p =>
        {
            if (p.Stage.StartsWith("scan", StringComparison.Ordinal)) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            SimadAnalysis.Run(new SimadRequest(c, SimadData.Generate(c), dir, "test", "generated"), CpuDevice.Instance, progress, cts.Token));
        // Kept apart from the committed outputs (issue 14, item 9): the folder holds no final-named file of this run.
        var table = DelimitedTable.Read(Path.Combine(dir, SimadAnalysis.PartialFolder, "null-bce.csv"));
        Assert.Equal(4, table.RowCount);
        Assert.False(File.Exists(Path.Combine(dir, SimadAnalysis.PartialFolder, "scan-bce-m125.csv")));
        Assert.False(File.Exists(Path.Combine(dir, "null-bce.csv")));
    }

    [Fact]
    public void ReuseTakesTheFinishedStagesAndRetrainsADamagedOne()
    {
        var c = Tiny();
        c.Classifier.Losses = [FastAD.Flows.ClassifierLoss.Bce];
        var dir = Temp("reuse");
        var sample = SimadData.Generate(c);
        var notes = new List<string>();
        SimadResults Go(bool reuse) => SimadAnalysis.Run(new SimadRequest(c, sample, dir, "test", "generated"),
            new RunContext(CpuDevice.Instance, new ModelStore(dir, reuse, "simad"), new CallbackProgress<StageProgress>(p => { if (p.Note is { } n) lock (notes) notes.Add(n); })));
        var first = Go(reuse: false);
        Assert.True(first.NetworksTrained > 0);
        var again = Go(reuse: true);
        Assert.Equal(0, again.NetworksTrained);
        Assert.Equal(first.Nulls[0].Bootstraps, again.Nulls[0].Bootstraps);
        Assert.Equal(first.Scans.Select(x => x.Points.Select(q => q.Mean).ToArray()), again.Scans.Select(x => x.Points.Select(q => q.Mean).ToArray()));

        // A damaged stage file is named and that stage alone is trained again, to the same numbers.
        string nullFile = Path.Combine(dir, "models", "simad-null-bce.json");
        File.WriteAllText(nullFile, File.ReadAllText(nullFile).Replace("\"meanLoss\":", "\"meanLoss\": 1e-3 +"));
        notes.Clear();
        var repaired = Go(reuse: true);
        Assert.Contains(notes, n => n.StartsWith(nullFile, StringComparison.Ordinal) && n.EndsWith("; retraining", StringComparison.Ordinal));
        Assert.Equal((c.Bootstrap.Samples + 1) * c.Classifier.Ensemble, repaired.NetworksTrained);
        Assert.Equal(first.Nulls[0].Bootstraps, repaired.Nulls[0].Bootstraps);

        // Other settings are other inputs: every stage is trained again.
        c.Classifier.Epochs = 2;
        notes.Clear();
        Assert.Equal(first.NetworksTrained, Go(reuse: true).NetworksTrained);
        Assert.Contains(notes, n => n.Contains("trained on other inputs", StringComparison.Ordinal));
    }

    [Fact]
    public void AStageOfADivergingNetworkIsSavedAndReadWithItsNonFiniteStatistics()
    {
        // An MLC network can diverge (e^f overflows): its statistics are NaN or infinite, and the stage is still kept.
        string path = Path.Combine(Temp("stage"), "simad-null-mlc.json");
        var identity = new FastAD.Kernels.IO.ModelIdentity("simad", null, "null (mlc)", "0123456789abcdef");
        StatisticSet[] stats = [new(double.NaN, 0.5, double.PositiveInfinity, 0.1), new(0.01, 0.5, 0.7, 0.1)];
        SimadStageFile.Save(path, stats, identity);
        Assert.Equal(stats, SimadStageFile.Load(path, identity, 2));
        Assert.Throws<FastAD.Kernels.IO.CorruptModelException>(() => SimadStageFile.Load(path, identity, 3));
        Assert.Throws<FastAD.Kernels.IO.ModelMismatchException>(() => SimadStageFile.Load(path, identity with { Inputs = "fedcba9876543210" }, 2));
    }
}
