namespace FastAD.Flows;

/// <summary>The flow families FastAD trains.</summary>
public enum FlowKind
{
    /// <summary>SPEC 1.3: pytorch-flows MADE (tanh) with u = (x − m)·exp(−a), batch norm, reverse permutation (<see cref="Spec13AffineMaf"/>).</summary>
    AffineSpec13,

    /// <summary>nflows affine MAF: scale = softplus(u) + 1e-3, z = scale·x + shift (<see cref="NflowsMaf"/>).</summary>
    AffineNflows,

    /// <summary>nflows rational-quadratic-spline MAF of SPEC 2.1 (<see cref="NflowsMaf"/>).</summary>
    RationalQuadratic,
}

/// <summary>
/// The shape of a flow: kind, transforms (blocks), hidden units, hidden layers after the first (nflows kinds), spline
/// bins and tail bound (RQS), permutation (nflows kinds; SPEC 1.3 always reverses), residual MADE (nflows kinds).
/// </summary>
public sealed record FlowArchitecture(FlowKind Kind = FlowKind.AffineSpec13, int Blocks = 6, int Hidden = 20, int HiddenLayers = 2, int Bins = 8,
    double TailBound = 3.0, FlowPermutation Permutation = FlowPermutation.Reverse, bool Residual = false)
{
    /// <summary>A new flow of this shape for D features and C conditions, initialised from <paramref name="seed"/>.</summary>
    public IConditionalFlow Create(int features, int conditions, ulong seed) => Kind switch
    {
        FlowKind.AffineSpec13 => new Spec13AffineMaf(features, conditions, Hidden, Blocks, seed),
        FlowKind.AffineNflows => new NflowsMaf(features, conditions, Hidden, Blocks, AutoregressiveTransform.AffineNflows, Bins, TailBound, HiddenLayers, Permutation, seed, Residual),
        _ => new NflowsMaf(features, conditions, Hidden, Blocks, AutoregressiveTransform.RationalQuadratic, Bins, TailBound, HiddenLayers, Permutation, seed, Residual),
    };

    /// <summary>Parses "affine" (or "affine-spec13"), "affine-nflows" and "rqs".</summary>
    public static FlowKind ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "affine" or "affine-spec13" => FlowKind.AffineSpec13,
        "affine-nflows" => FlowKind.AffineNflows,
        "rqs" or "spline" => FlowKind.RationalQuadratic,
        _ => throw new ArgumentException($"Unknown flow transform '{text}'; expected affine, affine-nflows or rqs."),
    };

    /// <summary>Parses "reverse" and "random".</summary>
    public static FlowPermutation ParsePermutation(string text) => text.Trim().ToLowerInvariant() switch
    {
        "reverse" => FlowPermutation.Reverse,
        "random" => FlowPermutation.Random,
        _ => throw new ArgumentException($"Unknown permutation '{text}'; expected reverse or random."),
    };
}
