using FastAD.Kernels;
using FastAD.Kernels.Cpu;

namespace FastAD.Flows;

/// <summary>Arithmetic precision of the flow kernels.</summary>
public enum FlowPrecision
{
    /// <summary>32-bit floats (inputs, weights and arithmetic); about 1e-5 relative against the managed double path.</summary>
    Single,
    /// <summary>64-bit doubles: the managed path's results to rounding.</summary>
    Double,
}

/// <summary>The latent image z = T(x|c) and log|det ∂z/∂x| of every (flow, event).</summary>
/// <param name="Z">[flow × event × D].</param>
/// <param name="LogDet">[flow × event].</param>
public sealed record FlowLatent(double[] Z, double[] LogDet);

/// <summary>
/// Evaluation-mode log-prob, latent map and sampling of an ensemble of masked autoregressive flows sharing one shape
/// (the SPEC 1.3 affine MAF with batch norm from the running statistics, the SPEC 2.1 RQS MAF, or any other MAF on the
/// managed path). <c>For</c> picks the managed flows on the CPU device and <see cref="KernelFlowEvaluator"/> on
/// OpenCL/CUDA for the flows that have kernels.
/// Inputs are row-major [event × width] and either shared by every flow (rows × width values) or one set per
/// flow ([flow × event × width]); results are [flow × event] or [flow × event × D].
/// </summary>
public abstract class FlowEvaluator : IDisposable
{
    private protected FlowEvaluator(IReadOnlyList<MaskedAutoregressiveFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (flows.Count == 0) throw new ArgumentException("The ensemble holds no flows.", nameof(flows));
        var first = flows[0] ?? throw new ArgumentException("Flow 0 is null.", nameof(flows));
        Kernels = FlowKernels.Of(first, out _);
        for (int f = 1; f < flows.Count; f++)
        {
            var g = flows[f] ?? throw new ArgumentException($"Flow {f} is null.", nameof(flows));
            var shape = FlowKernels.Of(g, out _);
            if (g.GetType() != first.GetType() || g.D != first.D || g.C != first.C || shape != Kernels)
                throw new ArgumentException($"Flow {f} has {Describe(g, shape)}; flow 0 has {Describe(first, Kernels)}: an ensemble needs one shape.", nameof(flows));
        }
        Flows = flows.ToArray();
        D = first.D;
        C = first.C;
    }

    private static string Describe(MaskedAutoregressiveFlow flow, FlowKernels? shape) =>
        shape?.Describe ?? $"a {flow.GetType().Name} with D={flow.D}, C={flow.C}";

    /// <summary>The flows' kernel family and shape (null when they have no kernels: they are then evaluated managed on every device).</summary>
    internal FlowKernels? Kernels { get; }

    /// <summary>Where <see cref="For(ComputeDevice, IReadOnlyList{MaskedAutoregressiveFlow}, FlowPrecision)"/> evaluates these flows on <paramref name="device"/> in <paramref name="precision"/>, in one phrase.</summary>
    public static string PathOn(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows, FlowPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(flows);
        if (device is CpuDevice) return "on the managed CPU path (cpu runs no kernels)";
        if (flows.Count == 0) return "on the managed CPU path (no flows)";
        if (WhyManaged(device, flows) is { } why) return $"on the managed CPU path ({why})";
        var kernels = FlowKernels.Of(flows[0], out _)!;
        return $"in one launch per call on {device.Id} ({kernels.Name} kernels, {(precision == FlowPrecision.Double ? "double" : "single")} precision)";
    }

    private static string? WhyManaged(ComputeDevice device, IReadOnlyList<IConditionalFlow> flows)
    {
        if (!device.SupportsKernels) return $"{device.Id} runs no kernels";
        var first = FlowKernels.Of(flows[0], out var why);
        if (first is null) return why;
        return flows.Any(f => FlowKernels.Of(f, out _) != first) ? "the flows differ in shape" : null;
    }

