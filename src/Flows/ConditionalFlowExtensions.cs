namespace FastAD.Flows;

/// <summary>
/// Evaluation-mode passes over many rows in chunks, so that a flow's per-pass buffers (which grow with the batch
/// and the hidden width) stay bounded: row results do not depend on the chunking.
/// </summary>
public static class ConditionalFlowExtensions
{
    /// <summary>Rows per chunk by default.</summary>
    public const int DefaultChunk = 4096;

    /// <summary>Buffers for a chunk of <paramref name="count"/> rows: one set for full chunks, one for the last.</summary>
    private static IFlowPass PassFor(IConditionalFlow flow, int count, int chunk, ref IFlowPass? full, ref IFlowPass? rest)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "Chunks need at least one row.");
        return count == chunk ? full ??= flow.NewFlowPass(chunk) : rest ??= flow.NewFlowPass(count);
    }

    private static ReadOnlySpan<double> Rows(ReadOnlySpan<double> data, int width, int start, int count) =>
        width == 0 ? default : data.Slice(start * width, count * width);

    /// <summary>log p(x|c) per row, evaluation mode.</summary>
    public static void LogProbInChunks(this IConditionalFlow flow, ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> logProb, int rows, int chunk = DefaultChunk)
    {
        IFlowPass? full = null, rest = null;
        for (int start = 0; start < rows; start += chunk)
        {
            int count = Math.Min(chunk, rows - start);
            flow.LogProb(Rows(x, flow.D, start, count), Rows(c, flow.C, start, count), logProb.Slice(start, count), training: false,
                PassFor(flow, count, chunk, ref full, ref rest));
        }
    }

    /// <summary>z = T(x|c) and log|det ∂z/∂x| per row.</summary>
    public static void LatentInChunks(this IConditionalFlow flow, ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, int rows,
        int chunk = DefaultChunk)
    {
        IFlowPass? full = null, rest = null;
        for (int start = 0; start < rows; start += chunk)
        {
            int count = Math.Min(chunk, rows - start);
            flow.Latent(Rows(x, flow.D, start, count), Rows(c, flow.C, start, count), z.Slice(start * flow.D, count * flow.D), logDet.Slice(start, count),
                PassFor(flow, count, chunk, ref full, ref rest));
        }
    }

    /// <summary>x = T⁻¹(noise|c) per row.</summary>
    public static void SampleInChunks(this IConditionalFlow flow, ReadOnlySpan<double> noise, ReadOnlySpan<double> c, Span<double> x, int rows, int chunk = DefaultChunk)
    {
        IFlowPass? full = null, rest = null;
        for (int start = 0; start < rows; start += chunk)
        {
            int count = Math.Min(chunk, rows - start);
            flow.Sample(Rows(noise, flow.D, start, count), Rows(c, flow.C, start, count), x.Slice(start * flow.D, count * flow.D),
                PassFor(flow, count, chunk, ref full, ref rest));
        }
    }
}
