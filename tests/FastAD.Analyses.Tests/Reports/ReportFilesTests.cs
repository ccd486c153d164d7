using System.Text.Json;
using FastAD.Analyses.Reports;
using FastAD.Data;
using FastAD.Kernels.IO;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Analyses.Tests.Reports;

public sealed class ReportFilesTests() : TempFolderTests("fastad-reports-")
{
    [Fact]
    public void AtomicWriteReplacesTheFileAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(Folder, "sub", "result.json");
        AtomicFile.WriteAllText(path, "first version, rather longer than the second");
        AtomicFile.WriteAllText(path, "second");
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));

        // A writer that fails half-way keeps the old file whole and removes its temporary file.
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("interrupted");
        }));
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void CsvRoundTripsThroughTheDelimitedTableReader()
    {
        double[] values = [0.1 + 0.2, -1e-300, 12345678.901234567, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0];
        var table = new CsvTable("name", "value", "count");
        for (int i = 0; i < values.Length; i++) table.AddRow($"row {i}", values[i], i * 1000);
        string path = Path.Combine(Folder, "t.csv");
        table.Save(path);
        var read = DelimitedTable.Read(path);
        Assert.Equal(["name", "value", "count"], read.Columns);
        var back = read.GetDoubles("value");
        for (int i = 0; i < values.Length; i++) Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(back[i]));
        Assert.Equal(values.Select((_, i) => $"row {i}").ToArray(), read.GetStrings("name"));
        Assert.Equal([0.0, 1000, 2000, 3000, 4000, 5000, 6000], read.GetDoubles("count"));
    }

    [Fact]
    public void CsvQuotesCellsThatNeedItAndRejectsRaggedRows()
    {
        var t = new CsvTable("a", "b").AddRow("x,y", "say \"hi\"").AddRow(null, true);
        Assert.Equal("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n,true\n", t.ToString());
        Assert.Contains("2 columns", Assert.Throws<ArgumentException>(() => t.AddRow(1)).Message);
        Assert.Throws<ArgumentException>(() => new CsvTable("a", "a"));
    }

    private sealed record Result(string Selection, double Z, double P, double Missing, AxisScale Scale, IReadOnlyDictionary<string, double> PerFpr);

    [Fact]
    public void JsonIsCamelCaseAndWritesNonFiniteNumbersAsNamedStrings()
    {
        var r = new Result("os_cathode", 2.5, double.PositiveInfinity, double.NaN, AxisScale.Log, new Dictionary<string, double> { ["Fpr1"] = double.NegativeInfinity });
        string json = ReportJson.Serialize(r);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("os_cathode", doc.RootElement.GetProperty("selection").GetString());
        Assert.Equal(2.5, doc.RootElement.GetProperty("z").GetDouble());
        Assert.Equal("Infinity", doc.RootElement.GetProperty("p").GetString());
        Assert.Equal("NaN", doc.RootElement.GetProperty("missing").GetString());
        Assert.Equal("log", doc.RootElement.GetProperty("scale").GetString());
        Assert.Equal("-Infinity", doc.RootElement.GetProperty("perFpr").GetProperty("fpr1").GetString());

        string path = Path.Combine(Folder, "r.json");
        ReportJson.Save(path, r);
        var back = ReportJson.Load<Result>(path);
        Assert.Equal(r.Selection, back.Selection);
        Assert.True(double.IsNaN(back.Missing));
        Assert.Equal(double.PositiveInfinity, back.P);
        Assert.Equal(AxisScale.Log, back.Scale);
        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => ReportJson.Load<Result>(path)).Message);
    }

    [Fact]
    public void MarkdownEscapesTableCellsAndLinksImages()
    {
        var md = new MarkdownReport()
            .Heading("CATHODE run")
            .Paragraph("Z at FPR = 1%.")
            .Table(["selection", "Z"], [["a|b", "1.5"], ["c", "\u22120.25"]])
            .Image("figures/mass spectrum.svg", "mass", "The SR [9, 10.6] GeV is shaded.");
        string text = md.ToString();
        Assert.Contains("# CATHODE run\n\nZ at FPR = 1%.\n\n| selection | Z |\n|---|---:|\n| a\\|b | 1.5 |\n| c | \u22120.25 |\n", text);
        Assert.Contains("![mass](figures/mass%20spectrum.svg)\n\n*The SR [9, 10.6] GeV is shaded.*\n", text);
        Assert.Throws<ArgumentException>(() => md.Table(["a", "b"], [["only one"]]));
    }

    [Fact]
    public void ReportWriterKeepsFilesInsideTheRunFolderAndListsThem()
    {
        using var run = new ReportWriter(Path.Combine(Folder, "run"));
        var fig = new Figure();
        fig.Main.Line([0, 1], [0, 1]);
        string svg = run.WriteFigure("figures/line", fig);
        string csv = run.WriteCsv("z.csv", new CsvTable("fpr", "z").AddRow(0.01, 2.5));
        run.WriteJson("result.json", new { Z = 2.5 });
        run.WriteMarkdown("report.md", new MarkdownReport().Image(svg, "line"));
        run.WriteJson("result.json", new { Z = 3.0 });
        Assert.Equal("figures/line.svg", svg);
        Assert.Equal(["figures/line.svg", "z.csv", "result.json", "report.md"], run.Written);
        // Staged until the commit.
        Assert.False(File.Exists(Path.Combine(run.Directory, "figures", "line.svg")));
        run.Commit();
        Assert.False(Directory.Exists(run.Staging));
        Assert.True(File.Exists(Path.Combine(run.Directory, "figures", "line.svg")));
        Assert.Contains("\"z\": 3", File.ReadAllText(run.PathOf("result.json")));
        Assert.Equal("fpr,z\n0.01,2.5\n", File.ReadAllText(run.PathOf(csv)));
        Assert.Contains("leaves the run folder", Assert.Throws<ArgumentException>(() => run.WriteText("../escape.txt", "x")).Message);
        Assert.Throws<ArgumentException>(() => run.WriteText(Path.Combine(Folder, "abs.txt"), "x"));
        Assert.Empty(Directory.GetFiles(run.Directory, "*.tmp", SearchOption.AllDirectories));
    }

    private static OutputManifest WriteSet(string dir, string z, bool control, bool commit = true)
    {
        using var run = new ReportWriter(dir);
        run.WriteJson("results.json", new { Z = z });
        run.WriteCsv("scan.csv", new CsvTable("z").AddRow(z));
        if (control) run.WriteText("control.svg", $"<svg>{z}</svg>");
        run.WriteText("report.md", $"Z = {z}\n");
        return commit ? run.Commit() : null!;
    }

    [Fact]
    public void AFailedRunLeavesThePreviousSetWholeAndACommitReplacesItWhole()
    {
        // Issue 14, item 9: a run that fails before its commit (a full disk, Ctrl+C) changes nothing in the folder.
        string dir = Path.Combine(Folder, "run");
        var first = WriteSet(dir, "1", control: true);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "the user's own file");
        Assert.Empty(first.Check(dir));
        Assert.Throws<IOException>((Action)(() =>
        {
            using var run = new ReportWriter(dir);
            run.WriteJson("results.json", new { Z = "2" });
            run.WriteCsv("scan.csv", new CsvTable("z").AddRow("2"));
            throw new IOException("cannot write report.md: no space left on device");
        }));
        Assert.Empty(first.Check(dir));
        Assert.Contains("\"1\"", File.ReadAllText(Path.Combine(dir, "results.json")));
        Assert.False(Directory.Exists(Path.Combine(dir, ReportWriter.StagingName)));

        // The next set replaces every file; the previous set's file it lacks goes, the user's file stays.
        var second = WriteSet(dir, "3", control: false);
        Assert.Empty(second.Check(dir));
        Assert.False(File.Exists(Path.Combine(dir, "control.svg")));
        Assert.True(File.Exists(Path.Combine(dir, "notes.txt")));
        Assert.Equal(["results.json", "scan.csv", "report.md"], second.Files.Select(f => f.Name));
        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Equal(second.RunId, OutputManifest.TryLoad(Path.Combine(dir, ReportWriter.ManifestName))!.RunId);

        // A file changed afterwards (or left from another run) is named.
        File.WriteAllText(Path.Combine(dir, "report.md"), "Z = 1\n");
        Assert.Equal(["report.md (changed)"], second.Check(dir));

        // Identical outputs, identical manifest.
        string twin = Path.Combine(Folder, "twin");
        Assert.Equal(second.RunId, WriteSet(twin, "3", control: false).RunId);
        Assert.Equal(File.ReadAllBytes(Path.Combine(twin, ReportWriter.ManifestName)), File.ReadAllBytes(Path.Combine(dir, ReportWriter.ManifestName)));
    }

    [Fact]
    public void AStagingFolderLeftByAKilledRunIsClearedAndBookkeepingNamesAreReserved()
    {
        string dir = Path.Combine(Folder, "run");
        Directory.CreateDirectory(Path.Combine(dir, ReportWriter.StagingName));
        File.WriteAllText(Path.Combine(dir, ReportWriter.StagingName, "results.json"), "half");
        using var run = new ReportWriter(dir);
        Assert.False(File.Exists(Path.Combine(dir, ReportWriter.StagingName, "results.json")));
        Assert.Throws<ArgumentException>(() => run.WriteText("manifest.json", "x"));
        Assert.Throws<ArgumentException>(() => run.WriteText(".fastad.lock", "x"));
        Assert.Throws<ArgumentException>(() => run.WriteText(".fastad-staging/x", "x"));
    }
}