    /// <summary>The evaluator for a device: kernels on an OpenCL or CUDA device for flows that have them, the managed flows otherwise.</summary>
    public static FlowEvaluator For(ComputeDevice device, IReadOnlyList<MaskedAutoregressiveFlow> flows, FlowPrecision precision = FlowPrecision.Single)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(flows);
        return device is CpuDevice || flows.Count == 0 || WhyManaged(device, flows) is not null
            ? new ManagedFlowEvaluator(flows)
            : new KernelFlowEvaluator(device, flows, precision);
    }

    /// <summary>
    /// The evaluator for the members of a <see cref="FlowEnsemble"/> of MAFs: <see cref="Sample(ulong, ulong, ReadOnlySpan{double}, int)"/>
    /// with first stream 0 and <see cref="MeanLogProb"/> give <see cref="FlowEnsemble.Sample"/> and
    /// <see cref="FlowEnsemble.MeanLogProb"/> (other member types: NotSupportedException).
    /// </summary>
    public static FlowEvaluator For(ComputeDevice device, FlowEnsemble ensemble, FlowPrecision precision = FlowPrecision.Single)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var flows = new MaskedAutoregressiveFlow[ensemble.Members.Count];
        for (int m = 0; m < flows.Length; m++)
            flows[m] = ensemble.Members[m] as MaskedAutoregressiveFlow
                ?? throw new NotSupportedException($"Ensemble member {m} is a {ensemble.Members[m].GetType().Name}; the evaluator takes masked autoregressive flows.");
        return For(device, flows, precision);
    }

    /// <summary>The flows, in ensemble order.</summary>
    public IReadOnlyList<MaskedAutoregressiveFlow> Flows { get; }
    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }

    /// <summary>Re-reads the flows' parameters after they changed (training); the kernel evaluator copies them to the device.</summary>
    public virtual void Refresh() { }

    /// <summary>log p(x|c) of every event under every flow: [flow × event].</summary>
    public double[] LogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var (xStride, cStride) = Strides(x, c, rows);
        var logProb = new double[(long)Flows.Count * rows];
        if (rows > 0) LogProbCore(x, xStride, c, cStride, rows, logProb, null);
        return logProb;
    }

    /// <summary>The mean over the flows of log p(x|c) per event (as <see cref="FlowEnsemble.MeanLogProb"/>).</summary>
    public double[] MeanLogProb(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var all = LogProb(x, c, rows);
        var mean = new double[rows];
        for (int f = 0; f < Flows.Count; f++)
            for (int n = 0; n < rows; n++) mean[n] += all[f * rows + n];
        for (int n = 0; n < rows; n++) mean[n] /= Flows.Count;
        return mean;
    }

    /// <summary>z = T(x|c) and log|det| of every event under every flow.</summary>
    public FlowLatent Latent(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var (xStride, cStride) = Strides(x, c, rows);
        var latent = new FlowLatent(new double[(long)Flows.Count * rows * D], new double[(long)Flows.Count * rows]);
        if (rows > 0) LogProbCore(x, xStride, c, cStride, rows, new double[latent.LogDet.Length], latent);
        return latent;
    }

    /// <summary>Samples x = T⁻¹(noise|c) of every flow from standard normal <paramref name="noise"/>: [flow × event × D].</summary>
    public double[] Sample(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, int rows)
    {
        long noiseStride = Stride(noise, rows, D, "noise");
        long cStride = Stride(c, rows, C, "conditions");
        var x = new double[(long)Flows.Count * rows * D];
        if (rows > 0) SampleCore(noise, noiseStride, 0, 0, c, cStride, rows, x);
        return x;
    }

    /// <summary>
    /// Samples with Philox noise: flow f uses the standard normal doubles
    /// <c>Philox4x32.FillNormal(double[rows × D], seed, firstStream + f)</c> as its noise (the same on every device).
    /// </summary>
    public double[] Sample(ulong seed, ulong firstStream, ReadOnlySpan<double> c, int rows)
    {
        long cStride = Stride(c, rows, C, "conditions");
        var x = new double[(long)Flows.Count * rows * D];
        if (rows > 0) SampleCore(default, -1, seed, firstStream, c, cStride, rows, x);
        return x;
    }

    /// <summary>
    /// z = T(x|c) of event i under flow i mod F (the events dealt to the flows in turn), all flows in one call: [event × D].
    /// Flow k's events form one block of ⌈rows/F⌉ inputs, padded with the block's first event (or event 0).
    /// </summary>
    public double[] LatentRoundRobin(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        int per = Dealt(rows);
        return Gathered(Latent(Deal(x, D, rows, "features"), Deal(c, C, rows, "conditions"), per).Z, rows, per);
    }

    /// <summary>x = T⁻¹(noise|c) of event i under flow i mod F, all flows in one call (as <see cref="LatentRoundRobin"/>): [event × D].</summary>
    public double[] SampleRoundRobin(ReadOnlySpan<double> noise, ReadOnlySpan<double> c, int rows)
    {
        int per = Dealt(rows);
        return Gathered(Sample(Deal(noise, D, rows, "noise"), Deal(c, C, rows, "conditions"), per), rows, per);
    }

    private int Dealt(int rows) => (rows + Flows.Count - 1) / Flows.Count;

    /// <summary>Rows of width <paramref name="width"/> dealt to the flows: [flow × ⌈rows/F⌉ × width], padded.</summary>
    private double[] Deal(ReadOnlySpan<double> values, int width, int rows, string name)
    {
        if (values.Length != (long)rows * width)
            throw new ArgumentException($"The {name} hold {values.Length} values; {rows} rows × {width} expected (one row per event, dealt to the flows in turn).");
        int e = Flows.Count, per = Dealt(rows);
        var dealt = new double[(long)e * per * width];
        for (int k = 0; k < e; k++)
            for (int j = 0; j < per; j++)
            {
                int i = k + j * e, from = i < rows ? i : k < rows ? k : 0;
                values.Slice(from * width, width).CopyTo(dealt.AsSpan((int)(((long)k * per + j) * width), width));
            }
        return dealt;
    }

    /// <summary>The inverse of <see cref="Deal"/> for D-wide results, padding dropped.</summary>
    private double[] Gathered(double[] dealt, int rows, int per)
    {
        int e = Flows.Count;
        var result = new double[(long)rows * D];
        for (int i = 0; i < rows; i++) Array.Copy(dealt, ((long)(i % e) * per + i / e) * D, result, (long)i * D, D);
        return result;
    }

    /// <summary>Log-prob (and, when <paramref name="latent"/> is given, the latent map) of validated inputs.</summary>
    private protected abstract void LogProbCore(ReadOnlySpan<double> x, long xStride, ReadOnlySpan<double> c, long cStride, int rows,
        double[] logProb, FlowLatent? latent);

    /// <summary>Sampling from validated inputs; <paramref name="noiseStride"/> −1 means Philox noise.</summary>
    private protected abstract void SampleCore(ReadOnlySpan<double> noise, long noiseStride, ulong seed, ulong firstStream,
        ReadOnlySpan<double> c, long cStride, int rows, double[] x);

    private (long, long) Strides(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows) =>
        (Stride(x, rows, D, "features"), Stride(c, rows, C, "conditions"));

    private long Stride(ReadOnlySpan<double> values, int rows, int width, string name) =>
        FlowDeviceData.Stride(values.Length, rows, width, Flows.Count, name);

    /// <summary>Releases device memory (nothing on the managed path).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing) { }
}

