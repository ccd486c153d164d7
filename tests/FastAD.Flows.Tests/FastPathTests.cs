using FastAD.Flows;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>
/// The blocked, vectorised and parallel paths against the plain definitions they replace. The fast paths
/// add the same products in another order (fused multiply-adds, tiles accumulated onto C, hidden units
/// grouped), so they agree to rounding: for sums of K ≤ 300 terms in double the difference is bounded by about
/// K·2⁻⁵³·Σ|terms| ≈ 3e-14·Σ|terms|; the tolerances below (1e-12 relative to the magnitude of the terms) leave
/// room for that and for tanh/exp evaluated by different routines (≤ 1e-15 absolute), and are still far below
/// any real mistake (a wrong index or a missing term moves results by O(1)).
/// </summary>
public class FastPathTests
{
    private static double[] Normal(int n, ulong stream, double scale = 1)
    {
        var v = new double[n];
        Philox4x32.FillNormal(v, 123, stream);
        for (int i = 0; i < n; i++) v[i] *= scale;
        return v;
    }

    [Theory]
    [InlineData(37, 20, 20, false)]     // tiles of 4 rows and 2 vectors, row and column remainders
    [InlineData(5, 3, 11, false)]       // narrower than one vector
    [InlineData(9, 6, 128, true)]       // A read transposed (the dW product)
    [InlineData(300, 128, 128, false)]  // large enough to split over the cores
    [InlineData(13, 13, 0, false)]      // empty sums
    public void GemmMatchesTheReference(int rows, int cols, int depth, bool transposedA)
    {
        int ars = transposedA ? 1 : depth, acs = transposedA ? rows : 1, ldb = cols + 3, ldc = cols + 1;
        var a = Normal(Math.Max(rows * depth, 1), 1);
        var b = Normal(Math.Max(depth * ldb, 1), 2);
        foreach (var (overwrite, tanh) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var c0 = Normal(rows * ldc, 3, 0.5);
            var fast = (double[])c0.Clone();
            var reference = (double[])c0.Clone();
            SmallGemm.MultiplyAdd(a, ars, acs, b, ldb, fast, ldc, rows, cols, depth, parallel: true, overwrite, tanh);
            SmallGemm.Reference(a, ars, acs, b, ldb, reference, ldc, rows, cols, depth, overwrite, tanh);
            for (int m = 0; m < rows; m++)
                for (int n = 0; n < ldc; n++)
                {
                    int i = m * ldc + n;
                    if (n >= cols)
                    {
                        Assert.Equal(c0[i], fast[i]);    // padding columns untouched
                        continue;
                    }
                    double magnitude = Math.Abs(c0[i]);
                    for (int k = 0; k < depth; k++) magnitude += Math.Abs(a[m * ars + k * acs] * b[k * ldb + n]);
                    Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-12 * magnitude + 1e-15,
                        $"C[{m},{n}] (overwrite {overwrite}, tanh {tanh}): fast {fast[i]:R}, reference {reference[i]:R}");
                }
        }
    }

    [Fact]
    public void VectorTanhMatchesMathTanh()
    {
        var x = Normal(4096, 7, 4);
        x[0] = 0; x[1] = -0.0; x[2] = 1e-300; x[3] = 40; x[4] = -40; x[5] = 1e-9;
        var c = new double[x.Length];
        var one = new[] { 1.0 };
        // C = tanh(0 + Σ_k 1·x) with one term: the fused epilogue applied to x itself.
        SmallGemm.MultiplyAdd(one, 0, 0, x, 1, c, 1, 1, 1, 1, overwrite: true, tanh: true);
        var row = new double[x.Length];
        SmallGemm.MultiplyAdd(one, 0, 0, x, x.Length, row, x.Length, 1, x.Length, 1, overwrite: true, tanh: true);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(row[i] - Math.Tanh(x[i])) <= 1e-15, $"tanh({x[i]:R}) = {row[i]:R}, expected {Math.Tanh(x[i]):R}");
        Assert.Equal(Math.Tanh(x[0]), c[0], 15);
    }

    [Theory]
    [InlineData(3, 20, 37)]
    [InlineData(3, 33, 64)]
    [InlineData(5, 128, 9)]
    public void MaskedLayersMatchTheReferencePasses(int d, int h, int batch)
    {
        var layers = new[]
        {
            new MaskedLinear(d, h, MadeMasks.InputToHidden(d, h)),
            new MaskedLinear(1, h, bias: false),
            new MaskedLinear(h, h, MadeMasks.HiddenToHidden(d, h)),
            new MaskedLinear(h, 2 * d, MadeMasks.HiddenToOutput(d, h)),
        };
        ulong stream = 10;
        foreach (var layer in layers)
        {
            Philox4x32.FillNormal(layer.Weight, 5, stream++);
            Philox4x32.FillNormal(layer.Bias, 5, stream++);
            var x = Normal(batch * layer.Inputs, stream++);
            var dy = Normal(batch * layer.Outputs, stream++);
            var y0 = Normal(batch * layer.Outputs, stream++);
            foreach (bool accumulate in new[] { false, true })
            {
                var fast = (double[])y0.Clone();
                var reference = (double[])y0.Clone();
                layer.Forward(x, fast, batch, accumulate);
                layer.ForwardReference(x, reference, batch, accumulate);
                AssertClose(reference, fast, 1e-12, $"forward {layer.Inputs}→{layer.Outputs}, accumulate {accumulate}");
            }
            var dx0 = Normal(batch * layer.Inputs, stream++);
            var dxFast = (double[])dx0.Clone();
            var dxReference = (double[])dx0.Clone();
            layer.ZeroGrad();
            layer.Backward(x, dy, dxFast, batch, accumulateDx: true);
            var gw = (double[])layer.WeightGrad.Clone();
            var gb = (double[])layer.BiasGrad.Clone();
            layer.ZeroGrad();
            layer.BackwardReference(x, dy, dxReference, batch, accumulateDx: true);
            AssertClose(dxReference, dxFast, 1e-12, $"dx {layer.Inputs}→{layer.Outputs}");
            AssertClose(layer.WeightGrad, gw, 1e-12, $"dW {layer.Inputs}→{layer.Outputs}");
            AssertClose(layer.BiasGrad, gb, 1e-12, $"db {layer.Inputs}→{layer.Outputs}");
            for (int i = 0; i < gw.Length; i++) if (layer.Mask[i] == 0) Assert.Equal(0.0, gw[i]);
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double relative, string what)
    {
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * (scale + 1), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static void Randomise(IEnumerable<MaskedLinear> layers, ulong stream)
    {
        foreach (var layer in layers)
        {
            Philox4x32.FillNormal(layer.Weight, 6, stream++);
            Philox4x32.FillNormal(layer.Bias, 6, stream++);
            for (int i = 0; i < layer.Weight.Length; i++) layer.Weight[i] *= 0.4;
        }
    }

    /// <summary>The block's (fused) inverse against its D-pass reference to 1e-12, and (with <paramref name="roundTrip"/>) T(T⁻¹(u)) = u.</summary>
    private static void AssertInverseMatchesReference<TCache>(MadeBlock<TCache> block, int d, int c, int batch, ulong stream,
        Action<double[], double[], double[]> reference, bool roundTrip = true) where TCache : class
    {
        var u = Normal(batch * d, stream);
        var cond = Normal(batch * Math.Max(c, 1), stream + 1);
        var fast = new double[batch * d];
        var expected = new double[batch * d];
        block.Inverse(u, cond, fast, batch, block.NewCache(batch));
        reference(u, cond, expected);
        AssertClose(expected, fast, 1e-12, "x");
        if (!roundTrip) return;
        var back = new double[batch * d];
        block.Forward(fast, cond, back, new double[batch], batch, block.NewCache(batch));
        AssertClose(u, back, 1e-10, "T(T⁻¹(u))");
    }

    [Theory]
    [InlineData(3, 1, 20, 300)]
    [InlineData(3, 1, 33, 17)]
    [InlineData(5, 2, 24, 40)]
    [InlineData(4, 0, 9, 260)]
    public void GroupedInverseMatchesTheDPassInverse(int d, int c, int h, int batch)
    {
        var block = new TanhMadeBlock(d, c, h);
        Randomise(block.Layers, 40);
        // And the inverse really inverts: u = T(x).
        AssertInverseMatchesReference(block, d, c, batch, 1, (u, cond, x) => block.InverseReference(u, cond, x, batch, block.NewCache(batch)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TanhMadeWithOtherTransformsInvertsThroughThePlan(bool spline)
    {
        // The pytorch-flows MADE with a transform other than its exp-affine one goes through the transform's InverseColumns.
        const int d = 3, c = 1, h = 20, batch = 270;
        var block = new TanhMadeBlock(d, c, h, spline ? new RationalQuadraticTransform(8, 3.0, h) : SoftplusAffineTransform.Instance);
        Randomise(block.Layers, 80);
        AssertInverseMatchesReference(block, d, c, batch, 81, (u, cond, x) => block.InverseReference(u, cond, x, batch, block.NewCache(batch)));
    }

    [Fact]
    public async Task SerialScopeKeepsTheFlowLoopsOnTheCallingThread()
    {
        // On a pool thread (as an ensemble member runs), with each iteration sleeping and the pool allowed threads at once: a
        // loop handed to the pool would have its iterations taken by other threads; inside the scope every iteration runs on
        // the calling thread.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), io);
        try
        {
            await Task.Run(Check);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, io);
        }

        static void Check()
        {
            int caller = Environment.CurrentManagedThreadId;
            var threads = new System.Collections.Concurrent.ConcurrentBag<int>();
            var serial = new System.Collections.Concurrent.ConcurrentBag<bool>();
            using (FlowParallelism.Serial())
            {
                Assert.True(FlowParallelism.IsSerial);
                FlowParallelism.For(24, () => 0, (i, _) =>
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    serial.Add(FlowParallelism.IsSerial);
                    Thread.Sleep(3);
                });
            }
            Assert.False(FlowParallelism.IsSerial);
            Assert.Equal(24, threads.Count);
            Assert.All(threads, t => Assert.Equal(caller, t));
            Assert.All(serial, Assert.True);
            using (FlowParallelism.Serial(when: false)) Assert.False(FlowParallelism.IsSerial);
            Assert.False(FlowParallelism.IsSerial);
        }
    }

    [Theory]
    [InlineData(3, 1, 64, 2, true, 300)]      // CONRAD's shape (spline), more rows than one chunk
    [InlineData(3, 1, 33, 1, true, 17)]       // odd width, one hidden layer
    [InlineData(5, 2, 24, 3, true, 40)]       // more features and layers
    [InlineData(4, 0, 9, 2, false, 260)]      // no conditions, the nflows affine transform
    [InlineData(1, 1, 8, 2, true, 30)]        // one feature: its parameters see only the biases
    public void NflowsGroupedInverseMatchesTheDPassInverse(int d, int c, int h, int layers, bool spline, int batch)
    {
        var block = spline
            ? new NflowsMadeBlock(d, c, h, layers, AutoregressiveTransform.RationalQuadratic, 8, 3.0)
            : new NflowsMadeBlock(d, c, h, layers, AutoregressiveTransform.AffineNflows);
        block.InitialiseLikeTorch(9, 0);
        for (int i = 0; i < block.Output.Weight.Length; i++) block.Output.Weight[i] *= 4;     // splines away from the identity
        AssertInverseMatchesReference(block, d, c, batch, 3, (u, cond, x) => block.InverseReference(u, cond, x, batch, block.NewCache(batch)));
    }

    [Theory]
    [InlineData(false, 1e-12)]
    [InlineData(true, 2e-4)]        // single-precision networks: the spline parameters carry float rounding
    public void RqsFlowSamplingInParallelChunksMatchesTheLayerByLayerInverse(bool single, double tolerance)
    {
        // 1,100 rows: five chunks, the last one partial; random permutations between the transforms.
        const int rows = 1100;
        var flow = FlowsSelfTest.RqsLikeFlows(1, 32, 21)[0];
        var noise = Normal(rows * 3, 70);
        var c = Normal(rows, 71);
        var fast = new double[rows * 3];
        flow.Sample(noise, c, fast, flow.NewPass(rows), single);

        // The reference: the layers in reverse, each MADE inverted by D network passes.
        var y = noise.ToArray();
        var below = new double[y.Length];
        for (int l = flow.Layers.Count - 1; l >= 0; l--)
        {
            if (flow.Layers[l] is NflowsMadeBlock block) block.InverseReference(y, c, below, rows, block.NewCache(rows));
            else ((PermutationLayer)flow.Layers[l]).Undo(y, below, rows);
            (y, below) = (below, y);
        }
        AssertClose(y, fast, tolerance, "x");
    }

    [Fact]
    public void ChunkedEvaluationMatchesBlockByBlockReference()
    {
        // 1,300 rows: three chunks of the parallel path, the last one partial.
        const int d = 3, rows = 1300;
        var flow = new Spec13AffineMaf(d, 1, 16, 3, seed: 8);
        foreach (var (value, _) in flow.Parameters())
        {
            var noise = Normal(value.Length, (ulong)value.Length + 50, 0.1);
            for (int i = 0; i < value.Length; i++) value[i] += noise[i];
        }
        var x = Normal(rows * d, 60);
        var c = Normal(rows, 61);
        flow.UpdateRunningStatistics(x, c, rows);

        // Reference running statistics: the training-mode pass over all rows as one batch (per-block caches).
        var full = flow.NewPass(rows);
        flow.LogProb(x, c, new double[rows], training: true, full);
        for (int b = 0; b < flow.Made.Length; b++)
        {
            AssertClose(((BatchNormFlow.Cache)full.Caches[3 * b + 1]).Mean.ToArray(), flow.Norm[b].RunningMean, 1e-12, $"running mean {b}");
            AssertClose(((BatchNormFlow.Cache)full.Caches[3 * b + 1]).Variance.ToArray(), flow.Norm[b].RunningVariance, 1e-12, $"running variance {b}");
        }

        // Reference evaluation: one block after another on the whole batch with the public layer passes.
        var cur = (double[])x.Clone();
        var u = new double[rows * d];
        var v = new double[rows * d];
        var ld = new double[rows];
        var logDet = new double[rows];
        for (int b = 0; b < flow.Made.Length; b++)
        {
            flow.Made[b].Forward(cur, c, u, ld, rows, flow.Made[b].NewCache(rows));
            for (int n = 0; n < rows; n++) logDet[n] += ld[n];
            flow.Norm[b].Forward(u, v, ld, rows, training: false, flow.Norm[b].NewCache());
            for (int n = 0; n < rows; n++) logDet[n] += ld[n];
            for (int n = 0; n < rows; n++)
                for (int k = 0; k < d; k++) cur[n * d + k] = v[n * d + d - 1 - k];
        }
        var expected = new double[rows];
        for (int n = 0; n < rows; n++)
        {
            double s = 0;
            for (int k = 0; k < d; k++) s += cur[n * d + k] * cur[n * d + k];
            expected[n] = -0.5 * s - 0.5 * d * Math.Log(2 * Math.PI) + logDet[n];
        }
        var lp = new double[rows];
        var z = new double[rows * d];
        flow.EvaluateLogProb(x, c, lp, z);
        AssertClose(expected, lp, 1e-12, "log p");
        AssertClose(cur, z, 1e-12, "z");

        // Sampling (parallel chunks of the grouped inverse) maps the latents back to the data.
        var back = new double[rows * d];
        flow.Sample(z, c, back, flow.NewPass(rows));
        AssertClose(x, back, 1e-9, "x from z");
    }

    [Fact]
    public void SinglePrecisionProductsStayWithinFloatToleranceOfDouble()
    {
        // H = 64: the hidden products qualify for floats. Float rounding is 2⁻²⁴ ≈ 6e-8 per operation; sums of
        // ≤ 256 terms and six blocks keep the relative error well below 1e-4 of each array's scale, while a
        // wrong index or dropped term would be O(1).
        const int d = 3, batch = 256;
        var flow = new Spec13AffineMaf(d, 1, 64, 6, seed: 9);
        var x = Normal(batch * d, 80);
        var c = Normal(batch, 81);
        (double[] LogProb, double[][] Grads) Run(bool single)
        {
            foreach (var layer in flow.Made.SelectMany(m => m.Layers)) layer.SinglePrecisionProducts = single;
            var pass = flow.NewPass(batch);
            var lp = new double[batch];
            flow.LogProb(x, c, lp, training: true, pass);
            flow.ZeroGrad();
            flow.Backward(c, pass);
            return (lp, flow.Parameters().Select(p => (double[])p.Grad.Clone()).ToArray());
        }
        var reference = Run(single: false);
        var fast = Run(single: true);
        AssertClose(reference.LogProb, fast.LogProb, 1e-5, "log p");
        var evalDouble = new double[batch];
        var evalSingle = new double[batch];
        flow.EvaluateLogProb(x, c, evalDouble, default, singlePrecision: false);
        flow.EvaluateLogProb(x, c, evalSingle, default, singlePrecision: true);
        AssertClose(evalDouble, evalSingle, 1e-5, "evaluation log p");
        Assert.NotEqual(evalDouble, evalSingle);
        for (int i = 0; i < reference.Grads.Length; i++) AssertClose(reference.Grads[i], fast.Grads[i], 1e-4, $"gradient array {i}");
        Assert.NotEqual(reference.LogProb, fast.LogProb);   // the float path did run
    }

    [Fact]
    public void SinglePrecisionSamplingStaysWithinFloatToleranceOfDouble()
    {
        // The networks in float: each (m, a) carries ~1e-7 relative rounding, compounded over 6 blocks of 3
        // dimensions into ≲1e-5 of the samples' scale; 1e-4 leaves room, a wrong weight would be O(1).
        const int d = 3, rows = 700;
        var flow = new Spec13AffineMaf(d, 1, 20, 6, seed: 12);
        foreach (var (value, _) in flow.Parameters())
        {
            var noise = Normal(value.Length, (ulong)value.Length + 90, 0.1);
            for (int i = 0; i < value.Length; i++) value[i] += noise[i];
        }
        var z = Normal(rows * d, 91);
        var c = Normal(rows, 92);
        var reference = new double[rows * d];
        var fast = new double[rows * d];
        flow.Sample(z, c, reference, flow.NewPass(rows));
        flow.Sample(z, c, fast, flow.NewPass(rows), singlePrecision: true);
        AssertClose(reference, fast, 1e-4, "samples");
        Assert.NotEqual(reference, fast);
    }
}
