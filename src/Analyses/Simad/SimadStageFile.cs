using System.Text.Json;
using FastAD.Kernels.IO;

namespace FastAD.Analyses.Simad;

/// <summary>
/// A finished SimAD stage saved in the model store: the four statistics of each of its classifiers, with the stage's
/// identity (the digest of everything they were trained from) and a checksum. SimAD keeps no networks (a paper run
/// trains thousands); <c>--reuse</c> takes the statistics of a stage trained from the same inputs instead of training
/// it again, so an interrupted run continues with the stages it had not finished.
/// </summary>
internal static class SimadStageFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-simad-stage";

    private sealed record Dto(string Format, int Version, ModelIdentity Identity, StatisticSet[] Statistics, string? Checksum = null);

    // A diverging network's statistics are NaN or infinite: they are kept (the report shows them), as the run's results.json does.
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a stage's statistics (atomically).</summary>
    public static void Save(string path, StatisticSet[] statistics, ModelIdentity identity)
    {
        var dto = new Dto(Format, 1, identity, statistics);
        dto = dto with { Checksum = ModelChecksum.Of(JsonSerializer.SerializeToUtf8Bytes(dto, Options)) };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(dto, Options));
    }

    /// <summary>Reads a stage's statistics; a damaged file, another stage's or one of other inputs is a <see cref="ModelFileException"/>.</summary>
    public static StatisticSet[] Load(string path, ModelIdentity expected, int jobs)
    {
        string text = File.ReadAllText(path);
        Dto? dto;
        try { dto = JsonSerializer.Deserialize<Dto>(text, Options); }
        catch (JsonException e) { throw ModelChecksum.NotJson(path, text, Format, "SimAD stage file", expected, e.Message); }
        if (dto?.Format != Format) throw ModelChecksum.OtherFormat(path, dto?.Format, "SimAD stage", $"format '{Format}'", expected);
        if (dto.Version != 1) throw new ModelMismatchException(path, $"has SimAD stage format version {dto.Version}", "version 1");
        ModelChecksum.Check(path, dto.Checksum, ModelChecksum.Of(JsonSerializer.SerializeToUtf8Bytes(dto with { Checksum = null }, Options)), expected);
        if (dto.Statistics is null || dto.Statistics.Length != jobs || dto.Statistics.Any(s => s is null))
            throw new CorruptModelException(path, $"it holds {dto.Statistics?.Length ?? 0} classifiers' statistics, not {jobs}", expected.ToString());
        if (expected.Difference(dto.Identity) is { } other) throw new ModelMismatchException(path, other, expected.ToString());
        return dto.Statistics;
    }
}
