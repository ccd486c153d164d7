using YamlDotNet.Core;
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
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file not found: {path}", path);
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        try
        {
            return deserializer.Deserialize<T>(File.ReadAllText(path));
        }
        catch (YamlException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            string known = string.Join(", ", typeof(T).GetProperties().Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name)));
            throw new InvalidDataException($"{path}, line {e.Start.Line}: {detail} Known keys: {known}.");
        }
    }
}