/// <summary>The managed path of <see cref="FlowEvaluator"/>: each flow's own <c>LogProb</c> and <c>Sample</c>.</summary>
public sealed class ManagedFlowEvaluator : FlowEvaluator
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>Creates the evaluator (reads the flows' parameters at every call).</summary>
    public ManagedFlowEvaluator(IReadOnlyList<MaskedAutoregressiveFlow> flows) : base(flows) { }

    private protected override void LogProbCore(ReadOnlySpan<double> x, long xStride, ReadOnlySpan<double> c, long cStride, int rows,
        double[] logProb, FlowLatent? latent)
    {
        // The flows in parallel, each over all its rows in its own evaluation-mode chunks (EvaluateLogProb); one after
        // another when an instance appears twice (a flow's layers keep per-instance scratch).
        var xs = x.ToArray();
        var cs = c.ToArray();
        bool distinct = Flows.Distinct(ReferenceEqualityComparer.Instance).Count() == Flows.Count;
        Parallel.For(0, Flows.Count, new ParallelOptions { MaxDegreeOfParallelism = distinct ? -1 : 1 }, f =>
        {
            var lp = logProb.AsSpan(f * rows, rows);
            var z = latent is null ? default : latent.Z.AsSpan(f * rows * D, rows * D);
            Flows[f].EvaluateLogProb(Slice(xs, xStride, f), Slice(cs, cStride, f), lp, z);
            if (latent is null) return;
            for (int n = 0; n < rows; n++)
            {
                double s = 0;
                for (int d = 0; d < D; d++) s += z[n * D + d] * z[n * D + d];
                latent.LogDet[f * rows + n] = lp[n] + 0.5 * s + D * HalfLog2Pi;
            }
        });
    }

    private protected override void SampleCore(ReadOnlySpan<double> noise, long noiseStride, ulong seed, ulong firstStream,
        ReadOnlySpan<double> c, long cStride, int rows, double[] x)
    {
        var drawn = noiseStride < 0 ? new double[rows * D] : null;
        for (int f = 0; f < Flows.Count; f++)
        {
            if (drawn is not null) FastAD.Kernels.Random.Philox4x32.FillNormal(drawn, seed, firstStream + (ulong)f);
            Flows[f].Sample(drawn ?? Slice(noise, noiseStride, f), Slice(c, cStride, f), x.AsSpan(f * rows * D, rows * D), Flows[f].NewPass(rows));
        }
    }

    private static ReadOnlySpan<double> Slice(ReadOnlySpan<double> values, long stride, int f) =>
        stride == 0 ? values : values.Slice((int)(f * stride), (int)stride);
}
