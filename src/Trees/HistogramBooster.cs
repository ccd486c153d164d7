using System.Numerics.Tensors;
using FastAD.Kernels.Random;

namespace FastAD.Trees;

/// <summary>
/// Binary log-loss gradient boosting on binned features (the managed reference path). Gradient
/// (p − y)·w and hessian p(1 − p)·w per row; per-node gradient/hessian histograms, building the smaller
/// child and subtracting it from the parent for the larger; one expansion driver for both growth
/// policies (a level-order queue for depth-wise, a best-gain queue for leaf-wise). Split gain
/// G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ); missing values try both sides and keep the better; leaf weight
/// −G/(H+λ) times the learning rate. Early stopping on the validation log-loss keeps the best iteration.
/// </summary>
public static class HistogramBooster
{
    private const int Bins = 256;

    /// <summary>Trains one model.</summary>
    public static BoostedModel Train(QuantileBinner binner, TrainingSet train, TrainingSet? validation, BoostingParameters p)
    {
        ArgumentNullException.ThrowIfNull(binner);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(p);
        p.Validate();
        if (p.Patience > 0 && validation is null) throw new ArgumentException("Early stopping (patience > 0) needs a validation set.");
        double frac = train.PositiveFraction();
        if (frac <= 0 || frac >= 1) throw new ArgumentException($"The {train.Name} set has a single class (weighted positive fraction {frac}); a classifier needs both labels.");
        double baseline = Math.Log(frac / (1 - frac));
        int n = train.Rows.Length, features = train.X.Features;
        var margin = new double[n];
        Array.Fill(margin, baseline);
        var grad = new double[n];
        var hess = new double[n];
        // The set's rows gathered once: labels, weights and bins (row-major) in local order, read contiguously every round.
        var local = LocalRows.Of(train);
        var val = validation is null ? null : LocalRows.Of(validation);
        double[]? valMargin = validation is null ? null : Enumerable.Repeat(baseline, validation.Rows.Length).ToArray();
        var trees = new List<Tree>();
        double bestLoss = double.PositiveInfinity;
        int bestRounds = 0, round;
        var grower = new TreeGrower(local.Bins, features, p);
        var sampleU = p.Subsample < 1 ? new double[n] : null;
        var skipped = sampleU is null ? null : new int[n];
        int nSkipped = 0;
        var prob = new double[n];
        var softplus = val is null ? null : new double[val.Labels.Length];
        for (round = 0; round < p.MaxRounds; round++)
        {
            // grad = (p − y) w, hess = p (1 − p) w, vectorised.
            TensorPrimitives.Sigmoid(margin, prob);
            TensorPrimitives.Subtract(prob, local.Labels, grad);
            TensorPrimitives.Multiply(grad, local.Weights, grad);
            TensorPrimitives.Subtract(1.0, prob, hess);
            TensorPrimitives.Multiply(prob, hess, hess);
            TensorPrimitives.Multiply(hess, local.Weights, hess);
            int used = n;
            var indices = grower.Indices(n);
            if (sampleU is not null)
            {
                Philox4x32.FillUniform(sampleU, p.Seed, (ulong)round);
                used = 0;
                nSkipped = 0;
                for (int i = 0; i < n; i++)
                {
                    // Branch-free: the draw is a coin flip the predictor cannot learn.
                    int take = sampleU[i] < p.Subsample ? 1 : 0;
                    indices[used] = i;
                    skipped![nSkipped] = i;
                    used += take;
                    nSkipped += 1 - take;
                }
            }
            else for (int i = 0; i < n; i++) indices[i] = i;
            var tree = grower.Grow(grad, hess, used);
            trees.Add(tree);
            // Rows the tree was grown on: their leaves are known; the rows left out of this round's subsample descend.
            grower.AddToGrownRows(margin, tree);
            if (nSkipped > 0) tree.AddTo(margin, local.Bins, features, skipped.AsSpan(0, nSkipped));
            if (val is not null)
            {
                tree.AddTo(valMargin!, val.Bins, features);
                // log(1 + e^m) − y m, computed stably as max(m, 0) + log(1 + e^−|m|) − y m.
                TensorPrimitives.Abs(valMargin, softplus);
                TensorPrimitives.Negate(softplus, softplus);
                TensorPrimitives.Exp(softplus, softplus);
                TensorPrimitives.Add(softplus, 1.0, softplus);
                TensorPrimitives.Log(softplus, softplus);
                double loss = 0, wsum = 0;
                for (int i = 0; i < valMargin!.Length; i++)
                {
                    double m = valMargin[i], y = val.Labels[i], w = val.Weights[i];
                    loss += w * (Math.Max(m, 0) + softplus![i] - y * m);
                    wsum += w;
                }
                loss /= wsum;
                if (loss < bestLoss - p.Tolerance)
                {
                    bestLoss = loss;
                    bestRounds = round + 1;
                }
                else if (p.Patience > 0 && round + 1 - bestRounds >= p.Patience)
                {
                    round++;
                    break;
                }
            }
        }
        int keep = p.Patience > 0 ? Math.Max(bestRounds, 1) : trees.Count;
        return new BoostedModel(binner, baseline, trees.Take(keep).ToList(), p, round);
    }

