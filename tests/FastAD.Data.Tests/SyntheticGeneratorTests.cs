using FastAD.Data;
using FastAD.Data.Synthetic;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Data.Tests;

public class SyntheticGeneratorTests(ITestOutputHelper output)
{
    private static byte[] Bytes(EventTable table, string extension)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastad-gen-{Guid.NewGuid():N}{extension}");
        try
        {
            EventTableIO.Write(table, path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string> Kinds => new() { "dimuon-os", "dimuon-ss", "conrad", "multilepton" };

    private static EventTable Make(string kind, ulong seed) => kind switch
    {
        "dimuon-os" => DimuonGenerator.Generate(new DimuonOptions(Seed: seed)),
        "dimuon-ss" => DimuonGenerator.Generate(new DimuonOptions(DimuonChannel.SS, Seed: seed)),
        "conrad" => ConradGenerator.Generate(new ConradOptions(Events: 40_000, SignalFraction: 0.01, Seed: seed)),
        _ => MultileptonGenerator.Generate(new MultileptonOptions(SignalMassA: 150, Seed: seed)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SameSeedGivesTheSameBytesAndAnotherSeedDoesNot(string kind)
    {
        var a = Bytes(Make(kind, 7), ".csv");
        var b = Bytes(Make(kind, 7), ".csv");
        var c = Bytes(Make(kind, 8), ".csv");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Bytes(Make(kind, 7), ".npy"), Bytes(Make(kind, 7), ".npy"));
    }

    private static (int Sbl, int Sr, int Sbh) Bands(double[] mass) =>
        (mass.Count(m => m < 9), mass.Count(m => m >= 9 && m < 10.6), mass.Count(m => m >= 10.6));

    private static void WithinPoisson((int Sbl, int Sr, int Sbh) observed, (int Sbl, int Sr, int Sbh) published)
    {
        Assert.InRange(observed.Sbl, published.Sbl - 3 * Math.Sqrt(published.Sbl), published.Sbl + 3 * Math.Sqrt(published.Sbl));
        Assert.InRange(observed.Sr, published.Sr - 3 * Math.Sqrt(published.Sr), published.Sr + 3 * Math.Sqrt(published.Sr));
        Assert.InRange(observed.Sbh, published.Sbh - 3 * Math.Sqrt(published.Sbh), published.Sbh + 3 * Math.Sqrt(published.Sbh));
    }

    [Fact]
    public void DimuonSamplesHaveThePublishedSizes()
    {
        // Expected background band counts of the shapes, plus the 97 Υ events in the SR, against the published counts.
        var (l, r, h) = DimuonGenerator.BackgroundBandFractions(DimuonChannel.OS);
        int bg = DimuonGenerator.OsEvents - DimuonGenerator.OsSignalEvents;
        Assert.InRange(l * bg, 6924 - 10, 6924 + 10);
        Assert.InRange(r * bg + DimuonGenerator.OsSignalEvents, 1692 - 10, 1692 + 10);
        Assert.InRange(h * bg, 3716 - 10, 3716 + 10);
        var (sl, sr, sh) = DimuonGenerator.BackgroundBandFractions(DimuonChannel.SS);
        Assert.InRange(sl * DimuonGenerator.SsEvents, 3868 - 10, 3868 + 10);
        Assert.InRange(sr * DimuonGenerator.SsEvents, 989 - 10, 989 + 10);
        Assert.InRange(sh * DimuonGenerator.SsEvents, 2311 - 10, 2311 + 10);

        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            var os = DimuonGenerator.Generate(new DimuonOptions(Seed: seed));
            Assert.Equal(12_332, os.RowCount);
            Assert.Equal(["dimu_mass", "dimu_pt", "mu0_ip3d", "mu1_ip3d", "is_signal"], os.ColumnNames);
            Assert.Equal(97, os.View<int>("is_signal").ToArray().Sum());
            var b = Bands(os.GetDouble("dimu_mass"));
            output.WriteLine($"OS seed {seed}: {b}");
            WithinPoisson(b, (6924, 1692, 3716));
            Assert.All(os.GetDouble("dimu_mass"), m => Assert.InRange(m, 4.5, 16.0));
            Assert.All(os.GetDouble("mu0_ip3d"), v => Assert.True(v > 0));

            var ss = DimuonGenerator.Generate(new DimuonOptions(DimuonChannel.SS, Seed: seed));
            Assert.Equal(7_168, ss.RowCount);
            Assert.Equal(0, ss.View<int>("is_signal").ToArray().Sum());
            var s = Bands(ss.GetDouble("dimu_mass"));
            output.WriteLine($"SS seed {seed}: {s}");
            WithinPoisson(s, (3868, 989, 2311));
        }

        var big = DimuonGenerator.Generate(new DimuonOptions(Events: 200_000, SignalFraction: 0.1));
        Assert.Equal(200_000, big.RowCount);
        Assert.Equal(20_000, big.View<int>("is_signal").ToArray().Sum());
    }

    private static readonly string[] Features = ["dimu_pt", "mu0_ip3d", "mu1_ip3d"];

    [Fact]
    public void DimuonSignalRegionFeaturesMatchTheRealAntiIsolatedEvents()
    {
        var real = TestTables.ReadCsv(Path.Combine(ReferenceData.Folder, "sr_os_features_no_isolation.csv"));
        var keep = Enumerable.Range(0, real["dimu_mass"].Length).Where(i => real["mu0_iso04"][i] >= 0.55 && real["mu1_iso04"][i] >= 0.55).ToArray();
        Assert.Equal(1692, keep.Length);

        // Ten default OS samples pooled (about 17k SR events) so that the comparison is limited by the 1692 real events.
        var generated = Features.ToDictionary(f => f, _ => new List<double>());
        for (ulong seed = 1; seed <= 10; seed++)
        {
            var t = DimuonGenerator.Generate(new DimuonOptions(Seed: seed));
            var sr = t.Where("dimu_mass", m => m >= 9 && m < 10.6);
            foreach (var f in Features) generated[f].AddRange(sr.GetDouble(f));
        }
        int n = generated["dimu_pt"].Count;
        // A sample drawn from the real distribution would exceed this distance with probability 0.1%.
        double critical = SampleStatistics.KsCritical(keep.Length, n, 0.001);
        foreach (var f in Features)
        {
            double ks = SampleStatistics.KsDistance(generated[f], keep.Select(i => real[f][i]));
            output.WriteLine($"{f}: KS {ks:F4} (0.1% critical {critical:F4}, n = {n})");
            Assert.True(ks < critical, $"{f}: KS distance {ks:F4} ≥ {critical:F4}");
        }
        // Rank correlations between the features within 0.05 of the real ones (their standard error is about 0.025).
        for (int a = 0; a < 3; a++)
            for (int b = a + 1; b < 3; b++)
            {
                double g = SampleStatistics.Spearman(generated[Features[a]], generated[Features[b]]);
                double r = SampleStatistics.Spearman(keep.Select(i => real[Features[a]][i]).ToArray(), keep.Select(i => real[Features[b]][i]).ToArray());
                output.WriteLine($"Spearman {Features[a]}–{Features[b]}: generated {g:F3}, real {r:F3}");
                Assert.InRange(g - r, -0.05, 0.05);
            }
    }

    [Fact]
    public void DimuonSignalIsPromptAndHarderAndTheBackgroundVariesSmoothlyWithMass()
    {
        var t = DimuonGenerator.Generate(new DimuonOptions(Events: 400_000, SignalFraction: 0.05, Seed: 3));
        var mass = t.GetDouble("dimu_mass");
        var sig = t.View<int>("is_signal").ToArray();
        var pt = t.GetDouble("dimu_pt");
        var ip0 = t.GetDouble("mu0_ip3d");
        var ip1 = t.GetDouble("mu1_ip3d");
        bool Sr(int i) => mass[i] >= 9 && mass[i] < 10.6;
        var s = Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 1 && Sr(i)).ToArray();
        var b = Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 0 && Sr(i)).ToArray();
        double sIp0 = SampleStatistics.Median(s.Select(i => ip0[i])), bIp0 = SampleStatistics.Median(b.Select(i => ip0[i]));
        double sIp1 = SampleStatistics.Median(s.Select(i => ip1[i])), bIp1 = SampleStatistics.Median(b.Select(i => ip1[i]));
        double sPt = SampleStatistics.Median(s.Select(i => pt[i])), bPt = SampleStatistics.Median(b.Select(i => pt[i]));
        output.WriteLine($"SR medians: signal ip3d {sIp0:F4}/{sIp1:F4} pt {sPt:F1}; background ip3d {bIp0:F4}/{bIp1:F4} pt {bPt:F1}");
        Assert.True(sIp0 < 0.25 * bIp0 && sIp1 < 0.25 * bIp1, "signal muons should be prompt next to the displaced background");
        Assert.True(sPt > 1.3 * bPt, "the Υ should be harder than the background");
        // The Υ peaks: 1S holds most of the signal, about 1% resolution.
        double inPeak = s.Count(i => Math.Abs(mass[i] - 9.4603) < 2 * 0.094603) / (double)s.Length;
        Assert.InRange(inPeak, 0.6, 0.75);

        // Background medians in 1 GeV mass slices: monotone in mass with small steps (no jumps at the band edges).
        double previousIp = double.NegativeInfinity;
        for (double lo = 5; lo < 15.5; lo += 1)
        {
            var slice = Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 0 && mass[i] >= lo && mass[i] < lo + 1).ToArray();
            double lip = Math.Log(SampleStatistics.Median(slice.Select(i => ip0[i])));
            output.WriteLine($"[{lo}, {lo + 1}): {slice.Length} background events, median ln ip3d0 {lip:F3}");
            if (previousIp > double.NegativeInfinity) Assert.InRange(lip - previousIp, -0.05, 0.25);
            previousIp = lip;
        }
    }

    [Fact]
    public void ConradHasThePaperSizesAndMetDependentBackground()
    {
        var t = ConradGenerator.Generate(new ConradOptions(Seed: 2));
        var met = t.GetDouble("MET");
        var mj = t.GetDouble("m_J");
        var t21 = t.GetDouble("tau21");
        var t32 = t.GetDouble("tau32");
        var sig = t.View<int>("is_signal").ToArray();
        var tpl = t.View<int>("is_template").ToArray();
        Assert.Equal(701_200 + 700_000, t.RowCount);
        Assert.Equal(1_200, sig.ToArray().Sum());
        Assert.Equal(700_000, tpl.ToArray().Sum());
        Assert.All(met, m => Assert.True(m > ConradGenerator.TriggerMet));
        var data = Enumerable.Range(0, t.RowCount).Where(i => tpl[i] == 0 && sig[i] == 0).ToArray();
        int inSr = data.Count(i => met[i] > 1000);
        output.WriteLine($"background in the SR: {inSr} (expected {700_000 * ConradGenerator.BackgroundSignalRegionFraction:F0})");
        Assert.InRange(inSr, 87_000, 93_000);
        Assert.InRange(inSr, 700_000 * ConradGenerator.BackgroundSignalRegionFraction - 4 * 300, 700_000 * ConradGenerator.BackgroundSignalRegionFraction + 4 * 300);

        double Med(IEnumerable<int> rows, double[] x) => SampleStatistics.Median(rows.Select(i => x[i]));
        var low = data.Where(i => met[i] < 800).ToArray();
        var high = data.Where(i => met[i] > 1200).ToArray();
        Assert.True(Med(high, mj) > 1.15 * Med(low, mj), "jet mass should grow with MET");
        Assert.True(Med(high, t21) < Med(low, t21) - 0.01, "tau21 should fall with MET");

        var s = Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 1).ToArray();
        // 75% of the X jets are contained (300 GeV ± 15%: 86% of them within 240–375 GeV), the rest lower and broad.
        double contained = s.Count(i => mj[i] is > 240 and < 375) / (double)s.Length;
        output.WriteLine($"signal m_J in 240–375 GeV: {contained:P1}; median {Med(s, mj):F1} GeV");
        Assert.InRange(contained, 0.58, 0.76);
        Assert.InRange(Med(s, mj), 270, 300);
        Assert.True(Med(s, t32) < Med(data, t32) - 0.15, "3-prong signal has low tau32");

        var two = ConradGenerator.Generate(new ConradOptions(Events: 50_000, Signal: ConradSignal.TwoProng, Seed: 2));
        var s2 = Enumerable.Range(0, two.RowCount).Where(i => two.View<int>("is_signal")[i] == 1).ToArray();
        Assert.True(SampleStatistics.Median(s2.Select(i => two.GetDouble("tau21")[i])) < Med(data, t21) - 0.1, "2-prong signal has low tau21");
        // Signal rows take the same random numbers as background rows: the background of a seed is the same whatever the signal.
        var three = ConradGenerator.Generate(new ConradOptions(Events: 50_000, Seed: 2));
        Assert.Equal(three.GetDouble("m_J").Where((_, i) => three.View<int>("is_signal")[i] == 0), two.GetDouble("m_J").Where((_, i) => two.View<int>("is_signal")[i] == 0));

        // The template is close to the Z(νν) background but not identical.
        var template = Enumerable.Range(0, t.RowCount).Where(i => tpl[i] == 1).ToArray();
        foreach (var (name, x) in new[] { ("MET", met), ("m_J", mj), ("tau21", t21) })
        {
            double ks = SampleStatistics.KsDistance(template.Take(100_000).Select(i => x[i]), data.Take(100_000).Select(i => x[i]));
            output.WriteLine($"template vs Z(νν) {name}: KS {ks:F4}");
            Assert.InRange(ks, 0.008, 0.1);
        }
    }

    [Fact]
    public void MultileptonHasZAndHiggsPeaksAndInjectedSignal()
    {
        foreach (double mA in MultileptonGenerator.SignalMassPoints)
        {
            var t = MultileptonGenerator.Generate(new MultileptonOptions(Events: 20_000, SignalFraction: 0.01, SignalMassA: mA, Seed: 4));
            var sim = t.View<int>("is_simulation").ToArray();
            var sig = t.View<int>("is_signal").ToArray();
            var mee = t.GetDouble("m_ee");
            var m4l = t.GetDouble("m_4l");
            var mmm = t.GetDouble("m_mumu");
            Assert.Equal(20_000 + 200 + 20_000, t.RowCount);
            Assert.Equal(20_000, sim.Sum());
            Assert.Equal(200, sig.Sum());
            Assert.All(Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 1), i => Assert.Equal(0, sim[i]));
            var s = Enumerable.Range(0, t.RowCount).Where(i => sig[i] == 1).ToArray();
            Assert.InRange(SampleStatistics.Median(s.Select(i => m4l[i])), mA - 2, mA + 2);
            Assert.InRange(SampleStatistics.Median(s.Select(i => mee[i])), 24, 26);
            Assert.InRange(SampleStatistics.Median(s.Select(i => mmm[i])), 14, 16);
            var b = Enumerable.Range(0, t.RowCount).Where(i => sim[i] == 1).ToArray();
            int Count(double[] x, double lo, double hi) => b.Count(i => x[i] >= lo && x[i] < hi);
            // Z peaks in both pair masses and in m_4l; the Higgs peak in m_4l.
            Assert.True(Count(mee, 86, 96) > 4 * Count(mee, 96, 106));
            Assert.True(Count(mmm, 86, 96) > 4 * Count(mmm, 76, 86) / 2);
            Assert.True(Count(m4l, 86, 96) > 3 * Count(m4l, 100, 110));
            Assert.True(Count(m4l, 121, 129) > 3 * Count(m4l, 105, 113));
            Assert.All(b, i => Assert.True(m4l[i] > mee[i] && m4l[i] > mmm[i], "each pair mass is below the four-lepton mass"));
        }
    }

    [Fact]
    public void MultileptonBackgroundReachesUnderTheSignalThroughItsLowMassContinua()
    {
        // The Zγ* and Z → 4ℓ components put one pair far off shell (a 1/m continuum from 4 GeV): a quarter or more of the events have
        // a pair below 40 GeV; γ*γ* puts some background in the signal's (m_ee, m_mumu) window, which the old generator (one pair
        // always near the Z) left empty. The ZZ m_4l spectrum rises from the
        // threshold and peaks above it.
        var t = MultileptonGenerator.Generate(new MultileptonOptions(Events: 20_000, SignalFraction: 0, Seed: 9));
        var sim = t.View<int>("is_simulation").ToArray();
        var mee = t.GetDouble("m_ee");
        var mmm = t.GetDouble("m_mumu");
        var m4l = t.GetDouble("m_4l");
        var b = Enumerable.Range(0, t.RowCount).Where(i => sim[i] == 1).ToArray();
        Assert.Equal(MultileptonGenerator.DefaultEvents, (int)Math.Round(MultileptonGenerator.BackgroundCrossSectionFb * MultileptonGenerator.DefaultLuminosityFb));
        double low = b.Count(i => Math.Min(mee[i], mmm[i]) < 40) / (double)b.Length;
        Assert.InRange(low, 0.25, 0.6);
        int window = b.Count(i => mee[i] is > 20 and < 30 && mmm[i] is > 12 and < 18);
        // γ*γ* (3 %): both pairs in the 1/m continuum, about 0.15 × 0.15 of them in the window: ~13 of 20,000.
        Assert.True(window >= 5, $"{window} background events in the signal's pair-mass window");
        Assert.All(b, i => Assert.True(mee[i] >= 4 && mmm[i] >= 4, "pairs above 4 GeV"));
        int Count(double lo, double hi) => b.Count(i => m4l[i] >= lo && m4l[i] < hi);
        Assert.True(Count(200, 240) > 1.5 * Count(170, 185), "the ZZ spectrum rises above its threshold");
        Assert.True(Count(200, 240) > 2 * Count(400, 440), "and falls in its tail");
    }

    [Fact]
    public void MalformedOptionsAreRejectedClearly()
    {
        var e = Assert.Throws<ArgumentException>(() => DimuonGenerator.Generate(new DimuonOptions(Events: 0)));
        Assert.Contains("--events must be at least 1", e.Message);
        foreach (double f in new[] { -0.1, 1.0, 1.5, double.NaN })
        {
            e = Assert.Throws<ArgumentException>(() => DimuonGenerator.Generate(new DimuonOptions(SignalFraction: f)));
            Assert.Contains("--signal-fraction must be in [0, 1)", e.Message);
            Assert.Throws<ArgumentException>(() => ConradGenerator.Generate(new ConradOptions(Events: 10, SignalFraction: f)));
        }
        e = Assert.Throws<ArgumentException>(() => MultileptonGenerator.Generate(new MultileptonOptions(SignalMassA: 130)));
        Assert.Contains("125, 150, 250", e.Message);
        e = Assert.Throws<ArgumentException>(() => ConradGenerator.Generate(new ConradOptions(Events: -5)));
        Assert.Contains("--events", e.Message);
    }
}
