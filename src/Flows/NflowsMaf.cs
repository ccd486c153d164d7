using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>How the features are permuted before each transform.</summary>
public enum FlowPermutation
{
    /// <summary>Reverse order (nflows ReversePermutation).</summary>
    Reverse,

    /// <summary>A fixed random permutation per transform, Philox-seeded (nflows RandomPermutation).</summary>
    Random,
}

/// <summary>
/// The nflows-style conditional MAF of SPEC 2.1 (kinds "affine-nflows" and "rqs" in flow files): <see cref="Transforms"/> ×
/// (<see cref="PermutationLayer"/> → <see cref="NflowsMadeBlock"/>) with a standard-normal base, no batch norm, PyTorch-default
/// initialisation. The blocks' elementwise transform is the rational-quadratic spline (CONRAD: 4 transforms, 8 bins), the
/// nflows affine, or any other <see cref="ElementwiseTransform"/>; the MADEs are plain (relu layers) or nflows' residual
/// MADE. Every pass runs layer by layer (<see cref="MaskedAutoregressiveFlow"/>); sampling inverts block by block
/// (D network passes each).
/// </summary>
public sealed class NflowsMaf : MaskedAutoregressiveFlow
{
    /// <summary>Creates a flow with a named transform, PyTorch-default initialisation (seeded) and the given permutations.</summary>
    public NflowsMaf(int features, int conditions, int hidden, int transforms, AutoregressiveTransform transform,
        int bins = 8, double tailBound = 3.0, int hiddenLayers = 2, FlowPermutation permutation = FlowPermutation.Reverse, ulong seed = 0, bool residual = false)
        : this(features, conditions, transforms, () => new NflowsMadeBlock(features, conditions, hidden, hiddenLayers, transform, bins, tailBound, residual),
            permutation, seed)
    {
        Bins = bins;
        TailBound = tailBound;
    }

