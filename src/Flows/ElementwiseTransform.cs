using System.Numerics.Tensors;

namespace FastAD.Flows;

/// <summary>
/// Where a MADE puts the parameters of the elementwise transform in its output row of P·D numbers: parameter j of
/// dimension d at d·P + j (<see cref="Grouped"/>, nflows) or at j·D + d (parameter-major, pytorch-flows' chunk into
/// shifts then log-scales).
/// </summary>
public readonly record struct ParameterLayout(int Features, int PerDimension, bool Grouped)
{
    /// <summary>Numbers per row (P·D).</summary>
    public int RowLength => Features * PerDimension;

    /// <summary>Index of parameter <paramref name="parameter"/> of dimension <paramref name="dimension"/> of row <paramref name="row"/>.</summary>
    public int Index(int row, int dimension, int parameter) =>
        row * RowLength + (Grouped ? dimension * PerDimension + parameter : parameter * Features + dimension);

    /// <summary>The P parameters of (row, dimension) into <paramref name="theta"/>.</summary>
    public void Gather(ReadOnlySpan<double> output, int row, int dimension, Span<double> theta)
    {
        for (int j = 0; j < PerDimension; j++) theta[j] = output[Index(row, dimension, j)];
    }
}

/// <summary>
/// The elementwise, invertible map z_d = τ(x_d; θ_d) (data → noise) of a masked autoregressive transform, θ_d being the P
/// numbers the MADE emits for dimension d from x_&lt;d (and the condition). A strategy of the MADE blocks
/// (<see cref="TanhMadeBlock"/>, <see cref="NflowsMadeBlock"/>): forward with log|det ∂z/∂x| summed over the dimensions,
/// the backward through x and θ, and the inverse of one dimension (sampling fixes one dimension per network pass). Batches are
/// row-major; θ is [batch × P·D] in the block's <see cref="ParameterLayout"/>. A new transform is one subclass.
/// </summary>
public abstract class ElementwiseTransform
{
    /// <summary>Numbers per dimension P.</summary>
    public abstract int ParametersPerDimension { get; }

    /// <summary>
    /// z and logDet[n] = Σ_d log|∂z_d/∂x_d| for a batch. <paramref name="saved"/> (batch × D) keeps what <see cref="Backward"/>
    /// needs beyond x, z and θ (a transform may leave it alone).
    /// </summary>
    public abstract void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> theta, ParameterLayout layout, Span<double> z, Span<double> logDet, int batch,
        Span<double> saved);

    /// <summary>
    /// After <see cref="Forward"/> on the same x and θ: dL/dθ (every entry written) and the direct dL/dx (written; the MADE adds
    /// the path through θ) from dL/dz and dL/dlogDet.
    /// </summary>
    public abstract void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, ReadOnlySpan<double> saved,
        ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet, Span<double> dTheta, Span<double> dx, int batch);

    /// <summary>x_d = τ⁻¹(z_d; θ_d) for one dimension of every row (the other columns of x untouched).</summary>
    public abstract void InverseDimension(ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, int dimension, Span<double> x, int batch);

    /// <summary>
    /// <see cref="InverseDimension"/> with dimension <paramref name="dimension"/>'s parameters given parameter-major for
    /// <paramref name="rows"/> rows (<paramref name="columns"/>[k·rows + r] = θ_k of row r; the transform may overwrite them):
    /// the layout of the sampling plans, in which a transform can work on all rows at once. <paramref name="work"/> holds at
    /// least rows × max(D·P, P + 3) values (this default regroups the parameters into rows × D·P for <see cref="InverseDimension"/>;
    /// an override may use rows × (P + 3)).
    /// </summary>
    internal virtual void InverseColumns(ReadOnlySpan<double> z, Span<double> columns, int features, int dimension, Span<double> x, int rows, Span<double> work)
    {
        int p = ParametersPerDimension;
        var layout = new ParameterLayout(features, p, Grouped: true);
        for (int k = 0; k < p; k++)
            for (int r = 0; r < rows; r++) work[layout.Index(r, dimension, k)] = columns[k * rows + r];
        InverseDimension(z, work, layout, dimension, x, rows);
    }

    /// <summary>log(1 + eᵘ), overflow-safe.</summary>
    internal static double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));
}

/// <summary>
/// The affine transform of SPEC 1.3 (pytorch-flows MADE): θ_d = (m_d, a_d), u = (x − m)·exp(−a), log|det| = −Σ a. The
/// exponentials of a batch are taken in one vectorised call and kept for the backward pass.
/// </summary>
public sealed class ExpAffineTransform : ElementwiseTransform
{
    /// <summary>The one instance (the transform has no settings).</summary>
    public static readonly ExpAffineTransform Instance = new();

