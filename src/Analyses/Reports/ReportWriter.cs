using FastAD.Kernels.IO;

namespace FastAD.Analyses.Reports;

/// <summary>
/// Writes the files of one run folder: every file atomically (temporary file + rename), names relative to the
/// folder (sub-folders allowed, nothing outside it), and a list of what was written, in order, for a manifest.
/// </summary>
/// <example>
/// <code>
/// var run = new ReportWriter("runs/cathode-2026-11-23");
/// run.WriteJson("result.json", result);
/// run.WriteCsv("significance.csv", table);
/// string svg = run.WriteFigure("figures/mass", figure);   // figures/mass.svg
/// run.WriteMarkdown("report.md", new MarkdownReport().Heading("CATHODE").Image(svg, "mass spectrum"));
/// </code>
/// </example>
public sealed class ReportWriter
{
    private readonly List<string> _written = [];

    /// <summary>A writer for <paramref name="directory"/>, which is created if missing.</summary>
    public ReportWriter(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        if (File.Exists(Directory)) throw new ArgumentException($"Output folder {directory} is a file.");
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The run folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>Relative names (forward slashes) of the files written so far, in order, each once.</summary>
    public IReadOnlyList<string> Written => _written;

    /// <summary>The absolute path of <paramref name="name"/> inside the folder; names that leave the folder are errors.</summary>
    public string PathOf(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (Path.IsPathRooted(name)) throw new ArgumentException($"Report file name '{name}' must be relative to the run folder.");
        string full = Path.GetFullPath(Path.Combine(Directory, name));
        string root = Directory.EndsWith(Path.DirectorySeparatorChar) ? Directory : Directory + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
            throw new ArgumentException($"Report file name '{name}' leaves the run folder {Directory}.");
        return full;
    }

    private string Record(string name, Action<string> write)
    {
        string full = PathOf(name);
        write(full);
        string relative = Path.GetRelativePath(Directory, full).Replace('\\', '/');
        if (!_written.Contains(relative)) _written.Add(relative);
        return relative;
    }

    /// <summary>Writes text (UTF-8); returns the relative name.</summary>
    public string WriteText(string name, string text) => Record(name, p => AtomicFile.WriteAllText(p, text));

    /// <summary>Writes a value as JSON with <see cref="ReportJson.Options"/>; returns the relative name.</summary>
    public string WriteJson<T>(string name, T value) => Record(name, p => ReportJson.Save(p, value));

    /// <summary>Writes a CSV table; returns the relative name.</summary>
    public string WriteCsv(string name, CsvTable table) => Record(name, table.Save);

    /// <summary>Writes a figure as SVG (".svg" is appended when the name has no extension); returns the relative name, ready for <see cref="MarkdownReport.Image"/>.</summary>
    public string WriteFigure(string name, Figure figure) =>
        Record(Path.HasExtension(name) ? name : name + ".svg", figure.Save);

    /// <summary>Writes a Markdown document; returns the relative name.</summary>
    public string WriteMarkdown(string name, MarkdownReport report) => Record(name, report.Save);
}
