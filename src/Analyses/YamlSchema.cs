using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace FastAD.Analyses;

/// <summary>
/// Checks a parsed YAML document against a settings class before it is deserialised, so that a mistake is reported as
/// "file, line: key is 'value'; expected …" rather than the deserialiser's internal text (an overflow for a negative
/// seed, an invalid cast for a value where a section belongs, a type name for a list at the root).
/// </summary>
internal static class YamlSchema
{
    /// <summary>Throws <see cref="InvalidDataException"/> at the first key or value that does not fit <typeparamref name="T"/>.</summary>
    public static void Check<T>(string path, string text, string hint)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0) return;
        if (stream.Documents.Count > 1)
            throw Error(path, stream.Documents[1].RootNode, $"holds {stream.Documents.Count} YAML documents; expected one", hint);
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" or "~" or "null" }) return;
        Section(path, root, typeof(T), "", hint);
    }

    private static void Section(string path, YamlNode node, Type type, string key, string hint)
    {
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => UnderscoredNamingConvention.Instance.Apply(p.Name), StringComparer.Ordinal);
        string known = string.Join(", ", props.Keys);
        if (node is not YamlMappingNode map)
            throw Error(path, node, $"{(key.Length == 0 ? "the file" : key)} is {Describe(node)}; expected a section of keys ({known})", hint);
        foreach (var (k, v) in map.Children)
        {
            string name = (k as YamlScalarNode)?.Value ?? "";
            string full = key.Length == 0 ? name : $"{key}.{name}";
            if (!props.TryGetValue(name, out var prop))
            {
                string? near = props.Keys.Where(c => Distance(c, name) <= 2).OrderBy(c => Distance(c, name)).FirstOrDefault();
                throw Error(path, k, $"unknown key '{full}'{(near is null ? "" : $" (did you mean '{near}'?)")}; " +
                    $"the keys {(key.Length == 0 ? "at the top" : $"of {key}")} are {known}", hint);
            }
            // An earlier name of a key (a set-only alias): the file may give one of the two names, not both.
            if (prop.GetCustomAttribute<EarlierNameOfAttribute>() is { } alias)
            {
                string current = UnderscoredNamingConvention.Instance.Apply(alias.Property);
                if (map.Children.Keys.Any(other => (other as YamlScalarNode)?.Value == current))
                    throw Error(path, k, $"give {(key.Length == 0 ? current : $"{key}.{current}")} or its earlier name {full}, not both", hint);
            }
            Value(path, v, prop.PropertyType, full, hint);
        }
    }

    private static void Value(string path, YamlNode node, Type type, string key, string hint)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        bool nullable = Nullable.GetUnderlyingType(type) is not null || !type.IsValueType;
        if (node is YamlScalarNode { Value: null or "~" or "null" } && nullable && t != typeof(string)) return;
        if (t == typeof(string)) { Scalar(path, node, key, "a text", hint); return; }
        if (t == typeof(bool))
        {
            string s = Scalar(path, node, key, "true or false", hint);
            if (!bool.TryParse(s, out _)) throw Error(path, node, $"{key} is '{s}'; expected true or false", hint);
            return;
        }
        if (t == typeof(int) || t == typeof(long) || t == typeof(ulong) || t == typeof(uint))
        {
            (decimal lo, decimal hi) = t == typeof(int) ? (int.MinValue, int.MaxValue) : t == typeof(long) ? (long.MinValue, long.MaxValue)
                : t == typeof(uint) ? (0m, uint.MaxValue) : (0m, ulong.MaxValue);
            string what = lo == 0 ? $"a whole number from 0 to {hi.ToString(CultureInfo.InvariantCulture)}" : "a whole number";
            string s = Scalar(path, node, key, what, hint);
            if (!decimal.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < lo || v > hi)
                throw Error(path, node, $"{key} is '{s}'; expected {what}", hint);
            return;
        }
        if (t == typeof(double) || t == typeof(float))
        {
            string s = Scalar(path, node, key, "a number", hint);
            // YAML's own spellings of infinity and NaN (.inf, -.Inf, .NAN, …) are numbers to the deserialiser, but never finite.
            bool yamlNonFinite = s.TrimStart('+', '-').ToLowerInvariant() is ".inf" or ".nan";
            double v = double.NaN;
            if (!yamlNonFinite && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw Error(path, node, $"{key} is '{s}'; expected a number", hint);
            if (yamlNonFinite || !double.IsFinite(v)) throw Error(path, node, $"{key} is '{s}'; expected a finite number", hint);
            return;
        }
        if (t.IsEnum)
        {
            string s = Scalar(path, node, key, EnumText.Choices(t), hint);
            if (!EnumText.Names(t).Any(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase)))
                throw Error(path, node, $"{key} is '{s}'; expected {EnumText.Choices(t)}", hint);
            return;
        }
        var item = t.IsArray ? t.GetElementType() : t.IsGenericType && typeof(IList).IsAssignableFrom(t) ? t.GetGenericArguments()[0] : null;
        if (item is not null)
        {
            if (node is not YamlSequenceNode seq)
                throw Error(path, node, $"{key} is {Describe(node)}; expected a list such as [1, 2, 3]", hint);
            int i = 0;
            foreach (var e in seq.Children) Value(path, e, item, $"{key}[{i++}]", hint);
            return;
        }
        if (t.IsClass && !typeof(IEnumerable).IsAssignableFrom(t)) Section(path, node, t, key, hint);
    }

    private static string Scalar(string path, YamlNode node, string key, string expected, string hint) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw Error(path, node, $"{key} is {Describe(node)}; expected {expected}", hint);

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"the value '{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a section of keys",
        _ => "something else",
    };

    private static InvalidDataException Error(string path, YamlNode node, string message, string hint) =>
        new($"{path}, line {node.Start.Line}: {message}{hint}.");

    /// <summary>Edit distance (Levenshtein) between two keys, to suggest the one a typo meant.</summary>
    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) row[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}

/// <summary>Marks a set-only property as the earlier name of <see cref="Property"/>: read into it, never written; a file may not give both.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class EarlierNameOfAttribute(string property) : Attribute
{
    /// <summary>The property (C# name) it stands for.</summary>
    public string Property { get; } = property;
}
