using System.Text;
using System.Text.Json;
using FastAD.Analyses.Reports;
using FastAD.Kernels.IO;

namespace FastAD.Analyses;

/// <summary>The first line of a shard's results file: what must match for results to be continued or merged.</summary>
/// <typeparam name="THeader">The header type itself.</typeparam>
public interface IShardHeader<THeader> where THeader : IShardHeader<THeader>
{
    /// <summary>Studies in the whole study (all shards): indices run 0..Count − 1.</summary>
    int Count { get; }
    /// <summary>i of the shard i/K that wrote the file.</summary>
    int ShardIndex { get; }
    /// <summary>K of the shard i/K that wrote the file.</summary>
    int ShardCount { get; }
    /// <summary>The first field (other than the shard) where two headers differ, as "name: a vs b"; null when they agree.</summary>
    string? Difference(THeader other);
    /// <summary>Reads and checks a header line (format, version, fields); errors name the file and line.</summary>
    static abstract THeader Read(string path, string line, int lineNumber);
}

/// <summary>One result line of a shard's results file.</summary>
/// <typeparam name="THeader">The file's header type.</typeparam>
/// <typeparam name="TRecord">The record type itself.</typeparam>
public interface IShardRecord<THeader, TRecord> where THeader : IShardHeader<THeader> where TRecord : IShardRecord<THeader, TRecord>
{
    /// <summary>Its index in the study (its seeds derive from it alone).</summary>
    int Index { get; }
    /// <summary>What one record is called in messages ("pseudoexperiment", "pseudo-scan").</summary>
    static abstract string Noun { get; }
    /// <summary>Reads and checks a record line against its file's header; errors name the file and line.</summary>
    static abstract TRecord Read(string path, string line, int lineNumber, THeader header);
}

/// <summary>
/// The append-only results file of a shard of a sharded study (CATHODE's pseudoexperiments, the scan's null pseudo-scans):
/// a header line, then one JSON line per finished item, each appended and flushed, so a killed run resumes where it stopped;
/// and the reading of many shard files for a merge (same header, no duplicates, index order).
/// </summary>
public static class ShardLog
{
    /// <summary>One JSON object per line.</summary>
    public static readonly JsonSerializerOptions Line = new(ReportJson.Options) { WriteIndented = false };

    /// <summary>Writes the header line when the file does not exist yet.</summary>
    public static void Create<THeader>(string path, THeader header)
    {
        if (!File.Exists(path)) AtomicFile.WriteAllText(path, JsonSerializer.Serialize(header, Line) + "\n");
    }

    /// <summary>Reads an existing file (checking its header against <paramref name="header"/>); returns the indices already done. A line cut short by a kill is dropped.</summary>
    public static HashSet<int> Open<THeader, TRecord>(string path, THeader header) where THeader : IShardHeader<THeader> where TRecord : IShardRecord<THeader, TRecord>
    {
        var done = new HashSet<int>();
        if (!File.Exists(path)) return done;
        var text = File.ReadAllText(path);
        int complete = text.LastIndexOf('\n') + 1;
        if (complete < text.Length)
        {
            // The last line was being written when the run stopped: it is not a result.
            text = text[..complete];
            AtomicFile.WriteAllText(path, text);
        }
        var lines = Numbered(text.Split('\n'));
        if (lines.Length == 0) throw new InvalidDataException($"{path} is empty; delete it to start this shard again.");
        var existing = THeader.Read(path, lines[0].Text, lines[0].Number);
        string? diff = existing.Difference(header)
                       ?? (existing.ShardIndex != header.ShardIndex || existing.ShardCount != header.ShardCount ? $"shard {existing.ShardIndex}/{existing.ShardCount}" : null);
        if (diff is not null)
            throw new InvalidDataException($"{path} holds results of another configuration ({diff}); use another --out or delete the file.");
        foreach (var line in lines.Skip(1))
        {
            var r = TRecord.Read(path, line.Text, line.Number, existing);
            if (!done.Add(r.Index)) throw new InvalidDataException($"{path} line {line.Number}: {TRecord.Noun} {r.Index} appears twice.");
        }
        return done;
    }

