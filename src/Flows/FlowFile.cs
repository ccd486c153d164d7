using System.Text.Json;

namespace FastAD.Flows;

/// <summary>
/// Saves and loads trained flows as JSON, format <c>fastad-flow</c> version 1:
/// <code>
/// { "format": "fastad-flow", "version": 1, "kind": "maf-affine",
///   "features": D, "conditions": C, "hidden": H, "blocks": B,
///   "parameters": [[...], ...],            // Flow.Parameters() order: per block the MADE layers' W, b, then logγ, β
///   "runningMean": [[...]], "runningVariance": [[...]] }   // per block
/// </code>
/// Writes are atomic (temporary file, then rename); other formats, kinds or versions are errors naming the file.
/// </summary>
public static class FlowFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-flow";
    /// <summary>Format version.</summary>
    public const int Version = 1;

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true };

    private sealed record Dto(string Format, int Version, string Kind, int Features, int Conditions, int Hidden, int Blocks,
        double[][] Parameters, double[][] RunningMean, double[][] RunningVariance);

    /// <summary>Saves a MAF.</summary>
    public static void Save(string path, MaskedAutoregressiveFlow flow)
    {
        var dto = new Dto(Format, Version, "maf-affine", flow.D, flow.C, flow.Made[0].H, flow.Made.Length,
            flow.Parameters().Select(p => p.Value).ToArray(), flow.Norm.Select(n => n.RunningMean).ToArray(), flow.Norm.Select(n => n.RunningVariance).ToArray());
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(dto, Options));
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Loads a MAF.</summary>
    public static MaskedAutoregressiveFlow Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Flow file not found: {path}", path);
        Dto? dto;
        try { dto = JsonSerializer.Deserialize<Dto>(File.ReadAllText(path), Options); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a FastAD flow file: {e.Message}"); }
        if (dto is null || dto.Format != Format) throw new InvalidDataException($"{path} is not a FastAD flow file (format '{dto?.Format}').");
        if (dto.Version != Version) throw new InvalidDataException($"{path} has flow format version {dto.Version}; this FastAD reads version {Version}.");
        if (dto.Kind != "maf-affine") throw new InvalidDataException($"{path} holds a '{dto.Kind}' flow; only maf-affine is supported.");
        var flow = new MaskedAutoregressiveFlow(dto.Features, dto.Conditions, dto.Hidden, dto.Blocks, seed: 0);
        var parameters = flow.Parameters().ToArray();
        if (parameters.Length != dto.Parameters.Length) throw new InvalidDataException($"{path}: {dto.Parameters.Length} parameter arrays, expected {parameters.Length}.");
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].Value.Length != dto.Parameters[i].Length) throw new InvalidDataException($"{path}: parameter array {i} has the wrong size.");
            dto.Parameters[i].CopyTo(parameters[i].Value, 0);
        }
        for (int b = 0; b < dto.Blocks; b++)
        {
            dto.RunningMean[b].CopyTo(flow.Norm[b].RunningMean, 0);
            dto.RunningVariance[b].CopyTo(flow.Norm[b].RunningVariance, 0);
        }
        return flow;
    }
}