    /// <summary>(m, a).</summary>
    public override int ParametersPerDimension => 2;

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> theta, ParameterLayout layout, Span<double> z, Span<double> logDet, int batch,
        Span<double> saved)
    {
        int d = layout.Features;
        var scale = saved[..(batch * d)];
        for (int n = 0; n < batch; n++)
        {
            double ld = 0;
            for (int k = 0; k < d; k++)
            {
                double a = theta[layout.Index(n, k, 1)];
                scale[n * d + k] = -a;
                ld -= a;
            }
            logDet[n] = ld;
        }
        TensorPrimitives.Exp(scale, scale);
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < d; k++) z[n * d + k] = (x[n * d + k] - theta[layout.Index(n, k, 0)]) * scale[n * d + k];
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, ReadOnlySpan<double> saved,
        ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet, Span<double> dTheta, Span<double> dx, int batch)
    {
        int d = layout.Features;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < d; k++)
            {
                double g = dz[n * d + k], scale = saved[n * d + k];
                dTheta[layout.Index(n, k, 0)] = -g * scale;                          // ∂u/∂m = −exp(−a)
                dTheta[layout.Index(n, k, 1)] = -g * z[n * d + k] - dLogDet[n];      // ∂u/∂a = −u, ∂logdet/∂a = −1
                dx[n * d + k] = g * scale;                                           // direct path ∂u/∂x
            }
    }

    /// <inheritdoc/>
    public override void InverseDimension(ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, int dimension, Span<double> x, int batch)
    {
        int d = layout.Features;
        for (int n = 0; n < batch; n++)
        {
            double m = theta[layout.Index(n, dimension, 0)], a = theta[layout.Index(n, dimension, 1)];
            x[n * d + dimension] = z[n * d + dimension] * Math.Exp(a) + m;
        }
    }
}

/// <summary>nflows MaskedAffineAutoregressiveTransform (SPEC 2.1): θ_d = (u_d, shift_d), z = (softplus(u) + 1e-3)·x + shift.</summary>
public sealed class SoftplusAffineTransform : ElementwiseTransform
{
    /// <summary>The affine scale floor: scale = softplus(u) + MinScale.</summary>
    public const double MinScale = 1e-3;

    /// <summary>The one instance (the transform has no settings).</summary>
    public static readonly SoftplusAffineTransform Instance = new();

    /// <summary>(u, shift).</summary>
    public override int ParametersPerDimension => 2;

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> theta, ParameterLayout layout, Span<double> z, Span<double> logDet, int batch,
        Span<double> saved)
    {
        int d = layout.Features;
        for (int n = 0; n < batch; n++)
        {
            double ld = 0;
            for (int k = 0; k < d; k++)
            {
                double scale = Softplus(theta[layout.Index(n, k, 0)]) + MinScale;
                z[n * d + k] = scale * x[n * d + k] + theta[layout.Index(n, k, 1)];
                ld += Math.Log(scale);
            }
            logDet[n] = ld;
        }
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, ReadOnlySpan<double> saved,
        ReadOnlySpan<double> dz, ReadOnlySpan<double> dLogDet, Span<double> dTheta, Span<double> dx, int batch)
    {
        int d = layout.Features;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < d; k++)
            {
                double u = theta[layout.Index(n, k, 0)], g = dz[n * d + k];
                double sig = 1 / (1 + Math.Exp(-u)), scale = Softplus(u) + MinScale;
                dTheta[layout.Index(n, k, 0)] = (g * x[n * d + k] + dLogDet[n] / scale) * sig;     // ∂z/∂u = x·σ(u), ∂log scale/∂u = σ(u)/scale
                dTheta[layout.Index(n, k, 1)] = g;                                                 // ∂z/∂shift = 1
                dx[n * d + k] = g * scale;
            }
    }

    /// <inheritdoc/>
    public override void InverseDimension(ReadOnlySpan<double> z, ReadOnlySpan<double> theta, ParameterLayout layout, int dimension, Span<double> x, int batch)
    {
        int d = layout.Features;
        for (int n = 0; n < batch; n++)
            x[n * d + dimension] = (z[n * d + dimension] - theta[layout.Index(n, dimension, 1)]) / (Softplus(theta[layout.Index(n, dimension, 0)]) + MinScale);
    }
}
