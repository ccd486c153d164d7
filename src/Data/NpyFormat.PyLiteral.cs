using System.Globalization;
using System.Text;

namespace FastAD.Data;

public static partial class NpyFormat
{
    /// <summary>A reader for the Python literals in a .npy header: dicts, tuples, lists, strings, ints, booleans.</summary>
    private sealed class PyLiteral(string text, string source)
    {
        private int _pos;

        public Dictionary<string, object> ParseDictionary()
        {
            if (Parse() is not Dictionary<string, object> d) throw Error("the header is not a dictionary");
            return d;
        }

        private InvalidDataException Error(string what) => new($"{source}: unreadable .npy header ({what}): {text.Trim()}");

        private void Skip() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }

        private object Parse()
        {
            Skip();
            if (_pos >= text.Length) throw Error("unexpected end");
            char c = text[_pos];
            switch (c)
            {
                case '{':
                    {
                        _pos++;
                        var d = new Dictionary<string, object>();
                        while (true)
                        {
                            Skip();
                            if (_pos < text.Length && text[_pos] == '}') { _pos++; return d; }
                            if (Parse() is not string k) throw Error("dictionary key is not a string");
                            Skip();
                            if (_pos >= text.Length || text[_pos] != ':') throw Error("expected ':'");
                            _pos++;
                            d[k] = Parse();
                            Separator('}');
                        }
                    }
                case '(' or '[':
                    {
                        char close = c == '(' ? ')' : ']';
                        _pos++;
                        var list = new List<object>();
                        while (true)
                        {
                            Skip();
                            if (_pos < text.Length && text[_pos] == close) { _pos++; return list; }
                            list.Add(Parse());
                            Separator(close);
                        }
                    }
                case '\'' or '"':
                    {
                        var sb = new StringBuilder();
                        _pos++;
                        while (_pos < text.Length && text[_pos] != c)
                        {
                            if (text[_pos] == '\\' && _pos + 1 < text.Length) _pos++;
                            sb.Append(text[_pos++]);
                        }
                        if (_pos >= text.Length) throw Error("unterminated string");
                        _pos++;
                        return sb.ToString();
                    }
                default:
                    {
                        int start = _pos;
                        while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '-' or '+' or '_')) _pos++;
                        string word = text[start.._pos];
                        if (word == "True") return true;
                        if (word == "False") return false;
                        if (word == "None") return "None";
                        if (long.TryParse(word.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
                        throw Error($"unexpected '{(word.Length > 0 ? word : c.ToString())}'");
                    }
            }
        }

        private void Separator(char close)
        {
            Skip();
            if (_pos < text.Length && text[_pos] == ',') { _pos++; return; }
            if (_pos < text.Length && text[_pos] == close) return;
            throw Error($"expected ',' or '{close}'");
        }
    }
}
