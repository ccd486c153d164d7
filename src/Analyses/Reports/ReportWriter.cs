using System.Security.Cryptography;
using System.Text;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Reports;

/// <summary>
/// Writes the files of one run folder as one consistent set: every file goes first into a staging folder inside the run
/// folder (<c>.fastad-staging</c>), and <see cref="Commit"/> moves them into place — results.json last, just after
/// manifest.json, which lists every file of the set with its size and SHA-256 and a run id (the digest of that list).
/// A run that fails or is stopped before <see cref="Commit"/> (a full disk, Ctrl+C, kill -9) therefore leaves the previous
/// run's files untouched; files of the previous set (named in its manifest) that the new set lacks are removed at the end
/// of the commit, so the folder never mixes two runs' outputs. Names are relative to the folder (sub-folders allowed,
/// nothing outside it, names starting with ".fastad" reserved); <see cref="Written"/> lists them in order for the
/// report. One writer per folder and manifest at a time: the CLI holds the folder's <see cref="OutputLock"/>
/// (`fastad merge`, with its own manifest and staging folder, its own lock file).
/// </summary>
/// <example>
/// <code>
/// using var run = new ReportWriter("runs/cathode-2026-11-23");
/// run.WriteJson("result.json", result);
/// run.WriteCsv("significance.csv", table);
/// string svg = run.WriteFigure("figures/mass", figure);   // figures/mass.svg
/// run.WriteMarkdown("report.md", new MarkdownReport().Heading("CATHODE").Image(svg, "mass spectrum"));
/// run.Commit();
/// </code>
/// </example>
public sealed class ReportWriter : IDisposable
{
    /// <summary>The manifest of a run folder's files.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>The file moved into place last: present and listed in the manifest means the set is complete.</summary>
    public const string LastName = "results.json";

    /// <summary>The staging folder inside the run folder.</summary>
    public const string StagingName = ".fastad-staging";

    private readonly List<string> _written = [];
    private readonly Dictionary<string, (long Bytes, string Sha256)> _sums = [];
    private bool _committed;

    /// <summary>
    /// A writer for <paramref name="directory"/>, which is created if missing; a staging folder left by an interrupted run
    /// is removed. Producers that share a folder (an analysis and `fastad merge`) keep their sets apart by
    /// <paramref name="manifestName"/>.
    /// </summary>
    public ReportWriter(string directory, string manifestName = ManifestName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(manifestName);
        Directory = OutputLock.EnsureFolder(directory);
        Manifest = manifestName;
        // Producers sharing a folder stage apart.
        Staging = Path.Combine(Directory, manifestName == ManifestName ? StagingName : $"{StagingName}-{Path.GetFileNameWithoutExtension(manifestName)}");
        if (System.IO.Directory.Exists(Staging)) System.IO.Directory.Delete(Staging, recursive: true);
    }

    /// <summary>The run folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>The manifest's name in the folder.</summary>
    public string Manifest { get; }

