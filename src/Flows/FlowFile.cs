using System.Text.Json;
using System.Text.Json.Serialization;
using FastAD.Kernels.IO;

namespace FastAD.Flows;

/// <summary>
/// Saves and loads trained flows and ensembles as JSON, format <c>fastad-flow</c>. Version 3 (written and read):
/// <code>
/// { "format": "fastad-flow", "version": 3,
///   "identity": { "analysis": "cathode", "channel": "OS", "member": "3", "inputs": "1a2b..." },   // see ModelIdentity; may be null
///   "members": [ {                                   // one per ensemble member
///       "kind": "affine-spec13" | "affine-nflows" | "rqs",
///       "features": D, "conditions": C, "hidden": H, "blocks": transforms,
///       "hiddenLayers": 2, "bins": K, "tailBound": B,  // nflows-style kinds only
///       "permutation": "reverse" | "random", "permutations": [[...], ...],   // nflows-style kinds only
///       "residual": false,                           // nflows-style kinds: residual MADE
///       "parameters": [[...], ...],                  // IConditionalFlow.Parameters() order
///       "state": [[...], ...] } ],                   // batch-norm running mean, variance per block (affine-spec13)
///   "standardization": { "featureMean": [...], "featureStd": [...], "conditionMean": [...], "conditionStd": [...] },  // optional
///   "conditionRange": { "min": [...], "max": [...] },                                                            // optional
///   "featureNames": [...], "conditionNames": [...],                                                              // optional
///   "checksum": "sha256:..." }   // SHA-256 of this JSON as written with "checksum": null
/// </code>
/// On load a file whose checksum does not match its content, that is cut short, or that holds a non-finite number is
/// corrupt (<see cref="CorruptModelException"/>); one whose identity is not the expected one is not this run's model
/// (<see cref="ModelMismatchException"/>). Versions 1 and 2 (written by an older FastAD, without identity or checksum)
/// are recognised only to say so (a <see cref="ModelMismatchException"/>).
/// Writes are atomic (temporary file, then rename); other formats, kinds or versions are errors naming the file.
/// </summary>
public static class FlowFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-flow";
    /// <summary>The version written.</summary>
    public const int Version = 3;
    /// <summary>Versions read.</summary>
    public static readonly IReadOnlyList<int> SupportedVersions = [3];
    /// <summary>Versions an older FastAD wrote (no identity, no checksum): recognised, not loaded.</summary>
    public static readonly IReadOnlyList<int> OlderVersions = [1, 2];

    /// <summary>Kind names of the flows in a file.</summary>
    public const string AffineSpec13 = "affine-spec13", AffineNflows = "affine-nflows", Rqs = "rqs";

    // Named literals (NaN, Infinity) are read so that they are reported as such; Save refuses to write them.
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private sealed record Header(string? Format, int Version);

    private sealed record Member(string Kind, int Features, int Conditions, int Hidden, int Blocks, double[][] Parameters, double[][] State,
        int HiddenLayers = 0, int Bins = 0, double TailBound = 0, string? Permutation = null, int[][]? Permutations = null, bool Residual = false);

    private sealed record Dto(string Format, int Version, ModelIdentity? Identity, Member[] Members, Standardization? Standardization = null,
        ConditionRange? ConditionRange = null, string[]? FeatureNames = null, string[]? ConditionNames = null, string? Checksum = null,
        // Not written when absent, so that the files written before it existed keep their checksums.
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FlowPreprocessing? Preprocessing = null);

    /// <summary>The kind name of a flow.</summary>
    public static string KindOf(IConditionalFlow flow) => flow switch
    {
        Spec13AffineMaf => AffineSpec13,
        NflowsMaf { Blocks: [{ Transform: RationalQuadraticTransform }, ..] } => Rqs,
        NflowsMaf { Blocks: [{ Transform: SoftplusAffineTransform }, ..] } => AffineNflows,
        _ => throw new ArgumentException($"Flows of type {flow.GetType().Name} cannot be saved."),
    };

    /// <summary>Saves one SPEC 1.3 MAF, with the input standardisation it was trained on and its identity when given.</summary>
    public static void Save(string path, Spec13AffineMaf flow, Standardization? standardization = null, ModelIdentity? identity = null) =>
        Save(path, new FlowEnsemble([flow]), standardization, identity: identity);

    /// <summary>Saves an ensemble (its members, condition range, and the standardisation, column names and identity when given).</summary>
    public static void Save(string path, FlowEnsemble ensemble, Standardization? standardization = null, IReadOnlyList<string>? featureNames = null,
        IReadOnlyList<string>? conditionNames = null, ModelIdentity? identity = null, FlowPreprocessing? preprocessing = null)
    {
        var members = ensemble.Members.Select(f =>
        {
            string kind = KindOf(f);
            var parameters = f.Parameters().Select(p => p.Value).ToArray();
            var state = f.State().ToArray();
            return f switch
            {
                Spec13AffineMaf m => new Member(kind, m.D, m.C, m.Hidden, m.Made.Length, parameters, state),
                NflowsMaf a => new Member(kind, a.D, a.C, a.Blocks[0].H, a.Transforms, parameters, state, a.Blocks[0].HiddenLayers,
                    a.Bins, a.TailBound, a.Permutation == FlowPermutation.Random ? "random" : "reverse", a.Permutations, a.Blocks[0].IsResidual),
                _ => throw new ArgumentException($"Flows of type {f.GetType().Name} cannot be saved."),
            };
        }).ToArray();
        var dto = new Dto(Format, Version, identity, members, standardization, ensemble.ConditionRange, featureNames?.ToArray(), conditionNames?.ToArray(),
            Preprocessing: preprocessing);
        if (NonFinite(dto) is { } bad) throw new ArgumentException($"Cannot save {path}: {bad}.");
        dto = dto with { Checksum = Checksum(dto) };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(dto, Options));
    }

    /// <summary>Loads a file holding one SPEC 1.3 MAF (of identity <paramref name="expected"/> when given).</summary>
    public static Spec13AffineMaf Load(string path, ModelIdentity? expected = null) => LoadWithStandardization(path, expected).Flow;

    /// <summary>Loads a file holding one SPEC 1.3 MAF and the standardisation saved with it (null when none was).</summary>
    public static (Spec13AffineMaf Flow, Standardization? Standardization) LoadWithStandardization(string path, ModelIdentity? expected = null)
    {
        var (ensemble, standardization) = LoadEnsemble(path, expected);
        if (ensemble.Members is not [Spec13AffineMaf maf])
            throw new InvalidDataException($"{path} holds {ensemble.Members.Count} flow(s) of kind {KindOf(ensemble.Members[0])}; expected one {AffineSpec13} flow.");
        return (maf, standardization);
    }

    /// <summary>Loads a flow file as an ensemble, with its standardisation (null when none was saved).</summary>
    public static (FlowEnsemble Ensemble, Standardization? Standardization) LoadEnsemble(string path, ModelIdentity? expected = null)
    {
        var saved = LoadSaved(path, expected);
        return (saved.Ensemble, saved.Standardization);
    }

    /// <summary>
    /// Loads a flow file with everything saved beside the flows (null where a file has none). Throws
    /// <see cref="CorruptModelException"/> for a damaged file and <see cref="ModelMismatchException"/> for one of an older
    /// version or, when <paramref name="expected"/> is given, of another identity.
    /// </summary>
    public static SavedFlows LoadSaved(string path, ModelIdentity? expected = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Flow file not found: {path}", path);
        string text = File.ReadAllText(path);
        string wanted = $"expected format '{Format}', version {string.Join(" or ", SupportedVersions)}";
        Header? header;
        try { header = JsonSerializer.Deserialize<Header>(text, Options); }
        catch (JsonException e) { throw ModelChecksum.NotJson(path, text, Format, $"flow file ({wanted})", expected, e.Message); }
        if (header is null || header.Format != Format) throw ModelChecksum.OtherFormat(path, header?.Format, "flow", wanted, expected);
        if (OlderVersions.Contains(header.Version))
            throw new ModelMismatchException(path, $"was written by an older FastAD (flow format version {header.Version}, without identity or checksum)",
                expected?.ToString() ?? $"flow format version {Version}");
        if (!SupportedVersions.Contains(header.Version))
            throw new InvalidDataException($"{path} has flow format version {header.Version}; this FastAD reads version {string.Join(" and ", SupportedVersions)}.");
        Dto dto;
        try { dto = JsonSerializer.Deserialize<Dto>(text, Options)!; }
        catch (JsonException e) { throw new CorruptModelException(path, e.Message, expected?.ToString()); }
        if (dto.Members is not { Length: > 0 } || dto.Members.Any(m => m is null)) throw new CorruptModelException(path, "it holds no flows (or an empty member)", expected?.ToString());
        if (dto.Members.FirstOrDefault(m => m?.Kind is not (AffineSpec13 or AffineNflows or Rqs)) is { } unknown)
            throw new InvalidDataException($"{path} holds a '{unknown?.Kind}' flow; known kinds: {AffineSpec13}, {AffineNflows}, {Rqs}.");
        if (dto.Preprocessing is { } pre && (pre.Kind is null || pre.Values is null || pre.Values.Values.Any(v => v is null)))
            throw new CorruptModelException(path, "its preprocessing is incomplete (expected a kind and named arrays of numbers)", expected?.ToString());
        if (NonFinite(dto) is { } bad) throw new CorruptModelException(path, bad, expected?.ToString());
        ModelChecksum.Check(path, dto.Checksum, Checksum(dto), expected);
        SavedFlows saved;
        try
        {
            saved = new SavedFlows(new FlowEnsemble(dto.Members.Select(m => Build(path, m)).ToArray(), dto.ConditionRange), dto.Standardization,
                dto.FeatureNames, dto.ConditionNames, dto.Identity, dto.Preprocessing);
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        if (expected?.Difference(dto.Identity) is { } other) throw new ModelMismatchException(path, other, expected.ToString());
        return saved;
    }

    /// <summary>The checksum of a file's content: SHA-256 of its JSON with the checksum left out (null).</summary>
    private static string Checksum(Dto dto) => ModelChecksum.Of(JsonSerializer.SerializeToUtf8Bytes(dto with { Checksum = null }, Options));

    /// <summary>The first non-finite number of a file (where it is and what it is), or null.</summary>
    private static string? NonFinite(Dto dto)
    {
        for (int k = 0; k < dto.Members.Length; k++)
        {
            var m = dto.Members[k];
            string member = dto.Members.Length > 1 ? $"member {k + 1}, " : "";
            if (Find(m.Parameters, $"{member}parameter array") is { } p) return p;
            if (Find(m.State, $"{member}running statistics array") is { } s) return s;
            if (!double.IsFinite(m.TailBound)) return $"{member}tail bound is {m.TailBound}";
        }
        if (dto.Standardization is { } st &&
            Find([st.FeatureMean, st.FeatureStd, st.ConditionMean, st.ConditionStd], "standardisation array") is { } z) return z;
        if (dto.ConditionRange is { } r && Find([r.Min, r.Max], "condition range array") is { } c) return c;
        if (dto.Preprocessing is { } pre && Find([.. pre.Values.Values], "preprocessing array") is { } q) return q;
        return null;

        static string? Find(double[]?[]? arrays, string what)
        {
            if (arrays is null) return null;
            for (int i = 0; i < arrays.Length; i++)
            {
                var a = arrays[i];
                if (a is null) continue;
                for (int j = 0; j < a.Length; j++)
                    if (!double.IsFinite(a[j])) return $"{what} {i}, value {j} is {(double.IsNaN(a[j]) ? "NaN" : a[j] > 0 ? "+Infinity" : "-Infinity")}";
            }
            return null;
        }
    }

    private static IConditionalFlow Build(string path, Member m)
    {
        IConditionalFlow flow = m.Kind switch
        {
            AffineSpec13 => new Spec13AffineMaf(m.Features, m.Conditions, m.Hidden, m.Blocks, seed: 0),
            AffineNflows or Rqs => BuildAutoregressive(m),
            _ => throw new InvalidDataException($"{path} holds a '{m.Kind}' flow; known kinds: {AffineSpec13}, {AffineNflows}, {Rqs}."),
        };
        var parameters = flow.Parameters().ToArray();
        if (m.Parameters is null || parameters.Length != m.Parameters.Length)
            throw new InvalidDataException($"{path}: {m.Parameters?.Length ?? 0} parameter arrays for a {m.Kind} flow, expected {parameters.Length}.");
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i].Value.Length != m.Parameters[i].Length) throw new InvalidDataException($"{path}: parameter array {i} has {m.Parameters[i].Length} values, expected {parameters[i].Value.Length}.");
            m.Parameters[i].CopyTo(parameters[i].Value, 0);
        }
        var state = flow.State().ToArray();
        var saved = m.State ?? [];
        if (state.Length != saved.Length || state.Where((s, i) => s.Length != saved[i].Length).Any())
            throw new InvalidDataException($"{path}: the running statistics do not match a {m.Kind} flow of this shape.");
        for (int i = 0; i < state.Length; i++) saved[i].CopyTo(state[i], 0);
        return flow;
    }

    private static NflowsMaf BuildAutoregressive(Member m)
    {
        var transform = m.Kind == Rqs ? AutoregressiveTransform.RationalQuadratic : AutoregressiveTransform.AffineNflows;
        var permutation = m.Permutation == "random" ? FlowPermutation.Random : FlowPermutation.Reverse;
        var flow = new NflowsMaf(m.Features, m.Conditions, m.Hidden, m.Blocks, transform, Math.Max(m.Bins, 2), m.TailBound > 0 ? m.TailBound : 3.0,
            m.HiddenLayers, permutation, seed: 0, m.Residual);
        if (m.Permutations is not null) flow.SetPermutations(m.Permutations);
        return flow;
    }
}
/// <summary>The contents of a flow file: the flows, the standardisation and column names they were trained with, and their identity.</summary>
public sealed record SavedFlows(FlowEnsemble Ensemble, Standardization? Standardization, string[]? FeatureNames, string[]? ConditionNames,
    ModelIdentity? Identity = null, FlowPreprocessing? Preprocessing = null);

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
