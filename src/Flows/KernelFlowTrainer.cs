using System.Globalization;
using FastAD.Kernels;
using FastAD.Kernels.Random;

namespace FastAD.Flows;

/// <summary>
/// Adam training steps of an ensemble of flows of one shape as kernels — the SPEC 1.3 affine MAF
/// (Sources/maf_train.cl) or the SPEC 2.1 RQS MAF (rqs_train.cl): one work-group per flow runs the training-mode
/// forward pass (the affine MAF's with batch statistics), the hand-written backward pass of −mean log p and the
/// <see cref="FlowTrainer"/> update (coupled weight decay, global gradient-norm clip, bias-corrected Adam) for many
/// minibatches in one launch. Parameters and Adam
/// moments stay on the device between calls; <see cref="CopyToFlows"/> writes the parameters back. The
/// epoch bookkeeping of <see cref="FlowTrainer"/> (running statistics, validation, best epoch) stays on the host.
/// </summary>
public sealed class KernelFlowTrainer : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly KernelProgram _program;
    private readonly int _wg;
    private readonly DeviceBuffer _params, _m, _v, _grads, _masks;
    private readonly int _flowLength;
    private readonly IReadOnlyList<MaskedAutoregressiveFlow> _flows;
    private readonly FlowKernels _kernels;
    private int[][]? _orders;
    private readonly ulong[] _seeds;

    /// <summary>Creates the trainer; copies the flows' parameters to the device and starts Adam from zero moments.</summary>
    /// <param name="device">An OpenCL or CUDA device.</param>
    /// <param name="flows">Flows of one shape.</param>
    /// <param name="options">Training settings shared by the flows.</param>
    /// <param name="precision">Arithmetic precision of the kernels.</param>
    /// <param name="seeds">Each flow's shuffle seed (default Options.Seed + i for flow i).</param>
    public KernelFlowTrainer(ComputeDevice device, IReadOnlyList<MaskedAutoregressiveFlow> flows, FlowTrainingOptions options,
        FlowPrecision precision = FlowPrecision.Double, IReadOnlyList<ulong>? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        if (!device.SupportsKernels) throw new ArgumentException($"Device '{device.Id}' does not run kernels; use FlowTrainer.", nameof(device));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision));
        using var shape = new ManagedFlowEvaluator(flows);   // validates one shape for the ensemble
        FlowKernels.Of(shape.Flows[0], out var why);
        _kernels = shape.Kernels ?? throw new ArgumentException($"These flows have no training kernels: {why}.", nameof(flows));
        _device = device;
        _flows = shape.Flows;
        if (seeds is not null && seeds.Count != _flows.Count) throw new ArgumentException($"{seeds.Count} seeds for {_flows.Count} flows.", nameof(seeds));
        _seeds = seeds?.ToArray() ?? Enumerable.Range(0, _flows.Count).Select(i => options.Seed + (ulong)i).ToArray();
        Options = options;
        Precision = precision;
        D = shape.D;
        C = shape.C;
        _wg = 1;
        while (_wg * 2 <= Math.Min(256, device.MaxWorkGroupSize)) _wg *= 2;
        var defines = _kernels.Defines(precision);
        defines[_kernels.Prefix.ToUpperInvariant() + "_WG"] = _wg.ToString(CultureInfo.InvariantCulture);
        _program = device.GetProgram(typeof(KernelFlowTrainer).Assembly, _kernels.Prefix + "_train.cl", defines);
        var packed = _flows.SelectMany(f => f.Parameters().SelectMany(p => p.Value)).ToArray();
        _flowLength = packed.Length / _flows.Count;
        _params = Upload(packed);
        _m = Upload(new double[packed.Length]);
        _v = Upload(new double[packed.Length]);
        _grads = Upload(new double[packed.Length]);
        _masks = Upload(_kernels.TrainingConstants(_flows));
    }

    /// <summary>Training settings (learning rate, weight decay, clip, batch size, shuffle seed).</summary>
    public FlowTrainingOptions Options { get; }
    /// <summary>Arithmetic precision.</summary>
    public FlowPrecision Precision { get; }
    /// <summary>Features D.</summary>
    public int D { get; }
    /// <summary>Conditions C.</summary>
    public int C { get; }
    /// <summary>Adam steps taken so far (the bias correction's t).</summary>
    public long StepsTaken { get; private set; }

    private DeviceBuffer Upload(ReadOnlySpan<double> values) => FlowDeviceData.Upload(_device, Precision, values);

    private double[] Download(DeviceBuffer buffer)
    {
        var values = new double[buffer.Length];
        FlowDeviceData.Read(_device, buffer, values);
        return values;
    }

    /// <summary>
    /// Runs <paramref name="steps"/> Adam steps per flow: step s of flow f uses the rows
    /// <c>order[(f × steps + s) × batch ..][..batch]</c> of its data (x, c shared by every flow or one set per flow,
    /// <paramref name="rows"/> rows each). Returns the training loss −mean log p of every step: [flow × step].
    /// </summary>
    public double[] Steps(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows, ReadOnlySpan<int> order, int batch, int steps)
    {
        if (batch < 1 || steps < 1) throw new ArgumentOutOfRangeException(nameof(batch), "Batch size and step count must be positive.");
        long xStride = Stride(x.Length, rows, D, "features"), cStride = Stride(c.Length, rows, C, "conditions");
        if (order.Length != (long)_flows.Count * steps * batch)
            throw new ArgumentException($"The row order holds {order.Length} indices; expected {_flows.Count} flows × {steps} steps × {batch} rows.");
        foreach (int r in order)
            if ((uint)r >= (uint)rows) throw new ArgumentException($"Row index {r} lies outside the {rows} rows.");
        using var xs = Upload(x);
        using var cs = Upload(c);
        using var idx = _device.Upload<int>(order);
        long scratchLength = _kernels.ScratchLength(batch);
        using var scratch = FlowDeviceData.Allocate(_device, Precision, scratchLength * _flows.Count);
        using var losses = FlowDeviceData.Allocate(_device, Precision, (long)_flows.Count * steps);
        var o = Options;
        _program.GetKernel(_kernels.Prefix + "_train_steps").Launch(LaunchGrid.Linear((long)_flows.Count * _wg, _wg),
            _params, _m, _v, _masks, xs, xStride, cs, cStride, idx, batch, steps, _flows.Count, StepsTaken,
            o.LearningRate, 0.9, 0.999, 1e-8, o.DecoupledWeightDecay ? 0.0 : o.WeightDecay,
            o.DecoupledWeightDecay ? 1 - o.LearningRate * o.WeightDecay : 1.0, o.ClipNorm, scratch, scratchLength, _grads, losses);
        StepsTaken += steps;
        return Download(losses);
    }

    /// <summary>One Adam step per flow on all <paramref name="rows"/> rows of its data as one minibatch; returns each flow's loss.</summary>
    public double[] Step(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows)
    {
        var order = new int[_flows.Count * rows];
        for (int i = 0; i < order.Length; i++) order[i] = i % rows;
        return Steps(x, c, rows, order, rows, 1);
    }

    /// <summary>
    /// One epoch over shared training data as <see cref="FlowTrainer"/> runs it: flow f shuffles the rows with the
    /// Philox stream (its seed — Options.Seed + f by default —, epoch), starting from the order of its previous epoch (the identity at
    /// first), and takes minibatches of Options.BatchSize (the last one shorter).
    /// Returns each flow's mean training loss over the epoch. The running statistics are not updated (see
    /// <see cref="MaskedAutoregressiveFlow.UpdateRunningStatistics"/> after <see cref="CopyToFlows"/>).
    /// </summary>
    public double[] Epoch(ReadOnlySpan<double> x, ReadOnlySpan<double> c, int rows, int epoch)
    {
        int batch = Options.BatchSize, full = rows / batch, rest = rows - full * batch;
        if (rows < 1) throw new ArgumentException("The training set is empty.");
        // FlowTrainer shuffles the previous epoch's order again: keep it between calls (new on another row count).
        if (_orders is null || _orders[0].Length != rows)
            _orders = Enumerable.Range(0, _flows.Count).Select(_ => Enumerable.Range(0, rows).ToArray()).ToArray();
        var orders = _orders;
        var u = new double[rows];
        for (int f = 0; f < _flows.Count; f++)
        {
            var order = orders[f];
            Philox4x32.FillUniform(u, _seeds[f], (ulong)epoch);
            for (int i = rows - 1; i > 0; i--)
            {
                int j = (int)(u[i] * (i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        var total = new double[_flows.Count];
        if (full > 0)
        {
            var loss = Steps(x, c, rows, orders.SelectMany(o => o.Take(full * batch)).ToArray(), batch, full);
            for (int f = 0; f < total.Length; f++)
                for (int s = 0; s < full; s++) total[f] += loss[f * full + s] * batch;
        }
        if (rest > 0)
        {
            var loss = Steps(x, c, rows, orders.SelectMany(o => o.Skip(full * batch)).ToArray(), rest, 1);
            for (int f = 0; f < total.Length; f++) total[f] += loss[f] * rest;
        }
        return total.Select(t => t / rows).ToArray();
    }

    /// <summary>
    /// Trains every flow as <see cref="FlowTrainer.Train"/> would, flow i shuffling with Options.Seed + i (as
    /// <see cref="FlowEnsemble.Train"/> does), with the minibatch steps of all flows in one launch per epoch. After
    /// each epoch the parameters come back to the host for the managed running-statistics and validation passes;
    /// each flow keeps the parameters and statistics of its epoch with the lowest validation loss. A flow stopped
    /// by patience keeps being stepped on the device (its results are not used) until every flow has stopped.
    /// </summary>
    public static FlowTrainingResult[] Train(ComputeDevice device, IReadOnlyList<MaskedAutoregressiveFlow> flows, double[] xTrain, double[] cTrain,
        double[] xVal, double[] cVal, FlowTrainingOptions options, FlowPrecision precision = FlowPrecision.Single,
        IProgress<(int Member, int Epoch, double Train, double Validation)>? progress = null, IReadOnlyList<ulong>? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var trainer = new KernelFlowTrainer(device, flows, options, precision, seeds);
        int members = trainer._flows.Count, d = trainer.D, c = trainer.C;
        int nTrain = xTrain.Length / d, nVal = xVal.Length / d;
        if (nTrain == 0) throw new ArgumentException("The training set is empty.");
        if (nVal == 0) throw new ArgumentException("The validation set is empty.");
        if (xTrain.Length != nTrain * d || cTrain.Length != nTrain * c || xVal.Length != nVal * d || cVal.Length != nVal * c)
            throw new ArgumentException($"Training/validation arrays do not hold whole rows of {d} features and {c} conditions.");
        var trainLoss = Enumerable.Range(0, members).Select(_ => new List<double>()).ToArray();
        var valLoss = Enumerable.Range(0, members).Select(_ => new List<double>()).ToArray();
        var best = Enumerable.Repeat(double.PositiveInfinity, members).ToArray();
        var bestEpoch = Enumerable.Repeat(-1, members).ToArray();
        var snapshot = new double[members][][];
        var active = Enumerable.Repeat(true, members).ToArray();
        for (int epoch = 0; epoch < options.Epochs && active.Any(a => a); epoch++)
        {
            var loss = trainer.Epoch(xTrain, cTrain, nTrain, epoch);
            trainer.CopyToFlows();
            for (int f = 0; f < members; f++)
            {
                if (!active[f]) continue;
                var flow = trainer._flows[f];
                flow.UpdateRunningStatistics(xTrain, cTrain, nTrain);
                double vl = FlowTrainer.ValidationLoss(flow, xVal, cVal, nVal);
                trainLoss[f].Add(loss[f]);
                valLoss[f].Add(vl);
                progress?.Report((f, epoch, loss[f], vl));
                if (vl < best[f])
                {
                    best[f] = vl;
                    bestEpoch[f] = epoch;
                    snapshot[f] = flow.Parameters().Select(p => (double[])p.Value.Clone()).Concat(flow.State().Select(s => (double[])s.Clone())).ToArray();
                }
                else if (options.Patience > 0 && epoch - bestEpoch[f] >= options.Patience) active[f] = false;
            }
        }
        for (int f = 0; f < members; f++)
        {
            if (snapshot[f] is not { } saved) continue;   // no finite validation loss: keep the last parameters
            int k = 0;
            foreach (var target in trainer._flows[f].Parameters().Select(p => p.Value).Concat(trainer._flows[f].State())) saved[k++].CopyTo(target, 0);
        }
        return Enumerable.Range(0, members).Select(f => new FlowTrainingResult(trainLoss[f].ToArray(), valLoss[f].ToArray(), bestEpoch[f])).ToArray();
    }

    /// <summary>The gradients of the last step of flow <paramref name="flow"/> (without weight decay), in Parameters() order.</summary>
    internal double[] LastGradients(int flow) => Download(_grads).AsSpan(flow * _flowLength, _flowLength).ToArray();

    /// <summary>Writes the device parameters back into the flows' arrays.</summary>
    public void CopyToFlows()
    {
        var all = Download(_params);
        int o = 0;
        foreach (var flow in _flows)
            foreach (var (value, _) in flow.Parameters())
            {
                all.AsSpan(o, value.Length).CopyTo(value);
                o += value.Length;
            }
    }

    private long Stride(int length, int rows, int width, string name) => FlowDeviceData.Stride(length, rows, width, _flows.Count, name);

    /// <summary>Releases the device buffers.</summary>
    public void Dispose()
    {
        _params.Dispose();
        _m.Dispose();
        _v.Dispose();
        _grads.Dispose();
        _masks.Dispose();
    }
}
