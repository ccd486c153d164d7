using System.Globalization;
using System.Text;

namespace FastAD.Analyses.Reports;

/// <summary>
/// Text and number helpers for the SVG writer: XML escaping, fixed invariant number formatting (so figures
/// diff cleanly), the small label markup (<c>_{sub}</c>, <c>^{sup}</c>) and a width estimate for layout.
/// </summary>
internal static class SvgText
{
    internal const string FontFamily = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";
    internal const char Minus = '\u2212';

    /// <summary>A coordinate: two decimals at most, invariant culture, no negative zero.</summary>
    internal static string Num(double v)
    {
        double r = Math.Round(v, 2, MidpointRounding.AwayFromZero);
        if (r == 0) r = 0;
        return r.ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>Escapes text for XML content and attribute values.</summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                default:
                    // XML 1.0 forbids most control characters; drop them rather than write an unreadable file.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private readonly record struct Segment(string Text, int Shift);

    /// <summary>Splits label markup into runs: shift −1 subscript, +1 superscript, 0 normal. Unclosed braces stay literal.</summary>
    private static List<Segment> Parse(string text)
    {
        var result = new List<Segment>();
        var sb = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if ((c == '_' || c == '^') && i + 1 < text.Length && text[i + 1] == '{')
            {
                int close = text.IndexOf('}', i + 2);
                if (close > 0)
                {
                    if (sb.Length > 0) { result.Add(new Segment(sb.ToString(), 0)); sb.Clear(); }
                    result.Add(new Segment(text[(i + 2)..close], c == '_' ? -1 : 1));
                    i = close + 1;
                    continue;
                }
            }
            sb.Append(c);
            i++;
        }
        if (sb.Length > 0) result.Add(new Segment(sb.ToString(), 0));
        return result;
    }

    /// <summary>
    /// The escaped SVG content of a label: <c>_{..}</c> and <c>^{..}</c> become smaller tspans shifted with
    /// <c>dy</c> (understood by browsers, librsvg and Inkscape alike).
    /// </summary>
    internal static string Markup(string text, double fontSize)
    {
        var segments = Parse(text);
        if (segments.Count == 1 && segments[0].Shift == 0) return Escape(segments[0].Text);
        var sb = new StringBuilder();
        double current = 0;
        foreach (var s in segments)
        {
            double target = s.Shift switch { -1 => 0.3 * fontSize, 1 => -0.38 * fontSize, _ => 0 };
            double dy = target - current;
            current = target;
            string size = s.Shift == 0 ? "" : $" font-size=\"{Num(0.72 * fontSize)}\"";
            if (dy == 0 && s.Shift == 0) sb.Append(Escape(s.Text));
            else sb.Append($"<tspan dy=\"{Num(dy)}\"{size}>{Escape(s.Text)}</tspan>");
        }
        return sb.ToString();
    }

    /// <summary>Estimated rendered width in pixels (DejaVu Sans metrics, the widest of the fonts named, so layouts err on the roomy side).</summary>
    internal static double Width(string text, double fontSize)
    {
        double w = 0;
        foreach (var s in Parse(text))
        {
            double scale = s.Shift == 0 ? 1 : 0.72;
            foreach (char c in s.Text) w += CharWidth(c) * scale;
        }
        return w * fontSize;
    }

    private static double CharWidth(char c) => c switch
    {
        ' ' or '.' or ',' or ':' or ';' or '!' or '\'' or '|' => 0.32,
        'i' or 'j' or 'l' => 0.28,
        'f' or 't' or 'r' or '(' or ')' or '[' or ']' or '{' or '}' or '-' or '/' => 0.40,
        'm' or 'M' or 'W' or 'w' => 0.90,
        >= '0' and <= '9' => 0.64,
        >= 'A' and <= 'Z' => 0.72,
        >= 'a' and <= 'z' => 0.61,
        '×' or '±' or '=' or '+' or '<' or '>' or '≥' or '≤' => 0.84,
        '\u207B' or (>= '\u2070' and <= '\u2079') or '\u00B9' or '\u00B2' or '\u00B3' => 0.42,
        _ => 0.66,
    };

    private const string SuperscriptDigits = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    /// <summary>Writes an integer with Unicode superscript digits and minus, for tick labels such as 10⁻³.</summary>
    internal static string Superscript(int value)
    {
        var sb = new StringBuilder();
        if (value < 0) sb.Append('\u207B');
        foreach (char c in Math.Abs((long)value).ToString(CultureInfo.InvariantCulture)) sb.Append(SuperscriptDigits[c - '0']);
        return sb.ToString();
    }

    /// <summary>Replaces a leading hyphen-minus by the typographic minus sign; a formatted negative zero ("-0.0") loses its sign.</summary>
    internal static string TypographicMinus(string s)
    {
        if (!s.StartsWith('-')) return s;
        if (s.AsSpan(1).IndexOfAnyExcept("0.") < 0) return s[1..];
        return Minus + s[1..];
    }
}
