using System.Reflection;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace FastAD.Analyses;

/// <summary>
/// The text of an enum value in configurations, reports and on the command line: the name given by its
/// <see cref="JsonStringEnumMemberNameAttribute"/> ("3prong", "gamma", "OS"), else the member name; one spelling for
/// YAML, JSON and messages. Parsing ignores case.
/// </summary>
public static class EnumText
{
    /// <summary>The text of <paramref name="value"/>.</summary>
    public static string Text<T>(this T value) where T : struct, Enum => Of(typeof(T), value);

    /// <summary>The texts of an enum type's members, in declaration order.</summary>
    public static string[] Names(Type type) => type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(Name).ToArray();

    /// <summary>The member whose text is <paramref name="text"/> (any case); an error naming <paramref name="what"/> and the choices otherwise.</summary>
    public static T Parse<T>(string text, string what) where T : struct, Enum => (T)Parse(typeof(T), text, what);

    /// <summary>The member of <paramref name="type"/> whose text is <paramref name="text"/> (any case).</summary>
    public static object Parse(Type type, string text, string what)
    {
        foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            if (string.Equals(Name(f), text.Trim(), StringComparison.OrdinalIgnoreCase)) return f.GetValue(null)!;
        throw new ArgumentException($"{what} must be {Choices(type)} (got '{text}').");
    }

    /// <summary>"a, b or c": the texts of an enum type for messages.</summary>
    public static string Choices(Type type)
    {
        var n = Names(type);
        return n.Length == 1 ? n[0] : $"{string.Join(", ", n[..^1])} or {n[^1]}";
    }

    private static string Of(Type type, object value) =>
        type.GetField(Enum.GetName(type, value) ?? throw new ArgumentException($"{value} is not a {type.Name}.")) is { } f ? Name(f) : value.ToString()!;

    private static string Name(FieldInfo f) => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name;

    /// <summary>Reads and writes enums in YAML by their text.</summary>
    internal sealed class YamlConverter : IYamlTypeConverter
    {
        public bool Accepts(Type type) => type.IsEnum;

        public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
        {
            var scalar = parser.Consume<Scalar>();
            try { return Parse(type, scalar.Value, "the value"); }
            catch (ArgumentException e) { throw new YamlException(scalar.Start, scalar.End, e.Message); }
        }

        public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
            emitter.Emit(new Scalar(Of(type, value!)));
    }
}