    /// <summary>A set's rows gathered into local order: labels, weights, and bins row-major (<c>Bins[i * features + f]</c>).</summary>
    private sealed record LocalRows(double[] Labels, double[] Weights, byte[] Bins)
    {
        public static LocalRows Of(TrainingSet set)
        {
            int n = set.Rows.Length, features = set.X.Features, total = set.X.Rows;
            var labels = new double[n];
            var weights = new double[n];
            var bins = new byte[n * features];
            var all = set.X.Bins;
            for (int i = 0; i < n; i++)
            {
                int r = set.Rows[i];
                labels[i] = set.Labels[r];
                weights[i] = set.Weights[r];
                for (int f = 0; f < features; f++) bins[i * features + f] = all[f * total + r];
            }
            return new LocalRows(labels, weights, bins);
        }
    }

    /// <summary>Grows trees on row-major local bins with reusable buffers (one grower per model and thread).</summary>
    private sealed class TreeGrower(byte[] bins, int features, BoostingParameters p)
    {
        private int[] _indices = [];
        private readonly Stack<double[]> _histPool = new();

        internal int[] Indices(int n)
        {
            if (_indices.Length < n) _indices = new int[n];
            return _indices;
        }

        private sealed class Node
        {
            public int Begin, End, Depth, Id;
            public double G, H;
            public double SplitG, SplitH; // Σ grad and Σ hess of the rows the best split sends left
            public double[]? Hist; // [feature][bin] → (G, H, count) triples
            public double Gain = double.NegativeInfinity;
            public int Feature = -1;
            public byte Threshold;
            public bool DefaultLeft;
        }

        private double[] RentHist() => _histPool.Count > 0 ? _histPool.Pop() : new double[features * Bins * 3];

        private void Return(double[]? h)
        {
            if (h is not null) _histPool.Push(h);
        }

        private void Build(Node node, double[] grad, double[] hess)
        {
            var hist = RentHist();
            Array.Clear(hist);
            var idx = _indices;
            // Rows in node order, features inner: each histogram cell still sums its rows in node order. The counts serve the
            // minimum leaf size, the skipping of empty bins and the test of whether a node has missing values.
            for (int i = node.Begin; i < node.End; i++)
            {
                int local = idx[i];
                double g = grad[local], h = hess[local];
                int row = local * features;
                for (int f = 0; f < features; f++)
                {
                    int at = (f * Bins + bins[row + f]) * 3;
                    hist[at] += g;
                    hist[at + 1] += h;
                    hist[at + 2] += 1;
                }
            }
            node.Hist = hist;
        }

        private void Subtract(Node larger, Node parent, Node smaller)
        {
            var hist = RentHist();
            var a = parent.Hist!;
            var b = smaller.Hist!;
            for (int i = 0; i < hist.Length; i++) hist[i] = a[i] - b[i];
            larger.Hist = hist;
        }

