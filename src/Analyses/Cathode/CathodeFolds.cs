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

    /// <summary>
    /// The plain k-fold rotation over rows that all train (CWoLa, supervised, the closure check), stratified: each label's
    /// rows are dealt to <paramref name="folds"/> parts by a seeded permutation, so every part holds its share of each
    /// class; fold f tests part f, validates on part f + 1 and trains on the rest.
    /// </summary>
    public static FoldSplit[] AllRows(double[] labels, int folds, ulong seed)
    {
        int rows = labels.Length;
        var u = new double[rows];
        FastAD.Kernels.Random.Philox4x32.FillUniform(u, seed, 0);
        var part = new int[rows];
        foreach (var group in Enumerable.Range(0, rows).GroupBy(i => labels[i]))
        {
            var order = group.OrderBy(i => u[i]).ToArray();
            for (int r = 0; r < order.Length; r++) part[order[r]] = (int)((long)r * folds / order.Length);
        }
        return Enumerable.Range(0, folds).Select(f => new FoldSplit(
            Enumerable.Range(0, rows).Where(i => part[i] != f && part[i] != (f + 1) % folds).ToArray(),
            Enumerable.Range(0, rows).Where(i => part[i] == (f + 1) % folds).ToArray(),
            Enumerable.Range(0, rows).Where(i => part[i] == f).ToArray())).ToArray();
    }
}
