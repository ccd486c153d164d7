namespace FastAD.Flows;

/// <summary>Buffers of one batch size for a flow's passes (intermediate values kept for the backward pass).</summary>
public interface IFlowPass
{
    /// <summary>Rows the buffers hold.</summary>
    int Batch { get; }

    /// <summary>The latent z = T(x|c) of the last log-prob pass (batch × D).</summary>
    ReadOnlySpan<double> Latent { get; }
}

/// <summary>
/// A conditional normalising flow x ↔ z = T(x|c) with a standard-normal base: what <see cref="FlowTrainer"/>,
/// <see cref="FlowEnsemble"/> and <see cref="FlowFile"/> need. Batches are row-major [batch × width];
/// without conditions (C = 0) the condition spans are ignored.
/// </summary>
public interface IConditionalFlow
{
    /// <summary>Features D.</summary>
    int D { get; }

    /// <summary>Conditions C.</summary>
    int C { get; }

    /// <summary>Buffers for batches of this size.</summary>
    IFlowPass NewFlowPass(int batch);

    /// <summary>log p(x|c) per row; <paramref name="training"/> selects batch statistics where the flow has any.</summary>
    void LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, bool training, IFlowPass pass);

    /// <summary>Accumulates the gradients of L = −mean log p(x|c) after a training-mode <see cref="LogProb"/> on the same batch.</summary>
    void Backward(ReadOnlySpan<double> c, IFlowPass pass);

    /// <summary>Evaluation-mode samples x = T⁻¹(noise|c) from standard-normal <paramref name="noise"/>.</summary>
    void Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, IFlowPass pass);

    /// <summary>Evaluation-mode latent map z = T(x|c) and log|det ∂z/∂x| per row.</summary>
    void Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, IFlowPass pass);

    /// <summary>Every trainable array with its gradient (a fixed order: the file format relies on it).</summary>
    IEnumerable<(double[] Value, double[] Grad)> Parameters();

    /// <summary>Non-trainable arrays that evaluation depends on (batch-norm running statistics); empty when none.</summary>
    IEnumerable<double[]> State();

    /// <summary>Zeroes every gradient.</summary>
    void ZeroGrad();

    /// <summary>Sets running statistics from the whole training set (a no-op for flows without batch norm).</summary>
    void UpdateRunningStatistics(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows);

    /// <summary>
    /// Evaluation-mode log p(x|c) of a whole set (rows = logProb.Length) and, when <paramref name="latent"/> is not
    /// empty, z = T(x|c). Flows with a faster path for large sets (rows in parallel) override it.
    /// </summary>
    void EvaluateLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, Span<double> latent)
    {
        var pass = NewFlowPass(logProb.Length);
        LogProb(x, c, logProb, training: false, pass);
        if (!latent.IsEmpty) pass.Latent.CopyTo(latent);
    }
}
