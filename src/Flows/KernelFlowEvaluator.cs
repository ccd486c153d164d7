using FastAD.Kernels;

namespace FastAD.Flows;

/// <summary>
/// The kernel path of <see cref="FlowEvaluator"/> (Sources/maf.cl for the SPEC 1.3 affine MAF, rqs.cl for the SPEC 2.1
/// RQS MAF): one launch evaluates every (flow, event) pair of the ensemble, one work-item each, with the flows'
/// parameters packed once into a device buffer (masks applied; the affine MAF's batch norm folded into
/// scale/shift/log-det from the running statistics). Same arithmetic
/// as the managed flows in <see cref="FlowPrecision.Double"/>; <see cref="FlowPrecision.Single"/> computes in
/// floats. The parameters are copied at construction; call <see cref="Refresh"/> after changing the flows.
/// </summary>
public sealed class KernelFlowEvaluator : FlowEvaluator
{
    private const int Wg = 64;
    private readonly ComputeDevice _device;
    private readonly KernelProgram _program;
    private readonly FlowKernels _kernels;
    private DeviceBuffer _params;

    /// <summary>Creates the evaluator for an OpenCL or CUDA device.</summary>
    public KernelFlowEvaluator(ComputeDevice device, IReadOnlyList<MaskedAutoregressiveFlow> flows, FlowPrecision precision = FlowPrecision.Single)
        : base(flows)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' does not run kernels; use ManagedFlowEvaluator.", nameof(device));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision));
        FlowKernels.Of(Flows[0], out var why);
        _kernels = Kernels ?? throw new ArgumentException($"These flows have no kernels: {why}.", nameof(flows));
        _device = device;
        Precision = precision;
        _program = device.GetProgram(typeof(KernelFlowEvaluator).Assembly, _kernels.Prefix + ".cl", _kernels.Defines(precision));
        _params = Upload(_kernels.PackEvaluation(Flows));
    }

    /// <summary>The device.</summary>
    public ComputeDevice Device => _device;

    /// <summary>Arithmetic precision of the kernels.</summary>
    public FlowPrecision Precision { get; }

    /// <inheritdoc />
    public override void Refresh()
    {
        var fresh = Upload(_kernels.PackEvaluation(Flows));
        _params.Dispose();
        _params = fresh;
    }

    private DeviceBuffer Upload(ReadOnlySpan<double> values) => FlowDeviceData.Upload(_device, Precision, values);

    private void Download(DeviceBuffer buffer, Span<double> destination) => FlowDeviceData.Read(_device, buffer, destination);

    private DeviceBuffer Allocate(long length) => FlowDeviceData.Allocate(_device, Precision, length);

    private LaunchGrid Grid(int rows) => LaunchGrid.Planar(rows, Flows.Count, Wg, 1);

    private protected override void LogProbCore(ReadOnlySpan<double> x, long xStride, ReadOnlySpan<double> c, long cStride, int rows,
        double[] logProb, FlowLatent? latent)
    {
        using var xs = Upload(x);
        using var cs = Upload(c);
        using var lp = Allocate(logProb.Length);
        using var z = Allocate(latent is null ? 1 : latent.Z.Length);
        using var ld = Allocate(latent is null ? 1 : latent.LogDet.Length);
        _program.GetKernel(_kernels.Prefix + "_log_prob").Launch(Grid(rows), _params, xs, xStride, cs, cStride, rows, Flows.Count, lp, latent is null ? 0 : 1, z, ld);
        Download(lp, logProb);
        if (latent is null) return;
        Download(z, latent.Z);
        Download(ld, latent.LogDet);
    }

    private protected override void SampleCore(ReadOnlySpan<double> noise, long noiseStride, ulong seed, ulong firstStream,
        ReadOnlySpan<double> c, long cStride, int rows, double[] x)
    {
        using var ns = Upload(noiseStride < 0 ? default : noise);
        using var cs = Upload(c);
        using var xs = Allocate(x.Length);
        _program.GetKernel(_kernels.Prefix + "_sample").Launch(Grid(rows), _params, noiseStride < 0 ? 0 : 1, ns, Math.Max(noiseStride, 0), seed, firstStream,
            cs, cStride, rows, Flows.Count, xs);
        Download(xs, x);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _params.Dispose();
    }
}

/// <summary>
/// The evaluation-mode parameter layout of Sources/maf.cl, per flow and block: W1⊙M1 [H×D], Wc [H×C], b1 [H],
/// W2⊙M2 [H×H], b2 [H], W3⊙M3 [2D×H], b3 [2D], running mean [D], scale exp(logγ)/√var [D], β [D],
/// Σ(logγ − ½ ln var) [1].
/// </summary>
internal static class FlowParameterPacking
{
    internal static int BlockLength(int d, int c, int h) => h * d + h * c + h + h * h + h + 2 * d * h + 2 * d + 3 * d + 1;

    internal static double[] Pack(IReadOnlyList<Spec13AffineMaf> flows)
    {
        var first = flows[0];
        int d = first.D, c = first.C, h = first.Made[0].H, blocks = first.Made.Length, block = BlockLength(d, c, h);
        var packed = new double[(long)flows.Count * blocks * block];
        int o = 0;
        foreach (var flow in flows)
            for (int b = 0; b < blocks; b++)
            {
                var made = flow.Made[b];
                Masked(made.Input);
                if (made.Condition is not null) Masked(made.Condition);
                Copy(made.Input.Bias);
                Masked(made.Hidden);
                Copy(made.Hidden.Bias);
                Masked(made.Output);
                Copy(made.Output.Bias);
                var norm = flow.Norm[b];
                Copy(norm.RunningMean);
                double logDet = 0;
                for (int k = 0; k < d; k++) packed[o++] = Math.Exp(norm.LogGamma[k]) / Math.Sqrt(norm.RunningVariance[k]);
                Copy(norm.Beta);
                for (int k = 0; k < d; k++) logDet += norm.LogGamma[k] - 0.5 * Math.Log(norm.RunningVariance[k]);
                packed[o++] = logDet;
            }
        return packed;

        void Masked(MaskedLinear layer)
        {
            for (int i = 0; i < layer.Weight.Length; i++) packed[o++] = layer.Weight[i] * layer.Mask[i];
        }

        void Copy(double[] values)
        {
            values.CopyTo(packed, o);
            o += values.Length;
        }
    }
}
