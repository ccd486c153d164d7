using System.Text;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Reports;

/// <summary>
/// A Markdown document built block by block (headings, paragraphs, lists, tables, images with captions, code).
/// Table cells escape <c>|</c> and line breaks; paths in links are written with forward slashes and spaces
/// escaped, so they work from the report's folder on every platform.
/// </summary>
public sealed class MarkdownReport
{
    private readonly StringBuilder _sb = new();

    /// <summary>A heading of level 1..6.</summary>
    public MarkdownReport Heading(string text, int level = 1)
    {
        if (level is < 1 or > 6) throw new ArgumentOutOfRangeException(nameof(level), level, "Markdown headings have levels 1 to 6.");
        Block($"{new string('#', level)} {OneLine(text)}");
        return this;
    }

    /// <summary>A paragraph of text (Markdown inside is kept).</summary>
    public MarkdownReport Paragraph(string text)
    {
        Block(text.Trim());
        return this;
    }

    /// <summary>A bulleted list.</summary>
    public MarkdownReport Bullets(IEnumerable<string> items)
    {
        Block(string.Join("\n", items.Select(i => "- " + OneLine(i))));
        return this;
    }

    /// <summary>A table; numeric-looking columns are right-aligned. Rows must have one cell per header.</summary>
    public MarkdownReport Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var data = rows.ToList();
        for (int r = 0; r < data.Count; r++)
            if (data[r].Count != headers.Count)
                throw new ArgumentException($"Markdown table row {r + 1} has {data[r].Count} cells but there are {headers.Count} headers.");
        bool Numeric(int c) => data.Count > 0 && data.All(r => r[c].Length == 0 || double.TryParse(r[c].Replace('−', '-'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", headers.Select(Cell)).Append(" |\n");
        sb.Append('|').AppendJoin('|', Enumerable.Range(0, headers.Count).Select(c => Numeric(c) ? "---:" : "---")).Append("|\n");
        foreach (var row in data) sb.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
        Block(sb.ToString().TrimEnd('\n'));
        return this;
    }

    /// <summary>A table from a <see cref="CsvTable"/>'s formatted cells.</summary>
    public MarkdownReport Table(CsvTable table) => Table(table.Columns, Enumerable.Range(0, table.RowCount).Select(table.Row));

    /// <summary>An image (path relative to the report) with alt text and an optional italic caption below it.</summary>
    public MarkdownReport Image(string path, string altText, string? caption = null)
    {
        string link = $"![{OneLine(altText).Replace("]", "\\]", StringComparison.Ordinal)}]({LinkPath(path)})";
        Block(caption is null ? link : $"{link}\n\n*{OneLine(caption)}*");
        return this;
    }

    /// <summary>A fenced code block.</summary>
    public MarkdownReport Code(string text, string language = "")
    {
        Block($"```{language}\n{text.TrimEnd('\n')}\n```");
        return this;
    }

    /// <summary>The document.</summary>
    public override string ToString() => _sb.ToString();

    /// <summary>Writes the document atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToString());

    private void Block(string text)
    {
        if (_sb.Length > 0) _sb.Append('\n');
        _sb.Append(text).Append('\n');
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static string Cell(string text) => OneLine(text).Replace("|", "\\|", StringComparison.Ordinal);

    private static string LinkPath(string path) => path.Replace('\\', '/').Replace(" ", "%20", StringComparison.Ordinal).Replace("(", "%28", StringComparison.Ordinal).Replace(")", "%29", StringComparison.Ordinal);
}
