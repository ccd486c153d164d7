using System.Globalization;
using FastAD.Kernels;

namespace FastAD.Trees;

/// <summary>
/// The kernel path of the managed <c>Ensemble.Train</c> (Sources/trees_depthwise.cl for depth-wise growth,
/// Sources/trees_leafwise.cl for leaf-wise, both on trees_common.cl): one launch trains every (fold, member) model, one work-group each, for all rounds;
/// histograms, split finding, row partitioning, margins and early stopping stay on the device and only the finished
/// trees come back.
/// Same algorithm, weights (class 1 at N0/N1 of the fold's training rows, times optional frequency weights), subsampling streams and early
/// stopping as the managed path; histogram sums are accumulated with atomics, so sums may differ from the
/// managed ones in the last bits and a near-tie split may go the other way.
/// </summary>
public static class KernelEnsembleTrainer
{
    private const int Wg = 256;

    /// <summary>The deepest trees the depth-wise kernel grows (a tree's nodes live in one work-group's local memory).</summary>
    public const int MaxDepth = 8;

    /// <summary>The most leaves the leaf-wise kernel grows (its nodes live in one work-group's local memory).</summary>
    public const int MaxLeaves = 128;

    /// <summary>Trains the ensemble on an OpenCL or CUDA device.</summary>
    public static Ensemble Train(ComputeDevice device, QuantileBinner binner, BinnedFeatures x, double[] labels, FoldSplit[] folds, int members,
        BoostingParameters p, double[]? frequencies = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' runs no kernels; use Ensemble.Train.");
        p.Validate();
        bool leafWise = p.Growth == GrowthPolicy.LeafWise;
        if (!leafWise && p.MaxDepth > MaxDepth) throw new NotSupportedException($"The kernel trainer supports depth ≤ {MaxDepth} (asked for {p.MaxDepth}).");
        if (leafWise && p.MaxLeafNodes > MaxLeaves) throw new NotSupportedException($"The kernel trainer grows ≤ {MaxLeaves} leaves (asked for {p.MaxLeafNodes}).");
        if (members < 1) throw new ArgumentOutOfRangeException(nameof(members));
        int nFolds = folds.Length, jobs = nFolds * members, features = x.Features;
        // Depth-wise: heap-numbered nodes, histograms of one level's nodes; leaf-wise: nodes in creation order, a histogram per node.
        int nodes = leafWise ? 2 * p.MaxLeafNodes - 1 : (1 << (p.MaxDepth + 1)) - 1, histNodes = leafWise ? nodes : 1 << (p.MaxDepth - 1);
        var positiveWeight = new double[nFolds];
        var baseline = new double[nFolds];
        for (int f = 0; f < nFolds; f++)
        {
            positiveWeight[f] = Ensemble.PositiveClassWeight(labels, folds[f].Train, frequencies, f);
            double n1 = 0, n0 = 0;
            foreach (int r in folds[f].Train)
                if (labels[r] == 1) n1 += frequencies?[r] ?? 1.0;
                else n0 += frequencies?[r] ?? 1.0;
            double frac = n1 * positiveWeight[f] / (n1 * positiveWeight[f] + n0);
            baseline[f] = Math.Log(frac / (1 - frac));
            if (p.Patience > 0 && folds[f].Validation.Length == 0) throw new ArgumentException($"Fold {f} has no validation rows for early stopping.");
            foreach (int r in folds[f].Train.Concat(folds[f].Validation))
                if (labels[r] != 0 && labels[r] != 1) throw new ArgumentException($"Label of row {r + 1} is {labels[r]}; labels must be 0 or 1.");
        }
        Ensemble.CheckFrequencies(frequencies, folds);
        var trainOffset = new int[nFolds + 1];
        var valOffset = new int[nFolds + 1];
        for (int f = 0; f < nFolds; f++)
        {
            trainOffset[f + 1] = trainOffset[f] + folds[f].Train.Length;
            valOffset[f + 1] = valOffset[f] + folds[f].Validation.Length;
        }
        int maxTrain = folds.Max(f => f.Train.Length), maxVal = Math.Max(1, folds.Max(f => f.Validation.Length));
        var program = device.GetProgram(typeof(KernelEnsembleTrainer).Assembly, leafWise ? "trees_leafwise.cl" : "trees_depthwise.cl", new Dictionary<string, string>
        {
            ["F"] = features.ToString(CultureInfo.InvariantCulture),
            [leafWise ? "MAXL" : "MAXD"] = (leafWise ? p.MaxLeafNodes : p.MaxDepth).ToString(CultureInfo.InvariantCulture),
            ["WG"] = Wg.ToString(CultureInfo.InvariantCulture),
        });
        using var bins = device.Upload<byte>(x.Bins);
        using var lab = device.Upload<double>(labels);
        using var freq = device.Upload<double>(frequencies ?? Enumerable.Repeat(1.0, x.Rows).ToArray());
        using var tr = device.Upload<int>(folds.SelectMany(f => f.Train).DefaultIfEmpty(0).ToArray());
        using var to = device.Upload<int>(trainOffset);
        using var vr = device.Upload<int>(folds.SelectMany(f => f.Validation).DefaultIfEmpty(0).ToArray());
        using var vo = device.Upload<int>(valOffset);
        using var pw = device.Upload<double>(positiveWeight);
        using var bl = device.Upload<double>(baseline);
        using var margin = device.Allocate<double>((long)jobs * maxTrain);
        using var grad = device.Allocate<double>((long)jobs * maxTrain);
        using var hess = device.Allocate<double>((long)jobs * maxTrain);
        using var nodeOf = device.Allocate<int>((long)jobs * maxTrain);
        using var valMargin = device.Allocate<double>((long)jobs * maxVal);
        using var hist = device.Allocate<double>((long)jobs * histNodes * features * 256 * 3);
        long treeCells = (long)jobs * p.MaxRounds * nodes;
        using var feat = device.Allocate<int>(treeCells);
        using var thr = device.Allocate<int>(treeCells);
        using var dleft = device.Allocate<int>(treeCells);
        using var val = device.Allocate<double>(treeCells);
        using var rounds = device.Allocate<int>(2L * jobs);
        using var left = device.Allocate<int>(leafWise ? treeCells : 1);
        using var right = device.Allocate<int>(leafWise ? treeCells : 1);
        KernelArg[] args =
        [
            bins, lab, freq, tr, to, vr, vo, pw, bl,
            p.MaxRounds, p.Patience, p.MinSamplesLeaf, x.Rows, members,
            p.LearningRate, p.Lambda, p.Gamma, p.MinChildWeight, p.Subsample, p.Tolerance, p.Seed,
            maxTrain, maxVal, margin, grad, hess, nodeOf, valMargin, hist, feat, thr, dleft, val, rounds,
        ];
        if (leafWise) program.GetKernel("train_leafwise").Launch(LaunchGrid.Linear((long)jobs * Wg, Wg), [.. args, p.MaxDepth, left, right]);
        else program.GetKernel("train_depthwise").Launch(LaunchGrid.Linear((long)jobs * Wg, Wg), args);
        var f0 = device.Download(feat);
        var t0 = device.Download(thr);
        var d0 = device.Download(dleft);
        var v0 = device.Download(val);
        var r0 = device.Download(rounds);
        var l0 = leafWise ? device.Download(left) : null;
        var g0 = leafWise ? device.Download(right) : null;
        var models = Enumerable.Range(0, nFolds).Select(_ => new BoostedModel[members]).ToArray();
        for (int job = 0; job < jobs; job++)
        {
            int keep = r0[2 * job + 1];
            var trees = new List<Tree>(keep);
            for (int t = 0; t < keep; t++)
            {
                long at = ((long)job * p.MaxRounds + t) * nodes;
                trees.Add(leafWise
                    ? InCreationOrder(f0.AsSpan((int)at, nodes), t0.AsSpan((int)at, nodes), d0.AsSpan((int)at, nodes), l0.AsSpan((int)at, nodes), g0.AsSpan((int)at, nodes), v0.AsSpan((int)at, nodes))
                    : FromHeap(f0.AsSpan((int)at, nodes), t0.AsSpan((int)at, nodes), d0.AsSpan((int)at, nodes), v0.AsSpan((int)at, nodes)));
            }
            models[job / members][job % members] = new BoostedModel(binner, baseline[job / members], trees,
                p with { Seed = p.Seed + (ulong)(job % members) }, r0[2 * job]);
        }
        return new Ensemble(binner, folds, models);
    }

