using FastAD.Kernels.Random;
using FastAD.Trees;

namespace FastAD.Trees.Tests;

/// <summary>
/// Fold sets for the engine's tests: the rotation of FastAD.Analyses.Cathode.CathodeFolds (CATHODE's rule, which lives
/// with the analysis and is tested there), copied so that these tests need no analysis and train the trees they always
/// have. Rows are SR data (label 1), sideband data (scored only) and samples (label 0), in that order.
/// </summary>
internal static class TestFolds
{
    public static FoldSplit[] Rotation(int dataSr, int dataSb, int samples, int folds = 5, ulong seed = 0)
    {
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