    /// <summary>Appends one result and flushes it to disk; a full disk is reported with what was kept.</summary>
    public static void Append<THeader, TRecord>(string path, TRecord result, int saved) where THeader : IShardHeader<THeader> where TRecord : IShardRecord<THeader, TRecord>
    {
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result, Line) + "\n");
        try
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new IOException($"Could not append {TRecord.Noun} {result.Index} to {path} ({e.Message}); the {saved} results before it are saved. " +
                                  "Free some space and run the same command again to resume.", e);
        }
    }

    /// <summary>
    /// Reads shard files for a merge: every header must agree with the first (the differing field named), every index
    /// lies in 0..Count − 1 and appears once over all files. A last line without its newline (a run still writing, or
    /// killed) is not a result.
    /// </summary>
    public static (THeader Header, SortedDictionary<int, TRecord> Results) ReadAll<THeader, TRecord>(IReadOnlyList<string> files)
        where THeader : IShardHeader<THeader> where TRecord : IShardRecord<THeader, TRecord>
    {
        THeader? first = default;
        string firstFile = "";
        var results = new SortedDictionary<int, (TRecord Result, string File)>();
        foreach (var file in files)
        {
            var lines = File.ReadAllText(file).Split('\n');
            var complete = Numbered(lines.Take(lines.Length - 1));
            if (complete.Length == 0) throw new InvalidDataException($"{file} has no header line.");
            var header = THeader.Read(file, complete[0].Text, complete[0].Number);
            if (first is null)
            {
                first = header;
                firstFile = file;
            }
            else if (first.Difference(header) is { } diff)
                throw new InvalidDataException($"Refusing to merge {file} with {firstFile}: they come from different runs ({diff}).");
            foreach (var line in complete.Skip(1))
            {
                var r = TRecord.Read(file, line.Text, line.Number, header);
                if (r.Index < 0 || r.Index >= header.Count) throw new InvalidDataException($"{file} line {line.Number}: {TRecord.Noun} {r.Index} is outside 0..{header.Count - 1}.");
                if (!results.TryAdd(r.Index, (r, file)))
                    throw new InvalidDataException($"{Capital(TRecord.Noun)} {r.Index} appears in both {results[r.Index].File} and {file}: the shard specs overlap (use one --shard i/K per process).");
            }
        }
        var sorted = new SortedDictionary<int, TRecord>();
        foreach (var (k, v) in results) sorted.Add(k, v.Result);
        return (first!, sorted);
    }

    /// <summary>The "format" field of a results file's first line (null when it has none): which study wrote it.</summary>
    public static string? Format(string file)
    {
        using var reader = new StreamReader(file);
        string? line = reader.ReadLine();
        if (line is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>The first line where two configuration texts differ, as "configuration line N (under 'key:'): 'a' vs 'b'".</summary>
    public static string ConfigDifference(string a, string b)
    {
        var la = a.Split('\n');
        var lb = b.Split('\n');
        for (int i = 0; i < Math.Max(la.Length, lb.Length); i++)
        {
            string x = i < la.Length ? la[i].TrimEnd() : "", y = i < lb.Length ? lb[i].TrimEnd() : "";
            if (x == y) continue;
            // The key a list item or nested value belongs to: the nearest line above it that opens a section of its own.
            // (The lines above i are the same in both texts; a list that grew or shrank shows as an item on one side.)
            string item = y.TrimStart().StartsWith('-') && !x.TrimStart().StartsWith('-') ? y : x;
            int indent = item.Length - item.TrimStart().Length;
            string? under = null;
            for (int k = i - 1; k >= 0 && under is null; k--)
            {
                string t = la[k].TrimEnd();
                int ti = t.Length - t.TrimStart().Length;
                if (t.EndsWith(':') && (ti < indent || item.TrimStart().StartsWith('-') && ti <= indent)) under = t.Trim();
            }
            return $"configuration line {i + 1}{(under is null ? "" : $" (under '{under}')")}: '{x.Trim()}' vs '{y.Trim()}'";
        }
        return "configuration differs";
    }

    /// <summary>The non-empty lines of a results file with their 1-based line numbers.</summary>
    public static (string Text, int Number)[] Numbered(IEnumerable<string> lines) =>
        lines.Select((l, i) => (Text: l.TrimEnd('\r'), Number: i + 1)).Where(l => l.Text.Length > 0).ToArray();

    /// <summary>What System.Text.Json says is wrong, without its internal path and byte position.</summary>
    public static string Reason(JsonException e)
    {
        string m = e.Message;
        int at = m.IndexOf(" Path:", StringComparison.Ordinal);
        if (at < 0) at = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at > 0 ? m[..at] : m).TrimEnd('.', ' ');
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
