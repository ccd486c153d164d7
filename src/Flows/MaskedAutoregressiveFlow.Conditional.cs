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
        LogProb(x, c, new double[p.Batch], training: false, p);
        p.Z.AsSpan(0, p.Batch * D).CopyTo(z);
        p.LogDet.AsSpan(0, p.Batch).CopyTo(logDet);
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