        private double LeafValue(double g, double h) => -g / (h + p.Lambda) * p.LearningRate;


        private int[] _right = [];

        /// <summary>Stable partition of the node's rows by its split; returns where the right child's rows begin.</summary>
        private int Partition(Node nd)
        {
            int count = nd.End - nd.Begin;
            if (_right.Length < count) _right = new int[Math.Max(count, _indices.Length)];
            int threshold = nd.Threshold, feature = nd.Feature, defaultLeft = nd.DefaultLeft ? 1 : 0;
            int left = nd.Begin, right = 0;
            for (int i = nd.Begin; i < nd.End; i++)
            {
                int local = _indices[i];
                int b = bins[local * features + feature];
                int goRight = (b > threshold ? 1 : 0) & ~((b == QuantileBinner.MissingBin ? 1 : 0) & defaultLeft);
                _indices[left] = local;
                _right[right] = local;
                left += 1 - goRight;
                right += goRight;
            }
            Array.Copy(_right, 0, _indices, left, right);
            return left;
        }

        private readonly List<(int Begin, int End, int Id)> _leaves = [];

        /// <summary>Σ grad and Σ hess over the first <paramref name="count"/> listed rows, in four partial sums.</summary>
        private (double G, double H) Sums(double[] grad, double[] hess, int count)
        {
            double g0 = 0, g1 = 0, g2 = 0, g3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0;
            int i = 0;
            for (; i + 4 <= count; i += 4)
            {
                int a = _indices[i], b = _indices[i + 1], c = _indices[i + 2], d = _indices[i + 3];
                g0 += grad[a]; g1 += grad[b]; g2 += grad[c]; g3 += grad[d];
                h0 += hess[a]; h1 += hess[b]; h2 += hess[c]; h3 += hess[d];
            }
            for (; i < count; i++)
            {
                g0 += grad[_indices[i]];
                h0 += hess[_indices[i]];
            }
            return (g0 + g1 + (g2 + g3), h0 + h1 + (h2 + h3));
        }

        /// <summary>
        /// Adds the last grown tree's leaf values to the margins of the rows it was grown on (their leaves are known from
        /// the partition: no descent needed).
        /// </summary>
        internal void AddToGrownRows(double[] margin, Tree tree)
        {
            foreach (var (begin, end, id) in _leaves)
            {
                double v = tree.Value[id];
                for (int i = begin; i < end; i++) margin[_indices[i]] += v;
            }
        }

        private void FindSplit(Node node)
        {
            var hist = node.Hist!;
            double lambda = p.Lambda, g = node.G, h = node.H;
            double count = node.End - node.Begin;
            double parentScore = g * g / (h + lambda);
            double best = double.NegativeInfinity;
            for (int f = 0; f < features; f++)
            {
                int baseHist = f * Bins * 3;
                int miss = baseHist + QuantileBinner.MissingBin * 3;
                double gm = hist[miss], hm = hist[miss + 1], cm = hist[miss + 2];
                double gl = 0, hl = 0, cl = 0;
                for (int b = 0; b < QuantileBinner.MissingBin - 1; b++)
                {
                    int at = baseHist + b * 3;
                    gl += hist[at];
                    hl += hist[at + 1];
                    cl += hist[at + 2];
                    if (hist[at + 2] == 0 && b > 0) continue; // same partition as the previous bin
                    for (int side = 0; side < (cm > 0 ? 2 : 1); side++)
                    {
                        bool missLeft = side == 1;
                        double GL = gl + (missLeft ? gm : 0), HL = hl + (missLeft ? hm : 0), CL = cl + (missLeft ? cm : 0);
                        double GR = g - GL, HR = h - HL, CR = count - CL;
                        if (CL < p.MinSamplesLeaf || CR < p.MinSamplesLeaf || HL < p.MinChildWeight || HR < p.MinChildWeight) continue;
                        double gain = GL * GL / (HL + lambda) + GR * GR / (HR + lambda) - parentScore;
                        if (gain > best)
                        {
                            best = gain;
                            node.Feature = f;
                            node.SplitG = GL;
                            node.SplitH = HL;
                            node.Threshold = (byte)b;
                            node.DefaultLeft = missLeft;
                        }
                    }
                }
            }
            node.Gain = best;
        }

