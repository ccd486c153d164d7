using System.Text.Json;
using FastAD.Data;
using Xunit;

namespace FastAD.Cli.Tests;

public class GenerateCommandTests
{
    private static string Temp(string extension) => Path.Combine(Path.GetTempPath(), $"fastad-generate-{Guid.NewGuid():N}{extension}");

    [Fact]
    public void GenerateWritesTheSameBytesForTheSameSeedInEveryFormat()
    {
        foreach (var ext in new[] { ".csv", ".npz", ".feather" })
        {
            string a = Temp(ext), b = Temp(ext), c = Temp(ext);
            try
            {
                var r = CliRunner.Run("generate", "dimuon", "--out", a, "--seed", "5");
                Assert.True(r.Code == 0, r.Output);
                Assert.Contains("12,332 rows (97 signal)", r.Output);
                Assert.Equal(0, CliRunner.Run("generate", "dimuon", "--out", b, "--seed", "5").Code);
                Assert.Equal(0, CliRunner.Run("generate", "dimuon", "--out", c, "--seed", "6").Code);
                Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
                Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
                var table = EventTableIO.Read(a);
                Assert.Equal(12_332, table.RowCount);
                Assert.Equal(97, table.GetDouble("is_signal").Sum());
            }
            finally
            {
                File.Delete(a);
                File.Delete(b);
                File.Delete(c);
            }
        }
    }

    [Fact]
    public void EveryKindAndOptionReachesTheFile()
    {
        string path = Temp(".npy");
        try
        {
            Assert.Equal(0, CliRunner.Run("generate", "dimuon", "--channel", "SS", "--out", path).Code);
            var ss = EventTableIO.Read(path);
            Assert.Equal(7_168, ss.RowCount);
            Assert.Equal(0, ss.GetDouble("is_signal").Sum());

            Assert.Equal(0, CliRunner.Run("generate", "dimuon", "--events", "5000", "--signal-fraction", "0.1", "--out", path).Code);
            Assert.Equal(500, EventTableIO.Read(path).GetDouble("is_signal").Sum());

            var r = CliRunner.Run("generate", "conrad", "--events", "20000", "--signal", "2prong", "--out", path);
            Assert.True(r.Code == 0, r.Output);
            var conrad = EventTableIO.Read(path);
            Assert.Equal(["MET", "m_J", "tau21", "tau32", "is_signal", "is_template"], conrad.ColumnNames);
            Assert.Equal(20_000 + 34 + 20_000, conrad.RowCount);

            r = CliRunner.Run("generate", "multilepton", "--signal", "250", "--signal-fraction", "0.05", "--out", path);
            Assert.True(r.Code == 0, r.Output);
            var ml = EventTableIO.Read(path);
            Assert.Equal(4_500 + 225 + 4_500, ml.RowCount);       // 4,500 events per copy = 150 fb⁻¹ at 30 fb
            var m4l = ml.GetDouble("m_4l");
            var sig = ml.GetDouble("is_signal");
            Assert.InRange(Enumerable.Range(0, ml.RowCount).Where(i => sig[i] == 1).Average(i => m4l[i]), 245, 255);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GeneratedOsSampleRunsThroughTheBumpHunt()
    {
        string csv = Temp(".csv"), json = Temp(".json");
        try
        {
            Assert.Equal(0, CliRunner.Run("generate", "dimuon", "--out", csv, "--seed", "2").Code);
            var (code, output) = CliRunner.Run("bumphunt", "--masses", csv, "--column", "dimu_mass", "--device", "cpu", "--json", json);
            Assert.True(code == 0, output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(12_332, doc.RootElement.GetProperty("EventsSelected").GetInt32());
            // About 1692 events in the SR (3 Poisson standard deviations).
            Assert.InRange(doc.RootElement.GetProperty("NSignalRegion").GetDouble(), 1692 - 124, 1692 + 124);
        }
        finally
        {
            File.Delete(csv);
            File.Delete(json);
        }
    }

    [Theory]
    [InlineData("must be OS or SS", "generate", "dimuon", "--channel", "XS", "--out", "x.csv")]
    [InlineData("--signal-fraction must be in [0, 1)", "generate", "dimuon", "--signal-fraction", "1.5", "--out", "x.csv")]
    [InlineData("--events must be at least 1", "generate", "conrad", "--events", "0", "--out", "x.csv")]
    [InlineData("unknown kind 'higgs'", "generate", "higgs", "--out", "x.csv")]
    [InlineData("--channel applies to dimuon only", "generate", "conrad", "--channel", "OS", "--out", "x.csv")]
    [InlineData("--signal for conrad must be 3prong or 2prong", "generate", "conrad", "--signal", "4prong", "--out", "x.csv")]
    [InlineData("m_A = 125, 150 or 250", "generate", "multilepton", "--signal", "130", "--out", "x.csv")]
    [InlineData("--signal applies to conrad and multilepton", "generate", "dimuon", "--signal", "125", "--out", "x.csv")]
    public void MalformedOptionsGetOneClearLine(string message, params string[] args)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
        Assert.False(File.Exists("x.csv"));
    }

    [Fact]
    public void UnsupportedExtensionIsRejectedBeforeGenerating()
    {
        string path = Temp(".xlsx");
        var (code, output) = CliRunner.Run("generate", "dimuon", "--out", path);
        Assert.Equal(2, code);
        Assert.Contains(".xlsx", output);
        Assert.False(File.Exists(path));
    }
}
