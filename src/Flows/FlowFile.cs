using System.Text.Json;

namespace FastAD.Flows;

/// <summary>
/// Saves and loads trained flows as JSON, format <c>fastad-flow</c> version 1:
/// <code>
/// { "format": "fastad-flow", "version": 1, "kind": "maf-affine",
///   "features": D, "conditions": C, "hidden": H, "blocks": B,
///   "parameters": [[...], ...],            // Flow.Parameters() order: per block the MADE layers' W, b, then logγ, β
///   "runningMean": [[...]], "runningVariance": [[...]],     // per block
///   "standardization": { "featureMean": [...], "featureStd": [...], "conditionMean": [...], "conditionStd": [...] } }  // optional
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
        double[][] Parameters, double[][] RunningMean, double[][] RunningVariance, Standardization? Standardization = null);

    /// <summary>Saves a MAF, with the input standardisation it was trained on when given.</summary>
    public static void Save(string path, MaskedAutoregressiveFlow flow, Standardization? standardization = null)
    {
        var dto = new Dto(Format, Version, "maf-affine", flow.D, flow.C, flow.Made[0].H, flow.Made.Length,
            flow.Parameters().Select(p => p.Value).ToArray(), flow.Norm.Select(n => n.RunningMean).ToArray(), flow.Norm.Select(n => n.RunningVariance).ToArray(),
            standardization);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(dto, Options));
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Loads a MAF.</summary>
    public static MaskedAutoregressiveFlow Load(string path) => LoadWithStandardization(path).Flow;

    /// <summary>Loads a MAF and the standardisation saved with it (null when none was).</summary>
    public static (MaskedAutoregressiveFlow Flow, Standardization? Standardization) LoadWithStandardization(string path)
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
        return (flow, dto.Standardization);
    }
}

/// <summary>z-scores of features and conditions: the flow models (x − mean)/std given (c − mean)/std.</summary>
public sealed record Standardization(double[] FeatureMean, double[] FeatureStd, double[] ConditionMean, double[] ConditionStd)
{
    /// <summary>Means and standard deviations of row-major columns.</summary>
    public static (double[] Mean, double[] Std) Of(double[] data, int width)
    {
        int rows = data.Length / width;
        var mean = new double[width];
        var std = new double[width];
        for (int r = 0; r < rows; r++) for (int j = 0; j < width; j++) mean[j] += data[r * width + j];
        for (int j = 0; j < width; j++) mean[j] /= rows;
        for (int r = 0; r < rows; r++) for (int j = 0; j < width; j++) std[j] += Math.Pow(data[r * width + j] - mean[j], 2);
        for (int j = 0; j < width; j++)
        {
            std[j] = Math.Sqrt(std[j] / rows);
            if (!(std[j] > 0)) std[j] = 1;
        }
        return (mean, std);
    }

    /// <summary>Applies (v − mean)/std to row-major data in place.</summary>
    public static void Apply(double[] data, double[] mean, double[] std)
    {
        int width = mean.Length;
        for (int i = 0; i < data.Length; i++) data[i] = (data[i] - mean[i % width]) / std[i % width];
    }
}
