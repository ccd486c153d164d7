using FastAD.Kernels.Random;
using FastAD.Trees;

namespace FastAD.Analyses.Cathode;

/// <summary>
/// The CATHODE 5-fold rotation of SPEC 1.5 over a matrix whose rows are, in order, the SR data (label 1),
/// the sideband data (scored only) and the flow samples (label 0). Each group is shuffled (Philox) and cut
/// into <c>folds</c> parts. For fold i: test = SR data part i + SB data part i; validation = samples and SR
/// data of part (i − 1) mod folds; training = samples and SR data of the other parts.
/// </summary>
public static class CathodeFolds
{
    /// <summary>Makes the splits.</summary>
    public static FoldSplit[] Make(int dataSr, int dataSb, int samples, int folds = 5, ulong seed = 0)
    {
        if (folds < 3) throw new ArgumentOutOfRangeException(nameof(folds), "The rotation needs at least 3 folds.");
        if (dataSr < folds || samples < folds) throw new ArgumentException($"Each fold needs SR data and samples ({dataSr} SR events, {samples} samples for {folds} folds).");
        int[][] Parts(int offset, int count, ulong stream)
        {
            var idx = Enumerable.Range(offset, count).ToArray();
            var u = new double[count];
            Philox4x32.FillUniform(u, seed, stream);
            for (int i = count - 1; i > 0; i--)
            {
                int j = (int)(u[i] * (i + 1));
                (idx[i], idx[j]) = (idx[j], idx[i]);
            }
            return Enumerable.Range(0, folds).Select(k => idx.Where((_, i) => i % folds == k).ToArray()).ToArray();
        }
        var sr = Parts(0, dataSr, 1);
        var sb = Parts(dataSr, dataSb, 2);
        var smp = Parts(dataSr + dataSb, samples, 3);
        var result = new FoldSplit[folds];
        for (int i = 0; i < folds; i++)
        {
            int v = (i - 1 + folds) % folds;
            var train = Enumerable.Range(0, folds).Where(k => k != i && k != v).SelectMany(k => sr[k].Concat(smp[k])).Order().ToArray();
            result[i] = new FoldSplit(train, sr[v].Concat(smp[v]).Order().ToArray(), sr[i].Concat(sb[i]).Order().ToArray());
        }
        return result;
    }
}
