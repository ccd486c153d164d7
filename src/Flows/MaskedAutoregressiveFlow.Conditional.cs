namespace FastAD.Flows;

/// <summary>The SPEC 1.3 MAF behind <see cref="IConditionalFlow"/> (kind "affine-spec13" in flow files).</summary>
public sealed partial class MaskedAutoregressiveFlow : IConditionalFlow
{
    /// <summary>Hidden units per MADE layer.</summary>
    public int Hidden => Made[0].H;

    /// <summary>Buffers for batches of this size.</summary>
    public IFlowPass NewFlowPass(int batch) => NewPass(batch);

    void IConditionalFlow.LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, IFlowPass pass) =>
        LogProb(x, c, logProb, training, (Pass)pass);

    void IConditionalFlow.Backward(ReadOnlySpan<double> c, IFlowPass pass) => Backward(c, (Pass)pass);

    void IConditionalFlow.Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, IFlowPass pass) => Sample(noise, c, x, (Pass)pass);

    /// <summary>Evaluation-mode z = T(x|c) (MADE → batch norm → reverse, block by block) and log|det ∂z/∂x| per row.</summary>
    public void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass)
    {
        var p = (Pass)pass;
        var logProb = new double[p.Batch];
        LogProb(x, c, logProb, training: false, p);
        p.Z.AsSpan(0, p.Batch * D).CopyTo(z);
        // The evaluation path keeps its log|det| to itself (pass.LogDet is the training path's): log p = log N(z) + log|det|.
        double halfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
        for (int n = 0; n < p.Batch; n++)
        {
            double normal = 0;
            for (int j = 0; j < D; j++) normal -= 0.5 * p.Z[n * D + j] * p.Z[n * D + j] + halfLog2Pi;
            logDet[n] = logProb[n] - normal;
        }
    }

    /// <summary>The batch-norm running means and variances, per block.</summary>
    public IEnumerable<double[]> State()
    {
        foreach (var n in Norm)
        {
            yield return n.RunningMean;
            yield return n.RunningVariance;
        }
    }

    public sealed partial class Pass : IFlowPass
    {
        int IFlowPass.Batch => Batch;
    }
}
