using FastAD.Kernels;

namespace FastAD.Flows;

/// <summary>One training set of the MLP kernels: inputs as the networks see them (rows × inputs, row-major), labels, optional per-event weights.</summary>
/// <param name="X">Inputs (standardise them first, as <see cref="MlpEnsemble"/> does).</param>
/// <param name="Y">Labels: 1 data, 0 simulation.</param>
/// <param name="W">Per-event weights (BCE only; null = 1).</param>
public sealed record MlpTrainingSet(double[] X, double[] Y, double[]? W);

/// <summary>
/// <see cref="MlpTrainer"/> for many <see cref="MlpClassifier"/>s of one shape and loss at once, as kernels
/// (Sources/mlp.cl, mlp_train_epoch): one work-group per network runs a whole epoch of minibatch steps — forward,
/// the loss's backward and the Adam step, in MlpTrainer's order — in one launch for every network. Each network trains
/// on one of the given sets (members of an ensemble share theirs) and shuffles with its own seed; the shuffles are the
/// managed ones, computed on the host (Philox stream (seed, epoch) over the previous epoch's order) and uploaded per
/// epoch. Data, parameters and Adam moments stay on the device; <see cref="CopyToNetworks"/> writes the parameters back.
/// In double precision the parameters are the managed trainer's to rounding (sums in another order).
/// </summary>
public sealed class KernelMlpTrainer : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly Kernel _kernel;
    private readonly IReadOnlyList<MlpClassifier> _networks;
    private readonly MlpTrainingOptions _options;
    private readonly FlowPrecision _precision;
    private readonly int _wg, _np;
    private readonly long _scratchStride;
    private readonly DeviceBuffer _params, _m, _v, _grads, _xs, _ys, _ws, _scratch, _loss;
    private readonly DeviceBuffer<long> _dataOffset, _orderOffset;
    private readonly DeviceBuffer<int> _rowCount, _order;
    private readonly int[][] _orders;
    private readonly int[] _packedOrder;
    private readonly long[] _orderStart;
    private readonly ulong[] _seeds;

    /// <summary>Uploads the sets and the networks' parameters and starts Adam from zero moments.</summary>
    /// <param name="device">An OpenCL or CUDA device.</param>
    /// <param name="networks">Networks of one shape and loss.</param>
    /// <param name="sets">Training sets.</param>
    /// <param name="setOf">The set network k trains on.</param>
    /// <param name="options">Network k's options: the same epochs, batch size and learning rate for all, each its own shuffle seed.</param>
    /// <param name="precision">Arithmetic precision of the kernel.</param>
    public KernelMlpTrainer(ComputeDevice device, IReadOnlyList<MlpClassifier> networks, IReadOnlyList<MlpTrainingSet> sets, IReadOnlyList<int> setOf,
        IReadOnlyList<MlpTrainingOptions> options, FlowPrecision precision = FlowPrecision.Double)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(setOf);
        ArgumentNullException.ThrowIfNull(options);
        _networks = MlpKernels.CheckShape(networks);
        if (setOf.Count != networks.Count || options.Count != networks.Count)
            throw new ArgumentException($"{setOf.Count} sets and {options.Count} options named for {networks.Count} networks.");
        _options = options[0];
        if (options.Any(o => o is null || o with { Seed = 0 } != _options with { Seed = 0 }))
            throw new ArgumentException("The networks' training settings differ beyond their seeds.", nameof(options));
        int d = networks[0].Layers[0].Inputs;
        foreach (var set in sets)
        {
            ArgumentNullException.ThrowIfNull(set);
            MlpTrainer.Validate(set.X, set.Y, set.W, d, _options);
        }
        _device = device;
        _precision = precision;
        _wg = MlpKernels.WorkGroup(device);
        _np = MlpKernels.ParameterCount(networks[0]);
        _kernel = MlpKernels.Program(device, networks[0], precision).GetKernel("mlp_train_epoch");
        _seeds = options.Select(o => o.Seed).ToArray();

        var setRow = new long[sets.Count + 1];
        for (int s = 0; s < sets.Count; s++) setRow[s + 1] = setRow[s] + sets[s].Y.Length;
        var rows = new int[networks.Count];
        var dataOffset = new long[networks.Count];
        _orderStart = new long[networks.Count + 1];
        for (int k = 0; k < rows.Length; k++)
        {
            int s = setOf[k];
            if ((uint)s >= (uint)sets.Count) throw new ArgumentException($"Network {k} names training set {s} of {sets.Count}.", nameof(setOf));
            rows[k] = sets[s].Y.Length;
            dataOffset[k] = setRow[s];
            _orderStart[k + 1] = _orderStart[k] + rows[k];
        }
        _orders = rows.Select(n => Enumerable.Range(0, n).ToArray()).ToArray();
        _packedOrder = new int[checked((int)_orderStart[^1])];
        int nb = Math.Min(_options.BatchSize, rows.Max()), acts = MlpKernels.Sizes(networks[0]).Skip(1).Sum();
        _scratchStride = (long)nb * (d + 2 + 2 * acts);

        var packed = MlpKernels.Pack(networks);
        _params = Upload(packed);
        _m = FlowDeviceData.Upload(device, precision, new double[packed.Length]);
        _v = FlowDeviceData.Upload(device, precision, new double[packed.Length]);
        _grads = FlowDeviceData.Upload(device, precision, new double[packed.Length]);
        _xs = Upload(sets.SelectMany(s => s.X).ToArray());
        _ys = Upload(sets.SelectMany(s => s.Y).ToArray());
        _ws = Upload(sets.SelectMany(s => s.W ?? Enumerable.Repeat(1.0, s.Y.Length)).ToArray());
        _dataOffset = device.Upload<long>(dataOffset);
        _orderOffset = device.Upload<long>(_orderStart.AsSpan(0, rows.Length));
        _rowCount = device.Upload<int>(rows);
        _order = device.Allocate<int>(Math.Max(1, _packedOrder.Length));
        _scratch = FlowDeviceData.Allocate(device, precision, _scratchStride * networks.Count);
        _loss = FlowDeviceData.Allocate(device, precision, networks.Count);
    }

    /// <summary>The networks (their arrays hold the device parameters after <see cref="CopyToNetworks"/>).</summary>
    public IReadOnlyList<MlpClassifier> Networks => _networks;
    /// <summary>Epochs run so far.</summary>
    public int EpochsDone { get; private set; }

    private DeviceBuffer Upload(double[] values) => FlowDeviceData.Upload(_device, _precision, values);

    /// <summary>
    /// Runs the next epoch of every network in one launch: network k shuffles its previous order with Philox stream
    /// (its seed, epoch) and takes minibatches of BatchSize rows, the last one shorter, as <see cref="MlpTrainer.Train"/>.
    /// Returns each network's mean training loss over the epoch.
    /// </summary>
    public double[] Epoch()
    {
        int epoch = EpochsDone;
        Parallel.For(0, _networks.Count, () => Array.Empty<double>(), (k, _, u) =>
        {
            var order = _orders[k];
            if (u.Length != order.Length) u = new double[order.Length];
            MlpTrainer.Shuffle(order, u, _seeds[k], epoch);
            order.CopyTo(_packedOrder, (int)_orderStart[k]);
            return u;
        }, _ => { });
        _device.Write(_order, _packedOrder);
        _kernel.Launch(LaunchGrid.Linear((long)_networks.Count * _wg, _wg), _params, _m, _v, _grads, _xs, _ys, _ws, _dataOffset, _rowCount,
            _order, _orderOffset, _options.BatchSize, epoch, _options.LearningRate, 0.9, 0.999, 1e-8, _scratch, _scratchStride, _loss);
        EpochsDone++;
        var total = new double[_networks.Count];
        FlowDeviceData.Read(_device, _loss, total);
        for (int k = 0; k < total.Length; k++) total[k] /= _orders[k].Length;
        return total;
    }

    /// <summary>
    /// Trains the networks for Options.Epochs epochs (one launch each) and writes the parameters back; returns each
    /// network's mean training loss per epoch, as <see cref="MlpTrainer.Train"/> does. Checks <paramref name="cancel"/>
    /// before every epoch.
    /// </summary>
    public double[][] Train(CancellationToken cancel = default)
    {
        var history = _networks.Select(_ => new double[_options.Epochs]).ToArray();
        for (int e = EpochsDone; e < _options.Epochs; e++)
        {
            cancel.ThrowIfCancellationRequested();
            var loss = Epoch();
            for (int k = 0; k < loss.Length; k++) history[k][e] = loss[k];
        }
        CopyToNetworks();
        return history;
    }

    /// <summary>The gradients of network k's last step, in <see cref="MlpKernels.Pack"/> order.</summary>
    internal double[] LastGradients(int k)
    {
        var all = new double[_grads.Length];
        FlowDeviceData.Read(_device, _grads, all);
        return all.AsSpan(k * _np, _np).ToArray();
    }

    /// <summary>Writes the device parameters back into the networks' arrays.</summary>
    public void CopyToNetworks()
    {
        var all = new double[_params.Length];
        FlowDeviceData.Read(_device, _params, all);
        MlpKernels.Unpack(all, _networks);
    }

    /// <summary>Releases the device buffers.</summary>
    public void Dispose()
    {
        foreach (var b in new DeviceBuffer[] { _params, _m, _v, _grads, _xs, _ys, _ws, _scratch, _loss, _dataOffset, _orderOffset, _rowCount, _order }) b.Dispose();
    }
}
