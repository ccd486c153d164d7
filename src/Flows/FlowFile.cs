using System.Text.Json;

namespace FastAD.Flows;

/// <summary>
/// Saves and loads trained flows and ensembles as JSON, format <c>fastad-flow</c>. Version 2 (written):
/// <code>
/// { "format": "fastad-flow", "version": 2,
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
///   "featureNames": [...], "conditionNames": [...] }                                                             // optional
/// </code>
/// Version 1 (one SPEC 1.3 MAF, kind "maf-affine", with "parameters", "runningMean", "runningVariance") is still read.
/// Writes are atomic (temporary file, then rename); other formats, kinds or versions are errors naming the file.
/// </summary>
public static class FlowFile
{
    /// <summary>Format name.</summary>
    public const string Format = "fastad-flow";
    /// <summary>The version written.</summary>
    public const int Version = 2;
    /// <summary>Versions read.</summary>
    public static readonly IReadOnlyList<int> SupportedVersions = [1, 2];

    /// <summary>Kind names of the flows in a file.</summary>
    public const string AffineSpec13 = "affine-spec13", AffineNflows = "affine-nflows", Rqs = "rqs";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true };

    private sealed record Header(string? Format, int Version);

    private sealed record DtoV1(string Format, int Version, string Kind, int Features, int Conditions, int Hidden, int Blocks,
        double[][] Parameters, double[][] RunningMean, double[][] RunningVariance, Standardization? Standardization = null);

    private sealed record Member(string Kind, int Features, int Conditions, int Hidden, int Blocks, double[][] Parameters, double[][] State,
        int HiddenLayers = 0, int Bins = 0, double TailBound = 0, string? Permutation = null, int[][]? Permutations = null, bool Residual = false);

    private sealed record DtoV2(string Format, int Version, Member[] Members, Standardization? Standardization = null, ConditionRange? ConditionRange = null,
        string[]? FeatureNames = null, string[]? ConditionNames = null);

    /// <summary>The kind name of a flow.</summary>
    public static string KindOf(IConditionalFlow flow) => flow switch
    {
        MaskedAutoregressiveFlow => AffineSpec13,
        AutoregressiveFlow { Blocks: [{ Transform: AutoregressiveTransform.RationalQuadratic }, ..] } => Rqs,
        AutoregressiveFlow => AffineNflows,
        _ => throw new ArgumentException($"Flows of type {flow.GetType().Name} cannot be saved."),
    };

    /// <summary>Saves one SPEC 1.3 MAF, with the input standardisation it was trained on when given.</summary>
    public static void Save(string path, MaskedAutoregressiveFlow flow, Standardization? standardization = null) =>
        Save(path, new FlowEnsemble([flow]), standardization);

    /// <summary>Saves an ensemble (its members, condition range, and the standardisation and column names when given).</summary>
    public static void Save(string path, FlowEnsemble ensemble, Standardization? standardization = null, IReadOnlyList<string>? featureNames = null,
        IReadOnlyList<string>? conditionNames = null)
    {
        var members = ensemble.Members.Select(f =>
        {
            string kind = KindOf(f);
            var parameters = f.Parameters().Select(p => p.Value).ToArray();
            var state = f.State().ToArray();
            return f switch
            {
                MaskedAutoregressiveFlow m => new Member(kind, m.D, m.C, m.Hidden, m.Made.Length, parameters, state),
                AutoregressiveFlow a => new Member(kind, a.D, a.C, a.Blocks[0].H, a.Transforms, parameters, state, a.Blocks[0].HiddenLayers,
                    a.Blocks[0].Bins, a.Blocks[0].TailBound, a.Permutation == FlowPermutation.Random ? "random" : "reverse", a.Permutations, a.Blocks[0].IsResidual),
                _ => throw new ArgumentException($"Flows of type {f.GetType().Name} cannot be saved."),
            };
        }).ToArray();
        var dto = new DtoV2(Format, Version, members, standardization, ensemble.ConditionRange, featureNames?.ToArray(), conditionNames?.ToArray());
        FastAD.Kernels.IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(dto, Options));
    }

    /// <summary>Loads a file holding one SPEC 1.3 MAF.</summary>
    public static MaskedAutoregressiveFlow Load(string path) => LoadWithStandardization(path).Flow;

    /// <summary>Loads a file holding one SPEC 1.3 MAF and the standardisation saved with it (null when none was).</summary>
    public static (MaskedAutoregressiveFlow Flow, Standardization? Standardization) LoadWithStandardization(string path)
    {
        var (ensemble, standardization) = LoadEnsemble(path);
        if (ensemble.Members is not [MaskedAutoregressiveFlow maf])
            throw new InvalidDataException($"{path} holds {ensemble.Members.Count} flow(s) of kind {KindOf(ensemble.Members[0])}; expected one {AffineSpec13} flow.");
        return (maf, standardization);
    }

    /// <summary>Loads any flow file (version 1 or 2) as an ensemble, with its standardisation (null when none was saved).</summary>
    public static (FlowEnsemble Ensemble, Standardization? Standardization) LoadEnsemble(string path)
    {
        var saved = LoadSaved(path);
        return (saved.Ensemble, saved.Standardization);
    }

    /// <summary>Loads any flow file with everything saved beside the flows (null where a file has none).</summary>
    public static SavedFlows LoadSaved(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Flow file not found: {path}", path);
        string text = File.ReadAllText(path);
        string expected = $"expected format '{Format}', version {string.Join(" or ", SupportedVersions)}";
        Header? header;
        try { header = JsonSerializer.Deserialize<Header>(text, Options); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a FastAD flow file ({expected}): {e.Message}"); }
        if (header is null || header.Format != Format) throw new InvalidDataException($"{path} is not a FastAD flow file (format '{header?.Format}'; {expected}).");
        if (!SupportedVersions.Contains(header.Version))
            throw new InvalidDataException($"{path} has flow format version {header.Version}; this FastAD reads versions {string.Join(" and ", SupportedVersions)}.");
        try
        {
            if (header.Version == 1)
            {
                var v1 = JsonSerializer.Deserialize<DtoV1>(text, Options)!;
                if (v1.Kind != "maf-affine") throw new InvalidDataException($"{path} holds a '{v1.Kind}' flow; version 1 files hold only maf-affine.");
                var state = v1.RunningMean.Zip(v1.RunningVariance).SelectMany(p => new[] { p.First, p.Second }).ToArray();
                var member = new Member(AffineSpec13, v1.Features, v1.Conditions, v1.Hidden, v1.Blocks, v1.Parameters, state);
                return new SavedFlows(new FlowEnsemble([Build(path, member)]), v1.Standardization, null, null);
            }
            var v2 = JsonSerializer.Deserialize<DtoV2>(text, Options)!;
            if (v2.Members is not { Length: > 0 }) throw new InvalidDataException($"{path} holds no flows.");
            return new SavedFlows(new FlowEnsemble(v2.Members.Select(m => Build(path, m)).ToArray(), v2.ConditionRange), v2.Standardization,
                v2.FeatureNames, v2.ConditionNames);
        }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not a valid FastAD flow file: {e.Message}"); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    private static IConditionalFlow Build(string path, Member m)
    {
        IConditionalFlow flow = m.Kind switch
        {
            AffineSpec13 => new MaskedAutoregressiveFlow(m.Features, m.Conditions, m.Hidden, m.Blocks, seed: 0),
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

    private static AutoregressiveFlow BuildAutoregressive(Member m)
    {
        var transform = m.Kind == Rqs ? AutoregressiveTransform.RationalQuadratic : AutoregressiveTransform.AffineNflows;
        var permutation = m.Permutation == "random" ? FlowPermutation.Random : FlowPermutation.Reverse;
        var flow = new AutoregressiveFlow(m.Features, m.Conditions, m.Hidden, m.Blocks, transform, Math.Max(m.Bins, 2), m.TailBound > 0 ? m.TailBound : 3.0,
            m.HiddenLayers, permutation, seed: 0, m.Residual);
        if (m.Permutations is not null) flow.SetPermutations(m.Permutations);
        return flow;
    }
}
/// <summary>The contents of a flow file: the flows, and the standardisation and column names they were trained with.</summary>
public sealed record SavedFlows(FlowEnsemble Ensemble, Standardization? Standardization, string[]? FeatureNames, string[]? ConditionNames);

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
