using FastAD.Kernels.Random;

namespace FastAD.Trees;

/// <summary>
/// A rotating k-fold split over a matrix whose rows are, in order, a first labelled group, a group that is only scored,
/// and a second labelled group. Each group is shuffled (Philox, streams 1, 2 and 3 of <c>seed</c>) and cut into
/// <c>folds</c> parts. For fold i: test = part i of the first and the scored groups; validation = part (i − 1) mod
/// folds of both labelled groups; training = the other parts of both labelled groups. CATHODE's SPEC 1.5 rotation
/// (SR data, sideband data, flow samples) is this with its own names (Analyses/Cathode/CathodeFolds).
/// </summary>
public static class FoldRotation
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
