using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Reports;

/// <summary>
/// The JSON conventions of run folders: camelCase names, indented, enums as camelCase strings, Unicode
/// written as is (μ, σ, ≥). Non-finite numbers are written as the strings <c>"NaN"</c>, <c>"Infinity"</c> and
/// <c>"-Infinity"</c> (System.Text.Json's named floating-point literals), so a NaN Z survives a round trip
/// instead of failing the write; readers of the files (Python: <c>float(x)</c>) accept them.
/// </summary>
public static class ReportJson
{
    /// <summary>The shared serializer options (read-only).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            PropertyNameCaseInsensitive = true,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Serializes a value with <see cref="Options"/>; the text ends with a newline.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options) + "\n";

    /// <summary>Deserializes text written by <see cref="Serialize{T}"/>.</summary>
    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>Writes a value as JSON atomically.</summary>
    public static void Save<T>(string path, T value) => AtomicFile.WriteAllText(path, Serialize(value));

    /// <summary>Reads a JSON file; a malformed file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static T Load<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"File not found: {path}", path);
        try
        {
            return Deserialize<T>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} holds JSON null, expected an object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON for {typeof(T).Name}: {e.Message}");
        }
    }
}
