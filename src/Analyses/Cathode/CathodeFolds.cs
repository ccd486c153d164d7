using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// The CATHODE 5-fold rotation of SPEC 1.5 over a matrix whose rows are, in order, the SR data (label 1),
/// the sideband data (scored only) and the flow samples (label 0). Each group is shuffled (Philox) and cut
/// into <c>folds</c> parts. For fold i: test = SR data part i + SB data part i; validation = samples and SR
/// data of part (i − 1) mod folds; training = samples and SR data of the other parts (the engine's
/// <see cref="FoldRotation"/> with CATHODE's groups).
/// </summary>
public static class CathodeFolds
{
    /// <summary>Makes the splits.</summary>
    public static FoldSplit[] Make(int dataSr, int dataSb, int samples, int folds = 5, ulong seed = 0) =>
        FoldRotation.Make(dataSr, dataSb, samples, folds, seed);
}
