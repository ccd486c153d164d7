using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace FastAD.Analyses;

/// <summary>
/// Reads a YAML file of snake_case keys into a settings class whose properties are all optional; unknown keys and
/// wrongly typed values are errors naming the file, the line and the known keys.
/// </summary>
internal static class YamlConfig
{
    /// <summary>The deserialised settings (null for an empty file).</summary>
    public static T? Read<T>(string path) where T : class
    {
        string text = ReadText(path);
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).WithTypeConverter(new EnumText.YamlConverter()).Build();
        try
        {
            YamlSchema.Check<T>(path, text, "");
            return deserializer.Deserialize<T>(text);
        }
        catch (YamlException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            string known = string.Join(", ", typeof(T).GetProperties().Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name)));
            throw new InvalidDataException($"{path}, line {e.Start.Line}: {detail} Known keys: {known}.");
        }
    }

    private static readonly ISerializer Writer = new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).WithTypeConverter(new EnumText.YamlConverter()).Build();
    private static readonly IDeserializer Reader = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).WithTypeConverter(new EnumText.YamlConverter()).Build();

    /// <summary>The settings as snake_case YAML (what an analysis's <c>--print-config</c> prints).</summary>
    public static string ToYaml<T>(T settings) where T : class => Writer.Serialize(settings);

    /// <summary>
    /// Reads a YAML file over <paramref name="preset"/>: keys given replace the preset's values, nested sections merge key
    /// by key; unknown keys and wrongly typed values are errors naming the file and line and pointing at
    /// <paramref name="printConfigCommand"/> (which lists every key).
    /// </summary>
    public static T Overlay<T>(string path, T preset, string printConfigCommand) where T : class
    {
        string text = ReadText(path);
        try
        {
            // Validate keys and types against the schema first (errors carry the file's own line numbers).
            YamlSchema.Check<T>(path, text, $" (`{printConfigCommand} --print-config` lists every key)");
            Reader.Deserialize<T>(text);
            var baseNode = Parse(ToYaml(preset));
            if (Parse(text) is YamlMappingNode over && baseNode is YamlMappingNode b) Merge(b, over);
            var yaml = new YamlStream(new YamlDocument(baseNode));
            using var sw = new StringWriter();
            yaml.Save(sw, assignAnchors: false);
            return Reader.Deserialize<T>(sw.ToString()) ?? preset;
        }
        catch (YamlException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            throw new InvalidDataException($"{path}, line {e.Start.Line}: {detail} (`{printConfigCommand} --print-config` lists every key).");
        }
    }

    /// <summary>The text of a configuration file, with clear errors for a folder, a missing file and binary content.</summary>
    private static string ReadText(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"--config {path} is a folder; expected a YAML file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file not found: {path} (expected a YAML file).", path);
        string text = File.ReadAllText(path);
        if (text.Contains('\0')) throw new InvalidDataException($"{path}: holds NUL bytes; expected a YAML text file.");
        return text;
    }

    private static YamlNode Parse(string text)
    {
        var s = new YamlStream();
        s.Load(new StringReader(text));
        return s.Documents.Count > 0 ? s.Documents[0].RootNode : new YamlMappingNode();
    }

    private static void Merge(YamlMappingNode target, YamlMappingNode over)
    {
        foreach (var (key, value) in over.Children)
        {
            if (value is YamlMappingNode vm && target.Children.TryGetValue(key, out var existing) && existing is YamlMappingNode em)
                Merge(em, vm);
            else
                target.Children[key] = value;
        }
    }
}
