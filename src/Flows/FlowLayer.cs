namespace FastAD.Flows;

/// <summary>
/// One invertible layer y = f(x|c) of a <see cref="MaskedAutoregressiveFlow"/> (data → noise): a MADE with its elementwise
/// transform, a batch norm, a permutation. Batches are row-major [batch × D]; the flow owns the buffers between layers.
/// </summary>
public interface IFlowLayer
{
    /// <summary>False for volume-preserving layers (permutations), which write no log-determinant.</summary>
    bool HasLogDet { get; }

    /// <summary>Trainable arrays with their gradients, in the order files store them.</summary>
    IEnumerable<(double[] Value, double[] Grad)> Parameters();

    /// <summary>Non-trainable arrays evaluation depends on (running statistics).</summary>
    IEnumerable<double[]> State();

    /// <summary>What the layer keeps of a pass of this many rows for its backward pass and inverse.</summary>
    object NewCache(int batch);

    /// <summary>y and (when <see cref="HasLogDet"/>) logDet[n] = log|det ∂y/∂x|; <paramref name="training"/> selects batch statistics.</summary>
    void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> y, Span<double> logDet, int batch, bool training, object cache);

    /// <summary>After a training-mode <see cref="Forward"/>: accumulates parameter gradients and writes dL/dx (and dL/dc where the layer sees c).</summary>
    void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, object cache);

    /// <summary>Evaluation-mode x = f⁻¹(y|c).</summary>
    void Inverse(ReadOnlySpan<double> y, ReadOnlySpan<double> c, Span<double> x, int batch, object cache);
}

/// <summary>A fixed permutation of the features: y_i = x_{P[i]} (nflows' permutations; SPEC 1.3's reverse order).</summary>
public sealed class PermutationLayer(int[] permutation) : IFlowLayer
{
    /// <summary>Column i of the output is column Permutation[i] of the input.</summary>
    public int[] Permutation { get; } = permutation;

    /// <summary>Features D.</summary>
    public int D => Permutation.Length;

    /// <summary>The reverse order D − 1 … 0.</summary>
    public static int[] Reverse(int d) => Enumerable.Range(0, d).Reverse().ToArray();

    /// <summary>Permutations preserve volume.</summary>
    public bool HasLogDet => false;

    /// <summary>None.</summary>
    public IEnumerable<(double[] Value, double[] Grad)> Parameters() => [];

    /// <summary>None.</summary>
    public IEnumerable<double[]> State() => [];

    /// <summary>Nothing is kept.</summary>
    public object NewCache(int batch) => this;

    /// <summary>y_i = x_{P[i]} for every row.</summary>
    public void Apply(ReadOnlySpan<double> x, Span<double> y, int batch)
    {
        int d = D;
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < d; i++) y[n * d + i] = x[n * d + Permutation[i]];
    }

    /// <summary>x_{P[i]} = y_i for every row (the inverse, and the backward pass of the gradients).</summary>
    public void Undo(ReadOnlySpan<double> y, Span<double> x, int batch)
    {
        int d = D;
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < d; i++) x[n * d + Permutation[i]] = y[n * d + i];
    }

    void IFlowLayer.Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> y, Span<double> logDet, int batch, bool training, object cache) =>
        Apply(x, y, batch);

    void IFlowLayer.Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, object cache) => Undo(dy, dx, batch);

    void IFlowLayer.Inverse(ReadOnlySpan<double> y, ReadOnlySpan<double> c, Span<double> x, int batch, object cache) => Undo(y, x, batch);
}

/// <summary>
/// What the MADE blocks (<see cref="TanhMadeBlock"/>, <see cref="NflowsMadeBlock"/>) share as flow layers: a masked network
/// emitting the parameters of an <see cref="ElementwiseTransform"/>, its linear layers' parameters in file order, and the
/// <see cref="IFlowLayer"/> calls on the block's own cache type.
/// </summary>
public abstract class MadeBlock<TCache> : IFlowLayer where TCache : class
{
    /// <summary>Every linear layer, for optimisers, initialisation and files.</summary>
    public abstract IEnumerable<MaskedLinear> Layers { get; }

    /// <summary>A cache for a batch size.</summary>
    public abstract TCache NewCache(int batch);

    /// <summary>z = τ(x; θ(x_&lt;d, c)) and logdet[n] = log|det ∂z/∂x| for a batch.</summary>
    public abstract void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> z, Span<double> logDet, int batch, TCache cache);

    /// <summary>After <see cref="Forward"/> on the same x (giving z): accumulates parameter gradients, writes dL/dx and dL/dc.</summary>
    public abstract void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> z, ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, TCache cache);

    /// <summary>x from z, dimension by dimension.</summary>
    public abstract void Inverse(ReadOnlySpan<double> z, ReadOnlySpan<double> c, Span<double> x, int batch, TCache cache);

    /// <summary>Each layer's W, then b where it has one.</summary>
    public IEnumerable<(double[] Value, double[] Grad)> Parameters() => MaskedLinear.ParametersOf(Layers);

    bool IFlowLayer.HasLogDet => true;

    IEnumerable<double[]> IFlowLayer.State() => [];

    object IFlowLayer.NewCache(int batch) => NewCache(batch);

    void IFlowLayer.Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, Span<double> y, Span<double> logDet, int batch, bool training, object cache) =>
        Forward(x, c, y, logDet, batch, (TCache)cache);

    void IFlowLayer.Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> c, ReadOnlySpan<double> y, ReadOnlySpan<double> dy, ReadOnlySpan<double> dLogDet,
        Span<double> dx, Span<double> dc, int batch, object cache) => Backward(x, c, y, dy, dLogDet, dx, dc, batch, (TCache)cache);

    void IFlowLayer.Inverse(ReadOnlySpan<double> y, ReadOnlySpan<double> c, Span<double> x, int batch, object cache) => Inverse(y, c, x, batch, (TCache)cache);
}