    /// <summary>
    /// Creates a flow whose blocks come from <paramref name="block"/> (one call per transform, weights then initialised like
    /// PyTorch from <paramref name="seed"/>), with the given permutations.
    /// </summary>
    public NflowsMaf(int features, int conditions, int transforms, Func<NflowsMadeBlock> block, FlowPermutation permutation, ulong seed)
        : base(features, conditions)
    {
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), "A flow needs at least one feature.");
        if (transforms < 1) throw new ArgumentOutOfRangeException(nameof(transforms), "A flow needs at least one transform.");
        Permutation = permutation;
        Blocks = new NflowsMadeBlock[transforms];
        Permutations = new int[transforms][];
        var layers = new List<IFlowLayer>();
        ulong stream = 0;
        for (int t = 0; t < transforms; t++)
        {
            Blocks[t] = block();
            Blocks[t].InitialiseLikeTorch(seed, stream);
            stream += 100;
            Permutations[t] = permutation == FlowPermutation.Reverse ? PermutationLayer.Reverse(D) : RandomPermutation(D, seed, 0xF100 + (ulong)t);
            layers.Add(new PermutationLayer(Permutations[t]));
            layers.Add(Blocks[t]);
        }
        SetLayers(layers);
        Bins = Blocks[0].Bins;
        TailBound = Blocks[0].TailBound;
    }

    private static int[] RandomPermutation(int d, ulong seed, ulong stream)
    {
        var u = new double[d];
        Philox4x32.FillUniform(u, seed, stream);
        var p = Enumerable.Range(0, d).ToArray();
        for (int i = d - 1; i > 0; i--)
        {
            int j = (int)(u[i] * (i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>How the permutations were made.</summary>
    public FlowPermutation Permutation { get; }
    /// <summary>The MADE blocks, applied in order data → noise (each after its permutation).</summary>
    public NflowsMadeBlock[] Blocks { get; }
    /// <summary>The spline bins the flow was shaped with (written to files for every nflows kind).</summary>
    public int Bins { get; }
    /// <summary>The spline tail bound the flow was shaped with (written to files for every nflows kind).</summary>
    public double TailBound { get; }
    /// <summary>Number of transforms.</summary>
    public int Transforms => Blocks.Length;
    /// <summary>Per transform: the input of the block's column i is column Permutations[t][i] of the previous output.</summary>
    public int[][] Permutations { get; }

    /// <summary>Replaces the permutations (from a file); each must be a permutation of 0 … D − 1.</summary>
    public void SetPermutations(int[][] permutations)
    {
        if (permutations.Length != Blocks.Length) throw new ArgumentException($"{permutations.Length} permutations for {Blocks.Length} transforms.");
        for (int t = 0; t < permutations.Length; t++)
        {
            var p = permutations[t];
            if (p.Length != D || p.Order().Where((v, i) => v != i).Any()) throw new ArgumentException($"Permutation {t} is not a permutation of 0 … {D - 1}.");
            p.CopyTo(Permutations[t], 0);
        }
    }

    /// <summary>No running statistics: nothing to update.</summary>
    public override void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows) { }

    /// <summary>log p(x|c) per row (no batch statistics: <paramref name="training"/> changes nothing).</summary>
    public override void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, Pass pass) =>
        LayerPass(x, c, logProb, training, pass);

    /// <summary>Evaluation-mode log p(x|c) of any number of rows (and z when <paramref name="latent"/> is not empty), in bounded chunks.</summary>
    public override void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent)
    {
        int rows = logProb.Length;
        if (latent.IsEmpty)
            this.LogProbInChunks(x, c, logProb, rows);
        else
        {
            this.LatentInChunks(x, c, latent, logProb, rows);      // log|det| into logProb, then the base density added
            for (int n = 0; n < rows; n++)
            {
                double s = 0;
                for (int d = 0; d < D; d++) s += latent[n * D + d] * latent[n * D + d];
                logProb[n] += -0.5 * s - D * HalfLog2Pi;
            }
        }
    }

    /// <summary>Evaluation-mode samples x = T⁻¹(noise|c): rows in parallel chunks, each MADE inverted with its fused plan (the residual MADE: D passes).</summary>
    public override void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass) => Sample(noise, c, x, pass, singlePrecision: false);

    /// <summary>
    /// <see cref="Sample(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Pass)"/>, with the MADE networks evaluated in
    /// single precision when <paramref name="singlePrecision"/> (the transforms' inverses stay double).
    /// </summary>
    public void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, Pass pass, bool singlePrecision)
    {
        if (Blocks.Any(b => b.IsResidual)) base.Sample(noise, c, x, pass);
        else if (singlePrecision) Sample<float>(noise, c, x, pass.Batch);
        else Sample<double>(noise, c, x, pass.Batch);
    }

    private void Sample<T>(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, int batch) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var plans = Blocks.Select(b => b.SamplingPlan<T>()).ToArray();
        var undo = Layers.OfType<PermutationLayer>().ToArray();     // transform t's permutation, in order
        int chunkRows = MadeSamplingPlan<T>.ChunkRows;
        SampleInChunks(noise, c, x, batch, chunkRows, () => (Y: new double[chunkRows * D], Plans: plans.Select(p => p.NewScratch(chunkRows)).ToArray()), (z, cs, n, s) =>
        {
            var y = s.Y.AsSpan(0, n * D);
            for (int t = Blocks.Length - 1; t >= 0; t--)
            {
                plans[t].Inverse(z, cs, y, n, s.Plans[t]);
                undo[t].Undo(y, z, n);
            }
        });
    }

    /// <summary>z = T(x|c) and log|det ∂z/∂x| per row.</summary>
    public override void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass)
    {
        var p = (Pass)pass;
        LogProb(x, c, new double[p.Batch], training: false, p);
        p.Z.AsSpan(0, p.Batch * D).CopyTo(z);
        p.LogDet.AsSpan(0, p.Batch).CopyTo(logDet);
    }
}