    /// <summary>Where files wait for <see cref="Commit"/>.</summary>
    public string Staging { get; }

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
        string relative = Relative(full);
        if (relative == Manifest || relative.Split('/')[0].StartsWith(".fastad", StringComparison.Ordinal))
            throw new ArgumentException($"Report file name '{name}' is reserved for the run folder's bookkeeping.");
        return full;
    }

    private string Relative(string full) => Path.GetRelativePath(Directory, full).Replace('\\', '/');

    private string Record(string name, string text)
    {
        string full = PathOf(name);
        if (_committed) throw new InvalidOperationException($"The outputs of {Directory} were committed; start a new ReportWriter.");
        string relative = Relative(full);
        var bytes = new UTF8Encoding(false).GetBytes(text);
        string staged = Path.Combine(Staging, relative);
        try
        {
            AtomicFile.Write(staged, s => s.Write(bytes), full);
        }
        catch (IOException e)
        {
            // A full disk while staging: nothing in the folder was replaced yet.
            throw new IOException($"{e.Message} (the outputs already in {Directory} are unchanged)", e);
        }
        _sums[relative] = (bytes.Length, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
        if (!_written.Contains(relative)) _written.Add(relative);
        return relative;
    }

    /// <summary>Writes text (UTF-8); returns the relative name.</summary>
    public string WriteText(string name, string text) => Record(name, text);

    /// <summary>Writes a value as JSON with <see cref="ReportJson.Options"/>; returns the relative name.</summary>
    public string WriteJson<T>(string name, T value) => Record(name, ReportJson.Serialize(value));

    /// <summary>Writes a CSV table; returns the relative name.</summary>
    public string WriteCsv(string name, CsvTable table) => Record(name, table.ToString());

    /// <summary>Writes a figure as SVG (".svg" is appended when the name has no extension); returns the relative name, ready for <see cref="MarkdownReport.Image"/>.</summary>
    public string WriteFigure(string name, Figure figure) =>
        Record(Path.HasExtension(name) ? name : name + ".svg", figure.ToSvg());

    /// <summary>Writes a Markdown document; returns the relative name.</summary>
    public string WriteMarkdown(string name, MarkdownReport report) => Record(name, report.ToString());

    /// <summary>
    /// Moves the staged files into the run folder (results.json last, after manifest.json), then removes the files of the
    /// previous set that this one lacks and the staging folder. Returns the manifest.
    /// </summary>
    public OutputManifest Commit()
    {
        if (_committed) throw new InvalidOperationException($"The outputs of {Directory} were committed already.");
        var files = _written.Select(n => new OutputManifest.Entry(n, _sums[n].Bytes, _sums[n].Sha256)).ToArray();
        var manifest = new OutputManifest(OutputManifest.FormatName, OutputManifest.CurrentVersion, OutputManifest.RunIdOf(files), files);
        var previous = OutputManifest.TryLoad(Path.Combine(Directory, Manifest));
        AtomicFile.WriteAllText(Path.Combine(Staging, Manifest), ReportJson.Serialize(manifest), Path.Combine(Directory, Manifest));
        var order = _written.Where(n => n != LastName).Append(Manifest).Concat(_written.Where(n => n == LastName));
        foreach (var name in order) AtomicFile.Replace(Path.Combine(Staging, name), Path.Combine(Directory, name));
        _committed = true;
        // The previous run's files that this run does not write would otherwise pass for this run's.
        foreach (var old in previous?.Files ?? [])
        {
            if (_sums.ContainsKey(old.Name)) continue;
            try
            {
                string path = PathOf(old.Name);
                if (File.Exists(path)) File.Delete(path);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException) { }
        }
        TryDeleteStaging();
        return manifest;
    }

    /// <summary>Removes the staging folder of a writer that was not committed (the run folder keeps the previous set).</summary>
    public void Dispose()
    {
        if (!_committed) TryDeleteStaging();
    }

    private void TryDeleteStaging()
    {
        try
        {
            if (System.IO.Directory.Exists(Staging)) System.IO.Directory.Delete(Staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>
/// manifest.json of a run folder: every output file of one run with its size and SHA-256, and the run id (the first 16
/// hex digits of the SHA-256 of the list, so identical outputs have identical ids). A file that differs from its entry,
/// or one that is missing, was not written by that run; <see cref="Check"/> names them.
/// </summary>
public sealed record OutputManifest(string Format, int Version, string RunId, OutputManifest.Entry[] Files)
{
    /// <summary>The format's name.</summary>
    public const string FormatName = "fastad-outputs";

    /// <summary>The format's version.</summary>
    public const int CurrentVersion = 1;

    /// <summary>One file of the set.</summary>
    public sealed record Entry(string Name, long Bytes, string Sha256);

    /// <summary>The run id of a list of files.</summary>
    public static string RunIdOf(IEnumerable<Entry> files)
    {
        var text = string.Concat(files.Select(f => $"{f.Name}\t{f.Bytes}\t{f.Sha256}\n"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
    }

    /// <summary>The manifest at <paramref name="path"/>, or null when there is none or it is unreadable.</summary>
    public static OutputManifest? TryLoad(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var m = ReportJson.Deserialize<OutputManifest>(File.ReadAllText(path));
            return m is { Format: FormatName, Files: not null } ? m : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The files of the folder that do not match this manifest ("report.md (changed)", "sic.csv (missing)"); empty when the set is whole.</summary>
    public IReadOnlyList<string> Check(string directory)
    {
        var bad = new List<string>();
        foreach (var f in Files)
        {
            string path = Path.Combine(directory, f.Name);
            if (!File.Exists(path)) { bad.Add($"{f.Name} (missing)"); continue; }
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != f.Bytes || Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant() != f.Sha256) bad.Add($"{f.Name} (changed)");
        }
        return bad;
    }
}