    /// <summary>
    /// Leaf-wise nodes, numbered in creation order as the managed grower numbers them (root, then each split's left and
    /// right child): the first 1 + 2 × splits of them are the tree.
    /// </summary>
    private static Tree InCreationOrder(ReadOnlySpan<int> feature, ReadOnlySpan<int> threshold, ReadOnlySpan<int> defaultLeft, ReadOnlySpan<int> left,
        ReadOnlySpan<int> right, ReadOnlySpan<double> value)
    {
        int count = 1;
        foreach (int f in feature) if (f >= 0) count += 2;
        var th = new byte[count];
        var dl = new bool[count];
        for (int i = 0; i < count; i++)
        {
            th[i] = (byte)threshold[i];
            dl[i] = defaultLeft[i] != 0;
        }
        return new Tree(feature[..count].ToArray(), th, dl, left[..count].ToArray(), right[..count].ToArray(), value[..count].ToArray());
    }

    /// <summary>Heap-numbered nodes to the compact breadth-first layout of <see cref="Tree"/>.</summary>
    private static Tree FromHeap(ReadOnlySpan<int> feature, ReadOnlySpan<int> threshold, ReadOnlySpan<int> defaultLeft, ReadOnlySpan<double> value)
    {
        var order = new List<int> { 0 };
        for (int i = 0; i < order.Count; i++)
        {
            int n = order[i];
            if (feature[n] >= 0) { order.Add(2 * n + 1); order.Add(2 * n + 2); }
        }
        var id = order.Select((n, i) => (n, i)).ToDictionary(t => t.n, t => t.i);
        int count = order.Count;
        var f = new int[count];
        var th = new byte[count];
        var dl = new bool[count];
        var l = new int[count];
        var r = new int[count];
        var v = new double[count];
        for (int i = 0; i < count; i++)
        {
            int n = order[i];
            f[i] = feature[n];
            th[i] = (byte)threshold[n];
            dl[i] = defaultLeft[n] != 0;
            l[i] = feature[n] >= 0 ? id[2 * n + 1] : -1;
            r[i] = feature[n] >= 0 ? id[2 * n + 2] : -1;
            v[i] = value[n];
        }
        return new Tree(f, th, dl, l, r, v);
    }
}