        internal Tree Grow(double[] grad, double[] hess, int used)
        {
            var feature = new List<int>();
            var threshold = new List<byte>();
            var defaultLeft = new List<bool>();
            var left = new List<int>();
            var right = new List<int>();
            var value = new List<double>();
            int NewNode()
            {
                feature.Add(-1); threshold.Add(0); defaultLeft.Add(false); left.Add(-1); right.Add(-1); value.Add(0);
                return feature.Count - 1;
            }
            _leaves.Clear();
            var root = new Node { Begin = 0, End = used, Depth = 0, Id = NewNode() };
            (root.G, root.H) = Sums(grad, hess, used);
            bool CanSplit(Node nd) => (p.MaxDepth <= 0 || nd.Depth < p.MaxDepth)
                                      && nd.End - nd.Begin >= 2 * p.MinSamplesLeaf;
            void Prepare(Node nd)
            {
                value[nd.Id] = LeafValue(nd.G, nd.H);
                if (CanSplit(nd) && nd.Hist is not null) FindSplit(nd);
            }
            if (CanSplit(root)) Build(root, grad, hess);
            Prepare(root);
            // Depth-wise: first in, first out (level order); leaf-wise: highest gain first.
            var queue = new PriorityQueue<Node, (double, int)>();
            int order = 0;
            void Enqueue(Node nd)
            {
                if (nd.Feature < 0 || !(nd.Gain > Math.Max(p.Gamma, 1e-12)))
                {
                    Return(nd.Hist);
                    nd.Hist = null;
                    _leaves.Add((nd.Begin, nd.End, nd.Id));
                    return;
                }
                queue.Enqueue(nd, p.Growth == GrowthPolicy.DepthWise ? (order++, 0) : (-nd.Gain, order++));
            }
            Enqueue(root);
            int leaves = 1;
            while (queue.Count > 0)
            {
                if (p.Growth == GrowthPolicy.LeafWise && leaves >= p.MaxLeafNodes) break;
                var nd = queue.Dequeue();
                // Partition the node's rows, keeping their order: left are bin ≤ threshold, or missing with the default to
                // the left. Branch-free: each row is written to both sides and only one cursor advances.
                int lo = Partition(nd);
                var l = new Node { Begin = nd.Begin, End = lo, Depth = nd.Depth + 1, Id = NewNode() };
                var r = new Node { Begin = lo, End = nd.End, Depth = nd.Depth + 1, Id = NewNode() };
                // The left child's sums are the split's left histogram sums (FindSplit kept them).
                (l.G, l.H) = (nd.SplitG, nd.SplitH);
                r.G = nd.G - l.G;
                r.H = nd.H - l.H;
                feature[nd.Id] = nd.Feature;
                threshold[nd.Id] = nd.Threshold;
                defaultLeft[nd.Id] = nd.DefaultLeft;
                left[nd.Id] = l.Id;
                right[nd.Id] = r.Id;
                leaves++;
                bool needL = CanSplit(l), needR = CanSplit(r);
                if (needL || needR)
                {
                    var (small, large) = l.End - l.Begin <= r.End - r.Begin ? (l, r) : (r, l);
                    Build(small, grad, hess);
                    Subtract(large, nd, small);
                }
                Return(nd.Hist);
                nd.Hist = null;
                Prepare(l);
                Prepare(r);
                Enqueue(l);
                Enqueue(r);
            }
            while (queue.Count > 0)
            {
                var leaf = queue.Dequeue();
                Return(leaf.Hist);
                _leaves.Add((leaf.Begin, leaf.End, leaf.Id));
            }
            return new Tree(feature.ToArray(), threshold.ToArray(), defaultLeft.ToArray(), left.ToArray(), right.ToArray(), value.ToArray());
        }
    }
}
