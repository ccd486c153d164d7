using System.Text.Json;
using System.Text.Json.Serialization;
using FastAD.Kernels.IO;

namespace FastAD.Trees;

/// <summary>
/// Saves and loads models and ensembles as JSON, format <c>fastad-trees</c> version 2:
/// <code>
/// { "format": "fastad-trees", "version": 2,
///   "identity": { "analysis": "cathode", "channel": "OS", "member": null, "inputs": "1a2b..." },  // see ModelIdentity; may be null
///   "features": ["dimu_pt", ...], "thresholds": [[...], ...],          // the QuantileBinner
///   "folds": [ { "train": [...], "validation": [...], "test": [...] } ], // empty for a single model
///   "models": [ [ { "baseline": b, "roundsTrained": r, "parameters": {...},
///                   "trees": [ { "feature": [...], "threshold": [...], "defaultLeft": [...],
///                                "left": [...], "right": [...], "value": [...] } ] } ] ],  // models[fold][member]
///   "checksum": "sha256:..." }   // SHA-256 of this JSON as written with "checksum": null
/// </code>
/// Bins are those of the binner: a row goes left at a node when its bin ≤ threshold (missing: defaultLeft).
/// On load a file whose checksum does not match its content, that is cut short, or that holds a non-finite number is
/// corrupt (<see cref="CorruptModelException"/>); one whose identity is not the expected one is not this run's model
/// (<see cref="ModelMismatchException"/>). Version 1 (written by an older FastAD, without identity or checksum) is
/// recognised only to say so (a <see cref="ModelMismatchException"/>).
/// Writes are atomic (temporary file, then rename). Unknown formats or versions are errors.
/// </summary>
public static class ModelFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-trees";
    /// <summary>Format version.</summary>
    public const int Version = 2;
    /// <summary>The version an older FastAD wrote (no identity, no checksum): recognised, not loaded.</summary>
    public const int OlderVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
        // Named literals (NaN, Infinity) are read so that they are reported as such; Save refuses to write them.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private sealed record TreeDto(int[] Feature, int[] Threshold, bool[] DefaultLeft, int[] Left, int[] Right, double[] Value);
    private sealed record ModelDto(double Baseline, int RoundsTrained, BoostingParameters Parameters, TreeDto[] Trees);
    private sealed record FoldDto(int[] Train, int[] Validation, int[] Test);
    private sealed record Header(string? Format, int Version);
    private sealed record FileDto(string Format, int Version, ModelIdentity? Identity, string[] Features, double[][] Thresholds, FoldDto[] Folds,
        ModelDto[][] Models, string? Checksum = null);

    /// <summary>Saves an ensemble (with its identity when given).</summary>
    public static void Save(string path, Ensemble ensemble, ModelIdentity? identity = null)
    {
        var dto = new FileDto(Format, Version, identity, ensemble.Binner.FeatureNames, ensemble.Binner.Thresholds,
            ensemble.Folds.Select(f => new FoldDto(f.Train, f.Validation, f.Test)).ToArray(),
            ensemble.Models.Select(fold => fold.Select(ToDto).ToArray()).ToArray());
        if (NonFinite(dto) is { } bad) throw new ArgumentException($"Cannot save {path}: {bad}.");
        dto = dto with { Checksum = Checksum(dto) };
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, dto, Options));
    }

    /// <summary>Saves a single model (one fold, one member, no split).</summary>
    public static void Save(string path, BoostedModel model, ModelIdentity? identity = null) =>
        Save(path, new Ensemble(model.Binner, [new FoldSplit([], [], [])], [[model]]), identity);

    /// <summary>
    /// Loads an ensemble; a clear error names the file when it is not a FastAD trees file of a known version. Throws
    /// <see cref="CorruptModelException"/> for a damaged file and <see cref="ModelMismatchException"/> for one of an older
    /// version or, when <paramref name="expected"/> is given, of another identity.
    /// </summary>
    public static Ensemble Load(string path, ModelIdentity? expected = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        Header? header;
        try { header = JsonSerializer.Deserialize<Header>(bytes, Options); }
        catch (JsonException e) { throw ModelChecksum.NotJson(path, System.Text.Encoding.UTF8.GetString(bytes), Format, "trees model", expected, e.Message); }
        if (header is null || header.Format != Format)
            throw ModelChecksum.OtherFormat(path, header?.Format, "trees model", $"expected format '{Format}', version {Version}", expected);
        if (header.Version == OlderVersion)
            throw new ModelMismatchException(path, $"was written by an older FastAD (trees format version {header.Version}, without identity or checksum)",
                expected?.ToString() ?? $"trees format version {Version}");
        if (header.Version != Version) throw new InvalidDataException($"{path} has trees format version {header.Version}; this FastAD reads version {Version}.");
        FileDto dto;
        try { dto = JsonSerializer.Deserialize<FileDto>(bytes, Options)!; }
        catch (JsonException e) { throw new CorruptModelException(path, e.Message, expected?.ToString()); }
        if (dto.Features is null || dto.Thresholds is null || dto.Folds is null || dto.Models is null)
            throw new CorruptModelException(path, "it lacks the features, thresholds, folds or models", expected?.ToString());
        if (NonFinite(dto) is { } bad) throw new CorruptModelException(path, bad, expected?.ToString());
        ModelChecksum.Check(path, dto.Checksum, Checksum(dto), expected);
        if (expected?.Difference(dto.Identity) is { } other) throw new ModelMismatchException(path, other, expected.ToString());
        var binner = new QuantileBinner(dto.Features, dto.Thresholds);
        var models = dto.Models.Select(fold => fold.Select(m => new BoostedModel(binner, m.Baseline,
            m.Trees.Select(t => new Tree(t.Feature, t.Threshold.Select(b => (byte)b).ToArray(), t.DefaultLeft, t.Left, t.Right, t.Value)).ToList(), m.Parameters, m.RoundsTrained)).ToArray()).ToArray();
        return new Ensemble(binner, dto.Folds.Select(f => new FoldSplit(f.Train, f.Validation, f.Test)).ToArray(), models);
    }

    /// <summary>The checksum of a file's content: SHA-256 of its JSON with the checksum left out (null).</summary>
    private static string Checksum(FileDto dto) => ModelChecksum.Of(JsonSerializer.SerializeToUtf8Bytes(dto with { Checksum = null }, Options));

    /// <summary>The first non-finite number of a file (where it is and what it is), or null.</summary>
    private static string? NonFinite(FileDto dto)
    {
        for (int f = 0; f < dto.Thresholds.Length; f++)
            if (dto.Thresholds[f] is { } t && Array.FindIndex(t, v => !double.IsFinite(v)) is var j and >= 0)
                return $"threshold {j} of feature {f} is {Name(t[j])}";
        for (int f = 0; f < dto.Models.Length; f++)
            for (int m = 0; m < (dto.Models[f]?.Length ?? 0); m++)
            {
                var model = dto.Models[f][m];
                if (model is null) continue;
                string where = $"fold {f}, member {m}";
                if (!double.IsFinite(model.Baseline)) return $"{where}: the baseline is {Name(model.Baseline)}";
                var p = model.Parameters;
                if (p is not null)
                    foreach (var (name, v) in new[] { ("learning rate", p.LearningRate), ("lambda", p.Lambda), ("gamma", p.Gamma),
                                 ("min child weight", p.MinChildWeight), ("subsample", p.Subsample), ("tolerance", p.Tolerance) })
                        if (!double.IsFinite(v)) return $"{where}: the {name} is {Name(v)}";
                for (int k = 0; k < (model.Trees?.Length ?? 0); k++)
                    if (model.Trees![k]?.Value is { } values && Array.FindIndex(values, v => !double.IsFinite(v)) is var i and >= 0)
                        return $"{where}, tree {k}: leaf value {i} is {Name(values[i])}";
            }
        return null;

        static string Name(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity";
    }

    private static ModelDto ToDto(BoostedModel m) => new(m.Baseline, m.RoundsTrained, m.Parameters,
        m.Trees.Select(t => new TreeDto(t.Feature, t.Threshold.Select(b => (int)b).ToArray(), t.DefaultLeft, t.Left, t.Right, t.Value)).ToArray());
}
