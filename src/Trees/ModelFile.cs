using System.Text.Json;
using System.Text.Json.Serialization;
using FastAD.Kernels.IO;

namespace FastAD.Trees;

/// <summary>
/// Saves and loads models and ensembles as JSON, format <c>fastad-trees</c> version 1:
/// <code>
/// { "format": "fastad-trees", "version": 1,
///   "features": ["dimu_pt", ...], "thresholds": [[...], ...],          // the QuantileBinner
///   "folds": [ { "train": [...], "validation": [...], "test": [...] } ], // empty for a single model
///   "models": [ [ { "baseline": b, "roundsTrained": r, "parameters": {...},
///                   "trees": [ { "feature": [...], "threshold": [...], "defaultLeft": [...],
///                                "left": [...], "right": [...], "value": [...] } ] } ] ] }  // models[fold][member]
/// </code>
/// Bins are those of the binner: a row goes left at a node when its bin ≤ threshold (missing: defaultLeft).
/// Writes are atomic (temporary file, then rename). Unknown formats or versions are errors.
/// </summary>
public static class ModelFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-trees";
    /// <summary>Format version.</summary>
    public const int Version = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
    };

    private sealed record TreeDto(int[] Feature, int[] Threshold, bool[] DefaultLeft, int[] Left, int[] Right, double[] Value);
    private sealed record ModelDto(double Baseline, int RoundsTrained, BoostingParameters Parameters, TreeDto[] Trees);
    private sealed record FoldDto(int[] Train, int[] Validation, int[] Test);
    private sealed record FileDto(string Format, int Version, string[] Features, double[][] Thresholds, FoldDto[] Folds, ModelDto[][] Models);

    /// <summary>Saves an ensemble.</summary>
    public static void Save(string path, Ensemble ensemble)
    {
        var dto = new FileDto(Format, Version, ensemble.Binner.FeatureNames, ensemble.Binner.Thresholds,
            ensemble.Folds.Select(f => new FoldDto(f.Train, f.Validation, f.Test)).ToArray(),
            ensemble.Models.Select(fold => fold.Select(ToDto).ToArray()).ToArray());
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, dto, Options));
    }

    /// <summary>Saves a single model (one fold, one member, no split).</summary>
    public static void Save(string path, BoostedModel model) =>
        Save(path, new Ensemble(model.Binner, [new FoldSplit([], [], [])], [[model]]));

    /// <summary>Loads an ensemble; a clear error names the file when it is not a FastAD trees file of a known version.</summary>
    public static Ensemble Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file not found: {path}", path);
        FileDto? dto;
        try
        {
            using var stream = File.OpenRead(path);
            dto = JsonSerializer.Deserialize<FileDto>(stream, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a FastAD trees model file: {e.Message}");
        }
        if (dto is null || dto.Format != Format) throw new InvalidDataException($"{path} is not a FastAD trees model file (format '{dto?.Format}').");
        if (dto.Version != Version) throw new InvalidDataException($"{path} has trees format version {dto.Version}; this FastAD reads version {Version}.");
        var binner = new QuantileBinner(dto.Features, dto.Thresholds);
        var models = dto.Models.Select(fold => fold.Select(m => new BoostedModel(binner, m.Baseline,
            m.Trees.Select(t => new Tree(t.Feature, t.Threshold.Select(b => (byte)b).ToArray(), t.DefaultLeft, t.Left, t.Right, t.Value)).ToList(), m.Parameters, m.RoundsTrained)).ToArray()).ToArray();
        return new Ensemble(binner, dto.Folds.Select(f => new FoldSplit(f.Train, f.Validation, f.Test)).ToArray(), models);
    }

    private static ModelDto ToDto(BoostedModel m) => new(m.Baseline, m.RoundsTrained, m.Parameters,
        m.Trees.Select(t => new TreeDto(t.Feature, t.Threshold.Select(b => (int)b).ToArray(), t.DefaultLeft, t.Left, t.Right, t.Value)).ToArray());
}
