using System.Security.Cryptography;
using System.Text;
using FastAD.Analyses.Cathode;
using Xunit;

namespace FastAD.Analyses.Tests;

/// <summary>CATHODE's fold rule (SPEC 1.5 rotation), which lives with the analysis (it moved from src/Trees unchanged).</summary>
public class CathodeFoldsTests
{
    [Fact]
    public void CathodeFoldsRotateAsSpecified()
    {
        const int sr = 103, sb = 311, samples = 517;
        var folds = CathodeFolds.Make(sr, sb, samples);
        Assert.Equal(5, folds.Length);
        var tested = folds.SelectMany(f => f.Test).ToList();
        Assert.Equal(sr + sb, tested.Count);
        Assert.Equal(Enumerable.Range(0, sr + sb), tested.Order());          // every data event scored exactly once
        for (int i = 0; i < 5; i++)
        {
            var f = folds[i];
            Assert.Empty(f.Train.Intersect(f.Validation));
            Assert.Empty(f.Train.Intersect(f.Test));
            Assert.Empty(f.Validation.Intersect(f.Test));
            Assert.All(f.Train.Concat(f.Validation), r => Assert.True(r < sr || r >= sr + sb));  // SB data never trains
            // Validation of fold i is the test SR part of fold i - 1.
            var prevSr = folds[(i + 4) % 5].Test.Where(r => r < sr);
            Assert.Equal(prevSr.Order(), f.Validation.Where(r => r < sr).Order());
        }
    }

    [Fact]
    public void TheFoldsAreThoseTheRuleHasAlwaysMade()
    {
        // A digest of every split of two fold sets (default and 7 folds with a seed), pinned when the rule moved from
        // src/Trees: the analyses' folds, hence their trained BDTs and scores, must not change with where the code lives.
        static string Digest(FastAD.Trees.FoldSplit[] folds) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(";",
            folds.Select(f => string.Join(",", f.Train) + "|" + string.Join(",", f.Validation) + "|" + string.Join(",", f.Test))))))[..16];
        Assert.Equal("3D7DD6CC82081A67", Digest(CathodeFolds.Make(103, 311, 517)));
        Assert.Equal("AB9A7798CEFC0FE8", Digest(CathodeFolds.Make(250, 40, 600, folds: 7, seed: 9)));
    }
}
